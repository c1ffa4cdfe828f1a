export {
  inboxTopic,
  isTopicSafeId,
  maySubscribe,
  PUBLISH_CHANNELS,
  type PublishChannel,
  publishChannel,
} from './acl.js';
export { GatewayEmitter, GatewayPersistence, isDevicePublishTopic } from './aedes-adapter.js';
export { type DeviceLink, Dispatcher, type DispatcherOptions } from './delivery.js';
export * from './delivery-queue/index.js';
export { DeviceConnection, type PublishHandler } from './device-connection.js';
export { Gateway, type GatewayOptions } from './gateway.js';
export {
  EDGE_H3_RESOLUTION,
  Ingest,
  type IngestLimits,
  type IngestResult,
  locationId,
  type Rejection,
} from './ingest.js';
export type { DeviceAck, Fix, InboxMessage } from './messages.js';
export {
  checkPushRegistration,
  type FcmMessaging,
  FcmSender,
  fcmMessaging,
  MemoryPushRegistry,
  type PushMessage,
  type PushRegistration,
  type PushRegistry,
  type PushSender,
  RedisPushRegistry,
  type VapidKeys,
  WebPushSender,
} from './push.js';
export { StrikeCounter, TokenBucket } from './token-bucket.js';
export { LocalWakeBus, RedisWakeBus, type WakeBus } from './wake.js';
