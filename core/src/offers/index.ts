export { type OfferSettings, OfferSettingsSchema } from '../campaigns/index.js';
export { offers } from './capability.js';
export { couponCode, normaliseCode, offerCodeSecret } from './coupon-code.js';
export {
  type Candidate,
  DECISION_TTL_MS,
  type EligibilityStore,
  type IssueRequest,
  type IssueResult,
  MemoryEligibilityStore,
  type OfferLimits,
  type RefusalReason,
} from './eligibility.js';
export { RedisEligibilityStore } from './eligibility.redis.js';
export { CouponRedeemed, OFFER_EVENTS, OfferIssued } from './events.js';
export { CachedDevices, OfferFeedback } from './feedback.js';
export {
  type CampaignStats,
  type LedgerInsert,
  type LedgerOffer,
  type LedgerReceipt,
  OfferLedger,
  type OfferRecord,
  type OfferStatus,
  type Redemption,
} from './ledger.js';
export {
  type Decision,
  type DeviceDirectory,
  OfferEngine,
  type OfferEngineOptions,
  type OfferSink,
  ScorerSlot,
  type SkipReason,
} from './offer-engine.js';
export {
  type DeviceProfile,
  emptyProfile,
  MemoryProfileStore,
  PROFILE_SEEN_TTL_MS,
  PROFILE_TTL_MS,
  type ProfileChange,
  type ProfileStore,
} from './profile.js';
export { RedisProfileStore } from './profile.redis.js';
export { type CouponRoutesDeps, couponRoutes } from './routes.js';
export { DEFAULT_SIGNAL_POLICY, neutralSignals, type SignalPolicy, type Signals } from './signals.js';
