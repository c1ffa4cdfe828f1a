/** What a payment's features are computed from, kept per entity (card, customer, device, IP, e-mail, merchant). */
export type EntityKind = 'card' | 'customer' | 'device' | 'ip' | 'email' | 'merchant';

/** One payment seen from one entity. */
export interface EntityObservation {
  kind: EntityKind;
  id: string;
  paymentId: string;
  /** The payment's time, epoch ms. */
  at: number;
  amount: number;
  /**
   * A second entity to count against this one: the card for a device or an IP (distinct cards,
   * card testing), the device for a customer (a device new to this customer).
   */
  aux?: string | undefined;
  /** Where the payment's device was (customer: for impossible travel). */
  position?: { lat: number; lng: number } | undefined;
}

/** The entity's state just before the payment (the payment itself not counted). */
export interface EntityHistory {
  count1m: number;
  count1h: number;
  count24h: number;
  sum1h: number;
  sum24h: number;
  /** When the entity was first seen, or null if this payment is its first. */
  firstSeenAt: number | null;
  /** Distinct aux values within the aux retention, this payment's included (0 without aux). */
  distinctAux: number;
  /** Whether this payment's aux was seen with the entity before. */
  auxSeen: boolean;
  /** Amounts over the state's lifetime (for a z-score against the entity's own history). */
  amounts: { n: number; sum: number; sumSq: number };
  /** The last position recorded for the entity. */
  last: { lat: number; lng: number; at: number } | null;
}

export interface StateRetention {
  /** How long payments count in the windows (≥ 24 h). */
  windowMs: number;
  /** How long first-seen times, amount history and positions are kept without activity. */
  stateMs: number;
  /** Aux retention per kind: distinct cards per device/IP over 24 h; a customer's devices for `stateMs`. */
  auxMs: Partial<Record<EntityKind, number>>;
  /** Most payments remembered per entity in the windows (counts saturate there). */
  maxEvents: number;
  /**
   * How long a payment's answers are kept for a redelivery (the same answer, counted once). It
   * covers a worker's restart: the payments it had fetched and not committed come back then. A
   * payment redelivered later is counted again. One answer per entity and payment at the
   * payment rate: 2,000 payments/s keep ~6M answers for 10 minutes, for 24 hours ~860M.
   */
  replayMs: number;
}

export const DEFAULT_RETENTION: StateRetention = {
  windowMs: 86_400_000,
  stateMs: 90 * 86_400_000,
  auxMs: { device: 86_400_000, ip: 86_400_000, customer: 90 * 86_400_000 },
  maxEvents: 1000,
  replayMs: 10 * 60_000,
};

/**
 * Fraud feature state, per entity key: `observe` records a payment against each entity and
 * returns each one's history from just before it — atomically per key (two payments of one card
 * at once never both see "first payment"), and idempotently per (entity, payment): observing a
 * payment again (a redelivery after a crash) returns the same history and counts it once.
 * Everything expires (`StateRetention`).
 */
export interface FraudStateStore {
  observe(observations: readonly EntityObservation[]): Promise<EntityHistory[]>;
  /** Counts a labelled outcome for the merchant's base rate. */
  recordLabel(merchantId: string, fraud: boolean): Promise<void>;
  /** Labelled outcomes so far: `{ labelled, frauds }`. */
  labels(merchantId: string): Promise<{ labelled: number; frauds: number }>;
  /** Raises the device's recent risk to `risk` if higher; it expires after `ttlMs`. */
  raiseDeviceRisk(deviceId: string, risk: number, ttlMs: number): Promise<void>;
  deviceRisk(deviceId: string): Promise<number | null>;
}
