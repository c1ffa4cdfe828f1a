/**
 * The per-device outbound queue of a gateway: bounded, ordered, every item with an absolute
 * deadline (`expiresAt`, MQTT 5 §3.3.2 semantics: never reset, remaining time recomputed at each
 * hop). Every item enqueued ends in exactly one terminal outcome.
 *
 *   enqueue ──▶ queued ──claim──▶ in-flight ──ack──▶ delivered
 *                 │  ▲              │  │
 *                 │  └──release─────┘  └──deadline passes before the ack──▶ expired (in-flight)
 *                 └──deadline passes──▶ expired (queue)
 *   refused at enqueue ──▶ rejected (queue-full | expired-on-arrival); a repeated id ──▶ duplicate
 *   (not a new item: no second outcome)
 *
 * An item already sent when its deadline passes cannot be unsent: it is accounted `expired
 * (in-flight)` and a late acknowledgement is ignored; the payload carries `expiresAt`, so the SDK
 * drops it on arrival if it is late.
 */
export interface DeliveryItem {
  /** The envelope id of the offer or recommendation: unique, the idempotency key. */
  id: string;
  deviceId: string;
  /** Absolute deadline, epoch ms. */
  expiresAt: number;
  /** The encoded message to publish to `hx/d/{deviceId}/inbox`. */
  payload: string;
  /** Set once the item was also sent through a push service (it stays queued for MQTT). */
  pushed?: boolean;
}

export type RejectReason = 'queue-full' | 'expired-on-arrival' | 'duplicate';
export type ExpiredWhere = 'queue' | 'in-flight' | 'push';

export interface ExpiredItem {
  item: DeliveryItem;
  where: ExpiredWhere;
}

export interface DeliveryQueue {
  enqueue(
    item: DeliveryItem,
    now: number,
  ): Promise<{ accepted: true } | { accepted: false; reason: RejectReason }>;
  /**
   * `enqueue`, then (when accepted) `claim(item.deviceId, now, max)` in the same step: for a
   * device connected to the caller with nothing being claimed for it, one round trip instead of two.
   */
  enqueueAndClaim(
    item: DeliveryItem,
    now: number,
    max: number,
  ): Promise<{ accepted: true; claimed: DeliveryItem[] } | { accepted: false; reason: RejectReason }>;
  /** Up to `max` unexpired queued items of a device, oldest first, now marked in flight. */
  claim(deviceId: string, now: number, max: number): Promise<DeliveryItem[]>;
  /** The device acknowledged an in-flight item: true if this made it delivered. */
  ack(deviceId: string, itemId: string, now: number): Promise<boolean>;
  /** Puts unacknowledged in-flight items back at the front, in their order (the device went away). */
  release(deviceId: string): Promise<number>;
  /** Removes every item whose deadline has passed (queued or in flight), at most `limit`. */
  purgeExpired(now: number, limit: number): Promise<ExpiredItem[]>;
  /**
   * Marks a queued (not in flight), unexpired item as also sent through push; returns it when
   * this call marked it (so exactly one gateway pushes it), else null. An item that expires
   * after being pushed expires `push`.
   */
  markPushed(deviceId: string, itemId: string, now: number): Promise<DeliveryItem | null>;
  /** Items queued or in flight for a device. */
  size(deviceId: string): Promise<number>;
}
