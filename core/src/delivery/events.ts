import { Type } from '@sinclair/typebox';
import { defineEvent, type EventType } from '../envelope/index.js';

const DeviceId = Type.String({ minLength: 1, maxLength: 128 });

/**
 * Something to show on a device, on `hx.deliveries.<region>` (key = deviceId). The envelope's
 * `expiresAt` is the absolute deadline and is required: an item without one is rejected
 * (`no-deadline`).
 */
export const DeliveryItemEvent = defineEvent(
  'delivery.item',
  Type.Object(
    {
      deviceId: DeviceId,
      kind: Type.Union([Type.Literal('offer'), Type.Literal('recommendation')]),
      /** What the app shows; kind-specific (the coupon, the recommended products). */
      content: Type.Unknown(),
      /** Text for a push notification when the device is offline; without it the item is never pushed. */
      notification: Type.Optional(
        Type.Object(
          {
            title: Type.String({ minLength: 1, maxLength: 120 }),
            body: Type.String({ maxLength: 500 }),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
);

export const RECEIPT_STATUSES = [
  'delivered',
  'expired',
  'rejected',
  'received',
  'opened',
  'redeemed',
  'pushed',
] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

/** Terminal statuses: every item enqueued ends in exactly one of these. */
export const TERMINAL_STATUSES: readonly ReceiptStatus[] = ['delivered', 'expired', 'rejected'];

/**
 * What happened to a delivery item, on `hx.receipts` (key = deviceId). `delivered`, `expired`
 * and `rejected` are terminal (exactly one per item); `pushed` records a push send; `received`,
 * `opened`, `redeemed` come from the device (the SDK) and follow a delivery.
 */
export const DeliveryReceipt = defineEvent(
  'delivery.receipt',
  Type.Object(
    {
      itemId: Type.String({ minLength: 1, maxLength: 64 }),
      deviceId: DeviceId,
      status: Type.Union(RECEIPT_STATUSES.map((s) => Type.Literal(s))),
      /** For `expired`: where the deadline caught the item. */
      where: Type.Optional(
        Type.Union([
          Type.Literal('transit'),
          Type.Literal('queue'),
          Type.Literal('in-flight'),
          Type.Literal('push'),
        ]),
      ),
      /** For `rejected`: why (`queue-full`, `expired-on-arrival`, `no-deadline`, `gateway-stopped`). */
      reason: Type.Optional(Type.String({ maxLength: 64 })),
      /** For `delivered` and `pushed`: how (`mqtt`, `webpush`, `fcm`). */
      channel: Type.Optional(
        Type.Union([Type.Literal('mqtt'), Type.Literal('webpush'), Type.Literal('fcm')]),
      ),
      gateway: Type.String({ minLength: 1, maxLength: 128 }),
    },
    { additionalProperties: false },
  ),
);

export const DELIVERY_EVENTS: readonly EventType[] = [DeliveryItemEvent, DeliveryReceipt];
