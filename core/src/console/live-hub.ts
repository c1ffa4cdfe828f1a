import { latLngToCell } from 'h3-js';
import type { Role } from '../auth/index.js';
import type { Envelope } from '../envelope/index.js';

/** What the console's live stream carries, and who may see each kind (admin sees all). */
export const LIVE_EVENT_ROLES = {
  /** Devices per H3 cell (resolution `DENSITY_RES`), the cells that changed in the last second. */
  cells: ['marketer'],
  /** A fence enter / exit / dwell. */
  geo: ['marketer'],
  /** Campaigns whose coupons moved (issued, delivered, expired, redeemed…): their stats changed. */
  campaigns: ['marketer'],
  /** Brands whose scored posts moved their sentiment summary. */
  sentiment: ['care', 'marketer'],
  /** A care alert raised. */
  alert: ['care'],
  /** A payment sent to review, or a reviewer's decision. */
  review: ['reviewer'],
  /** A record dead-lettered, or one replayed. */
  'dead-letter': [],
} as const satisfies Record<string, readonly Role[]>;
export type LiveEventType = keyof typeof LIVE_EVENT_ROLES;

export interface LiveEvent {
  id: number;
  type: LiveEventType;
  data: unknown;
}

export type LiveListener = (event: LiveEvent) => void;

/** H3 resolution of the live map's density cells (~0.7 km² each). */
export const DENSITY_RES = 8;
/** A device not heard from for this long leaves the density map. */
export const DENSITY_IDLE_MS = 5 * 60_000;

export function mayReceive(role: Role, type: LiveEventType): boolean {
  return role === 'admin' || (LIVE_EVENT_ROLES[type] as readonly Role[]).includes(role);
}

/**
 * The console's live events in one process: fed by a tail of the bus (see `capability.ts`), kept
 * in a ring so a tab that reconnects with `Last-Event-ID` misses nothing still held, and fanned
 * out to every open stream. High-rate inputs are folded before they reach a page: locations become
 * per-cell device counts and coupon traffic becomes the set of campaigns that changed, each sent
 * at most once per `flush()` (the capability calls it every second), coupon traffic once more at
 * the flush after.
 */
export class LiveHub {
  readonly #capacity: number;
  readonly #ring: LiveEvent[] = [];
  #nextId = 1;
  readonly #listeners = new Set<LiveListener>();
  readonly #clock: () => number;
  /** deviceId → its density cell and when it was last seen. */
  readonly #devices = new Map<string, { cell: string; at: number }>();
  readonly #density = new Map<string, number>();
  readonly #changedCells = new Set<string>();
  readonly #changedCampaigns = new Set<string>();
  #couponTraffic = false;
  /** The campaigns the last flush announced (null: it announced none): announced once more. */
  #announcedLast: string[] | null = null;
  readonly #changedBrands = new Set<string>();
  #densityWatchers = 0;

  constructor(options: { capacity: number; clock?: () => number }) {
    this.#capacity = options.capacity;
    this.#clock = options.clock ?? Date.now;
  }

