export { backoffDelay } from './backoff.js';
export {
  type ClickAction,
  type ClientOptions,
  createClient,
  HexcastClient,
  type InboxItem,
  type ItemKind,
  type SdkStats,
} from './client.js';
export { SdkError, type SdkErrorCode } from './errors.js';
export { memoryStorage, type StorageAdapter, webStorage } from './storage.js';
export {
  distanceM,
  type Fix,
  type LocationProvider,
  ModeFilter,
  TRACKING_MODES,
  type TrackingMode,
  type TrackingModeName,
} from './tracking.js';
