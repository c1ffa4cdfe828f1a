import { DeliveryReceipt } from '../delivery/index.js';
import { DeviceClick, type Envelope } from '../envelope/index.js';
import { TurnBatcher } from '../records/index.js';
import { CouponRedeemed } from './events.js';
import type { LedgerReceipt, OfferLedger } from './ledger.js';
import type { ProfileStore } from './profile.js';

/**
 * What comes back from devices and merchants, applied where the offer engine reads it:
 * `hx.receipts` → the ledger's states (and redemptions → profiles), `hx.clicks` → profiles.
 * Every write is idempotent (ledger transitions happen once; profile changes carry the event id).
 */
export class OfferFeedback {
  constructor(
    readonly ledger: OfferLedger,
    readonly profiles: ProfileStore,
  ) {}

  async handle(envelope: Envelope): Promise<void> {
    switch (envelope.type) {
      case DeliveryReceipt.type:
        await this.ledger.applyReceipt(envelope.data as LedgerReceipt, envelope.ts);
        return;
      case CouponRedeemed.type: {
        const data = envelope.data as { deviceId: string; offerId: string };
        await this.profiles.record(data.deviceId, `redeemed:${data.offerId}`, { redemption: true });
        return;
      }
      case DeviceClick.type: {
        const data = envelope.data as { deviceId: string; category?: string; action: string };
        if (data.action === 'view') return; // a page view is not a click
        await this.profiles.record(data.deviceId, envelope.id, { click: data.category ?? null });
        return;
      }
    }
  }
}

/**
 * A device directory with a time-bounded cache in front (region, time zone and tags change rarely).
 * When the source can read several at once (`getMany`), the misses of one turn of the event loop —
 * a fetched batch's decisions, over its keys and partitions — are read in one statement (on PGlite
 * ~200 µs of CPU a statement, ~30 µs a device in tens), and concurrent misses of one id share it.
 */
export class CachedDevices<D> {
  readonly #cache = new Map<string, { value: D | null; until: number }>();
  readonly #batcher: TurnBatcher<string, D | null> | undefined;
  readonly #reading = new Map<string, Promise<D | null>>();

  constructor(
    readonly source: {
      get(id: string): Promise<D | null>;
      getMany?(ids: string[]): Promise<Array<D | null>>;
    },
    readonly ttlMs: number,
    readonly maxEntries = 100_000,
    readonly clock: () => number = Date.now,
  ) {
    const getMany = source.getMany?.bind(source);
    if (getMany !== undefined) this.#batcher = new TurnBatcher(getMany);
  }

  async get(id: string): Promise<D | null> {
    const now = this.clock();
    const hit = this.#cache.get(id);
    if (hit !== undefined && hit.until > now) return hit.value;
    let reading = this.#reading.get(id);
    if (reading === undefined) {
      reading = this.#batcher === undefined ? this.source.get(id) : this.#batcher.add(id);
      this.#reading.set(id, reading);
      const done = () => this.#reading.delete(id);
      reading.then(done, done);
    }
    const value = await reading;
    // Unknown devices are not cached: one may register a moment later.
    if (this.ttlMs > 0 && value !== null) {
      if (this.#cache.size >= this.maxEntries) this.#cache.delete(this.#cache.keys().next().value as string);
      this.#cache.set(id, { value, until: now + this.ttlMs });
    }
    return value;
  }
}