  /** `role`: the subscriber's, so the hub knows whether anyone watches the density map. */
  subscribe(listener: LiveListener, role?: Role): () => void {
    this.#listeners.add(listener);
    const watches = role !== undefined && mayReceive(role, 'cells');
    if (watches) this.#densityWatchers++;
    return () => {
      if (this.#listeners.delete(listener) && watches) this.#densityWatchers--;
    };
  }

  /** Open streams that receive `cells`: while there are none, nobody needs locations read. */
  get densityWatchers(): number {
    return this.#densityWatchers;
  }

  /** Events after `lastId` still held (oldest first); `complete` is false when some were already dropped. */
  since(lastId: number): { events: LiveEvent[]; complete: boolean } {
    const first = this.#ring[0];
    const events = this.#ring.filter((e) => e.id > lastId);
    return { events, complete: first === undefined || first.id <= lastId + 1 || lastId === 0 };
  }

  /** The id the next event will get, less one: where a new stream starts. */
  get lastId(): number {
    return this.#nextId - 1;
  }

  emit(type: LiveEventType, data: unknown): LiveEvent {
    const event: LiveEvent = { id: this.#nextId++, type, data };
    this.#ring.push(event);
    if (this.#ring.length > this.#capacity) this.#ring.splice(0, this.#ring.length - this.#capacity);
    for (const listener of this.#listeners) listener(event);
    return event;
  }

  /** One bus record, from the tail. */
  async onRecord(envelope: Envelope): Promise<void> {
    const data = envelope.data as Record<string, unknown>;
    switch (envelope.type) {
      case 'device.location':
        // By the fix's time: a tail that starts minutes back does not make old fixes look fresh.
        this.#locate(
          String(data.deviceId),
          Number(data.lat),
          Number(data.lng),
          Math.min(envelope.ts, this.#clock()),
        );
        return;
      case 'geo.enter':
      case 'geo.exit':
      case 'geo.dwell':
        this.emit('geo', {
          kind: envelope.type.slice(4),
          campaignId: data.campaignId,
          lat: data.lat,
          lng: data.lng,
          at: envelope.ts,
        });
        return;
      case 'offer.issued':
      case 'delivery.receipt':
      case 'coupon.redeemed':
        // A receipt names no campaign: it still says coupon stats moved.
        this.#couponTraffic = true;
        if (typeof data.campaignId === 'string') this.#changedCampaigns.add(data.campaignId);
        return;
      case 'sentiment.scored':
        this.#changedBrands.add(envelope.key);
        return;
      case 'care.alert':
        this.emit('alert', data);
        return;
      case 'fraud.decided':
        if (data.action === 'review') this.emit('review', { kind: 'queued', ...data });
        return;
      case 'fraud.reviewed':
        this.emit('review', { kind: 'decided', ...data });
        return;
      default:
        return;
    }
  }

  #locate(deviceId: string, lat: number, lng: number, at: number) {
    if (!Number.isFinite(lat) || !Number.isFinite(lng)) return;
    const cell = latLngToCell(lat, lng, DENSITY_RES);
    const before = this.#devices.get(deviceId);
    if (before !== undefined && before.at > at) return; // an older fix than the one held
    if (before !== undefined && before.cell === cell) {
      before.at = at;
      return;
    }
    if (before !== undefined) this.#move(before.cell, -1);
    this.#devices.set(deviceId, { cell, at });
    this.#move(cell, 1);
  }

  #move(cell: string, by: number) {
    const n = (this.#density.get(cell) ?? 0) + by;
    if (n <= 0) this.#density.delete(cell);
    else this.#density.set(cell, n);
    this.#changedCells.add(cell);
  }

  /** Devices per density cell now. */
  density(): Array<[cell: string, devices: number]> {
    return [...this.#density];
  }

  /** Sends what was folded since the last flush; forgets idle devices. */
  flush(): void {
    const now = this.#clock();
    for (const [id, d] of this.#devices) {
      if (now - d.at <= DENSITY_IDLE_MS) continue;
      this.#devices.delete(id);
      this.#move(d.cell, -1);
    }
    if (this.#changedCells.size > 0) {
      const cells = [...this.#changedCells].map((c) => [c, this.#density.get(c) ?? 0] as const);
      this.#changedCells.clear();
      this.emit('cells', { resolution: DENSITY_RES, cells });
    }
    if (this.#changedBrands.size > 0) {
      this.emit('sentiment', { brands: [...this.#changedBrands] });
      this.#changedBrands.clear();
    }
    // Coupon traffic is announced at the flush after it and again at the next one: the ledger
    // applies receipts some time after they are on the bus (HX_OFFERS_RECEIPT_LINGER_MS), so a page
    // that refetched at the first announcement may have read the ledger before they were in it.
    if (this.#couponTraffic || this.#announcedLast !== null) {
      const ids = new Set([...this.#changedCampaigns, ...(this.#announcedLast ?? [])]);
      this.emit('campaigns', { ids: [...ids] });
      this.#announcedLast = this.#couponTraffic ? [...this.#changedCampaigns] : null;
      this.#changedCampaigns.clear();
      this.#couponTraffic = false;
    }
  }
}
