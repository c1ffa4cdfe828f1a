/**
 * Device topics. A device may publish only to its own `hx/d/{id}/loc|ev|ack` and subscribe only
 * to its own `hx/d/{id}/inbox`: no wildcards, no `$SYS`, nobody else's topics.
 */
export const PUBLISH_CHANNELS = ['loc', 'ev', 'ack'] as const;
export type PublishChannel = (typeof PUBLISH_CHANNELS)[number];

export const inboxTopic = (deviceId: string): string => `hx/d/${deviceId}/inbox`;

/** The channel a device may publish on this topic, or null when it may not. */
export function publishChannel(deviceId: string, topic: string): PublishChannel | null {
  const prefix = `hx/d/${deviceId}/`;
  if (!topic.startsWith(prefix)) return null;
  const channel = topic.slice(prefix.length);
  return (PUBLISH_CHANNELS as readonly string[]).includes(channel) ? (channel as PublishChannel) : null;
}

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
