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
export { SDK_ERROR_CODES, SdkError, type SdkErrorCode } from './errors.js';
export {
  CONNACK,
  GATEWAY_CODES,
  type GatewayCode,
  type InboxMessage,
  inboxTopic,
  type PublishChannel,
} from './protocol.js';
export { memoryStorage, type StorageAdapter, webStorage } from './storage.js';
export {
  checkedMode,
  distanceM,
  type Fix,
  type LocationProvider,
  MAX_BATCH_SIZE,
  ModeFilter,
  TRACKING_MODES,
  type TrackingMode,
  type TrackingModeName,
} from './tracking.js';
