/**
 * The device protocol: what a device and its regional gateway say to each other over MQTT 3.1.1.
 * The gateway and the SDK both import this module; it depends on nothing (it ships in the SDK's
 * bundle, and `npm run lint` checks it imports nothing at all).
 */

/** What a device publishes on `hx/d/{id}/{channel}`: location batches, clickstream, receipts. */
export const PUBLISH_CHANNELS = ['loc', 'ev', 'ack'] as const;
export type PublishChannel = (typeof PUBLISH_CHANNELS)[number];

/** The one topic a device may publish `channel` on. */
export const deviceTopic = (deviceId: string, channel: PublishChannel): string =>
  `hx/d/${deviceId}/${channel}`;

/** The one topic a device may subscribe to: its inbox. */
export const inboxTopic = (deviceId: string): string => `hx/d/${deviceId}/inbox`;

/** The channel a device may publish on this topic, or null when it may not. */
export function publishChannel(deviceId: string, topic: string): PublishChannel | null {
  const prefix = `hx/d/${deviceId}/`;
  if (!topic.startsWith(prefix)) return null;
  const channel = topic.slice(prefix.length);
  return (PUBLISH_CHANNELS as readonly string[]).includes(channel) ? (channel as PublishChannel) : null;
}

/** CONNACK return codes of MQTT 3.1.1 (§3.2.2.3) the gateway refuses a connection with. */
export const CONNACK = {
  accepted: 0,
  /** The client id is not the token's subject. */
  identifierRejected: 2,
  /** No token, or an invalid or expired one: a fresh token may succeed. */
  badCredentials: 4,
  /** The token is for another region: no token will do here. */
  notAuthorized: 5,
} as const;

/** Why the gateway dropped a device's message (`rejected`) or closed its connection (`disconnect`). */
export const GATEWAY_CODES = [
  'HX_GATEWAY_PAYLOAD_TOO_LARGE',
  'HX_GATEWAY_PAYLOAD_INVALID',
  'HX_GATEWAY_COORDINATES_INVALID',
  'HX_GATEWAY_TIMESTAMP_INVALID',
  'HX_GATEWAY_RATE_LIMITED',
  'HX_GATEWAY_TOPIC_FORBIDDEN',
  'HX_GATEWAY_ABUSE',
  'HX_GATEWAY_AUTH_FAILED',
  'HX_GATEWAY_CLIENT_ID_MISMATCH',
  'HX_GATEWAY_REGION_MISMATCH',
  'HX_GATEWAY_BUS_UNAVAILABLE',
  'HX_GATEWAY_SHUTTING_DOWN',
] as const;
export type GatewayCode = (typeof GATEWAY_CODES)[number];

/** What an inbox item is. */
export type ItemKind = 'offer' | 'recommendation';

/** The statuses a device reports on `hx/d/{id}/ack`. */
export const DEVICE_ACK_STATUSES = ['received', 'opened', 'redeemed'] as const;
export type DeviceAckStatus = (typeof DEVICE_ACK_STATUSES)[number];

/**
 * What the gateway publishes on `hx/d/{id}/inbox` (JSON). `offer` / `recommendation` carry an
 * item; `hello` follows the inbox subscription and gives the server time, so the SDK can correct
 * its clock before judging `expiresAt`; `rejected` says why a device message was dropped;
 * `disconnect` comes right before the gateway closes the connection.
 */
export type InboxMessage =
  | {
      type: ItemKind;
      id: string;
      expiresAt: number;
      sentAt: number;
      content: unknown;
      notification?: { title: string; body: string };
    }
  | { type: 'hello'; serverTime: number; region: string }
  | { type: 'rejected'; code: GatewayCode; reason: string; topic: string }
  | { type: 'disconnect'; code: GatewayCode; reason: string; reconnect: boolean; retryAfterMs?: number };
