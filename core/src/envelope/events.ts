import { Type } from '@sinclair/typebox';
import { defineEvent, type EventType } from './envelope.js';
import { EventRegistry, type EventRegistryOptions } from './registry.js';

/** A device location fix as accepted at the edge (H3 cell added by the gateway). */
export const DeviceLocation = defineEvent(
  'device.location',
  Type.Object(
    {
      deviceId: Type.String({ minLength: 1, maxLength: 128 }),
      lat: Type.Number({ minimum: -90, maximum: 90 }),
      lng: Type.Number({ minimum: -180, maximum: 180 }),
      accuracy: Type.Number({ minimum: 0, maximum: 100_000 }),
      speed: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000 })),
      h3: Type.Optional(Type.String({ pattern: '^[0-9a-f]{15}$' })),
    },
    { additionalProperties: false },
  ),
);

/** A click or view in the app's catalogue. */
export const DeviceClick = defineEvent(
  'device.click',
  Type.Object(
    {
      deviceId: Type.String({ minLength: 1, maxLength: 128 }),
      sessionId: Type.String({ minLength: 1, maxLength: 128 }),
      productId: Type.String({ minLength: 1, maxLength: 128 }),
      action: Type.Union([
        Type.Literal('view'),
        Type.Literal('click'),
        Type.Literal('cart'),
        Type.Literal('buy'),
      ]),
      category: Type.Optional(Type.String({ maxLength: 128 })),
    },
    { additionalProperties: false },
  ),
);

/** A record the bus could not process, kept with its reason (see `hx.dlq`). */
export const DeadLetter = defineEvent(
  'bus.dead-letter',
  Type.Object(
    {
      topic: Type.String(),
      partition: Type.Integer({ minimum: 0 }),
      offset: Type.String(),
      code: Type.String({ pattern: '^HX_[A-Z0-9_]+$' }),
      reason: Type.String({ maxLength: 2000 }),
      /** The original record value, base64, when it could not be parsed as an envelope. */
      raw: Type.Optional(Type.String()),
      original: Type.Optional(Type.Unknown()),
    },
    { additionalProperties: false },
  ),
);

export const CORE_EVENTS: readonly EventType[] = [DeviceLocation, DeviceClick, DeadLetter];

/** A registry pre-loaded with the core event types; pipelines register their own on top. */
export function createEventRegistry(options: EventRegistryOptions = {}): EventRegistry {
  const registry = new EventRegistry(options);
  for (const event of CORE_EVENTS) registry.register(event);
  return registry;
}
