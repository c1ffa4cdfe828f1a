export {
  DECISION_TTL_MS,
  type EligibilityStore,
  type Candidate,
  type IssueRequest,
  type IssueResult,
  MemoryEligibilityStore,
  type OfferLimits,
  type RefusalReason,
} from './eligibility.js';
export { RedisEligibilityStore } from './eligibility.redis.js';
export { inQuietHours, localTime, type QuietHours } from './quiet-hours.js';
