// Payment fraud: payments in (API and hx.payments), stateful features, a hot-swapped model with
// a shadow candidate, merchant rules, decisions on hx.fraud-decisions, human review and a
// hash-chained audit log. docs/fraud.md.

export { webhookSignature } from '../http/index.js';
export { type AuditEntry, AuditLog, assertChainsIntact, type ChainReport } from './audit-log.js';
export { DEVICE_RISK, type DeviceRisk, fraud } from './capability.js';
export { DecisionWaiters, type Expectation } from './decision-waiters.js';
export { FRAUD_EVENTS, FraudDecided, FraudReviewed, PaymentSubmitted } from './events.js';
export {
  FEATURE_WORDS,
  type FeatureInputs,
  FRAUD_FEATURE_NAMES,
  FRAUD_FEATURES,
  type FraudFeatureName,
  type FraudFeatures,
  featureRow,
  fraudFeatures,
  IMPOSSIBLE_KMH,
  observationsFor,
} from './features.js';
export { FraudEngine, type FraudEngineOptions } from './fraud-engine.js';
export {
  DEFAULT_RETENTION,
  type EntityHistory,
  type EntityKind,
  type EntityObservation,
  type FraudStateStore,
  type StateRetention,
} from './fraud-state.js';
export { MemoryFraudState } from './fraud-state.memory.js';
export { RedisFraudState } from './fraud-state.redis.js';
export { assertNoPan, looksLikePan, Payment } from './payment.js';
export {
  type FraudDecision,
  type Merchant,
  PaymentStore,
  type PaymentView,
  requestHash,
} from './payment-store.js';
export { CompiledPolicy, MerchantPolicyBody, RULE_NAMES, type RuleHit, type Verdict } from './policy.js';
export { ACTION_RANK, CompiledRule, type RuleAction, type RuleSpec } from './rules.js';
export {
  type Contribution,
  candidateFraudSlot,
  type FraudScorer,
  liveFraudSlot,
  ModelFraudScorer,
  noCandidate,
  rulesScorer,
} from './scorer.js';
export { generatedPaymentFeatures, replayFeatures } from './training.js';
