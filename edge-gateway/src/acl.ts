/**
 * Device topics. A device may publish only to its own `hx/d/{id}/loc|ev|ack` and subscribe only
 * to its own `hx/d/{id}/inbox`: no wildcards, no `$SYS`, nobody else's topics.
 */
import { inboxTopic } from '@hexcast/mobile-sdk/protocol';

export {
  inboxTopic,
  PUBLISH_CHANNELS,
  type PublishChannel,
  publishChannel,
} from '@hexcast/mobile-sdk/protocol';

export function maySubscribe(deviceId: string, topicFilter: string): boolean {
  return topicFilter === inboxTopic(deviceId);
}

/**
 * Device ids become topic levels, so they may not contain MQTT's separators or wildcards
 * (the API issues ids that satisfy this; a token for anything else is refused at CONNECT).
 */
export function isTopicSafeId(deviceId: string): boolean {
  return /^[A-Za-z0-9._:-]{1,128}$/.test(deviceId);
}
