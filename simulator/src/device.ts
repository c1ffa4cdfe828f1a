import {
  type Fix,
  type HexcastClient,
  type InboxItem,
  memoryStorage,
  type StorageAdapter,
  type TrackingModeName,
} from '@hexcast/mobile-sdk';
import {
  CATEGORIES,
  type LatentUser,
  latentUser,
  pick,
  redeemLogit,
  seededRandom,
  sigmoid,
} from '@hexcast/models';
import type { BrowsingState, SessionBrowsing } from './browsing.js';
import { CATEGORY_NAMES, type City, distanceM, offsetM, type Poi } from './city.js';
import { DEMO_PRODUCTS_PER_CATEGORY, demoProduct } from './demo.js';

/**
 * How a virtual device behaves (documented in simulator/README.md):
 * - it walks (1.1–1.7 m/s) or, one device in five, drives (7–13 m/s) from one point of interest
 *   to the next — mostly nearby (within 1.5 km), sometimes anywhere in the city;
 * - at each stop it stays 20–120 s (long enough for dwell triggers);
 * - its fixes carry GPS noise (σ = accuracy / 2, accuracy 4–15 m) and, rarely (1 in 2,000
 *   fixes), an impossible jump 30 km away;
 * - while awake it browses the catalogue: about `activity / 2` clicks a minute, in categories
 *   drawn from its latent preferences (the same latent user as the propensity model's behaviour
 *   model), or, with a click log (`DeviceHooks.browsing`), along that log's sessions (views);
 * - a coupon is opened with probability 0.75 after 1–4 s, and redeemed (at the till: through the
 *   merchant API) with the behaviour model's probability for this user, category and moment;
 * - about 3 % of devices per minute go offline for 20–120 s (the app is killed; its outbox
 *   storage survives and the next client resends what was buffered).
 */
export interface DeviceBehaviour {
  user: LatentUser;
  driving: boolean;
  speedMps: number;
}

export interface Received {
  id: string;
  code: string;
  campaignId: string;
  category?: string;
  triggeredAt: number;
  /**
   * When the message holding the triggering fix left the device: the fix's time when each fix is
   * a message of its own, the batch's last fix's time when fixes go together.
   */
  sentAt: number;
  issuedAt: number;
  receivedAt: number;
  expiresAt: number;
}

export interface DeviceHooks {
  /** A fresh SDK client for this device (the simulator knows the gateway and token source). */
  client(storage: StorageAdapter): HexcastClient;
  /**
   * The SDK tracking mode the app runs. `continuous` hands the SDK every fix (`trackLocation`): the
   * device samples once a tick, a second or more apart, which is that mode's interval. The others
   * go through `startTracking`, so the SDK's own filter and batching decide what is sent.
   */
  readonly mode: TrackingModeName;
  /**
   * In `continuous` mode, how many fixes go in one message (1, the default: each its own). Above
   * 1 the device runs the SDK's tracking with a mode of its own: every fix kept, batches of this
   * size, as the batched modes send them.
   */
  readonly fixesPerMessage?: number;
  /** Browse like a click log's sessions instead of at random within the preferred categories. */
  readonly browsing?: SessionBrowsing;
  onCoupon(device: VirtualDevice, offer: Received, duplicate: boolean): void;
  redeem(device: VirtualDevice, offer: Received): Promise<void>;
  now(): number;
  localHourDow(now: number): { hour: number; dow: number };
}

/** Batches remembered for `sentAt`: a coupon arrives within seconds of its batch. */
const BATCHES_KEPT = 32;

type Phase =
  | { kind: 'moving'; target: Poi }
  | { kind: 'stopped'; until: number; at: Poi }
  | { kind: 'offline'; until: number };

export class VirtualDevice {
  readonly behaviour: DeviceBehaviour;
  readonly storage = memoryStorage();
  readonly seen = new Set<string>();
  client: HexcastClient | null = null;
  position: { lat: number; lng: number };
  phase: Phase;
  fixes = 0;
  clicks = 0;
  /** Recommendation lists the app got: each one's click → inbox time, and the last list shown. */
  readonly recommendations: number[] = [];
  #shown: { products: Set<string>; until: number } | null = null;
  /** Clicks made while a list was shown, and those on a product the list held. */
  clicksWithList = 0;
  listHits = 0;
  /** SDK counters of this device's clients so far (a client is replaced after each offline spell). */
  readonly sdk = { sent: 0, acknowledged: 0, duplicateDropped: 0 };
  #lastMove: number;
  readonly #random: () => number;
  /** The SDK's callback for this device's location provider (modes other than `continuous`). */
  #onFix: ((fix: Fix) => void) | null = null;
  /** Where this device is in the log session it browses (with `hooks.browsing`). */
  #browsing: BrowsingState | null = null;
  /** The last batches the SDK sent (batched modes): their first and last fixes' times, and when. */
  readonly #batches: Array<{ firstTs: number; lastTs: number; at: number }> = [];

  constructor(
    readonly id: string,
    readonly city: City,
    seed: number,
    readonly hooks: DeviceHooks,
  ) {
    this.#random = seededRandom(seed);
    const user = latentUser(this.#random);
    const driving = this.#random() < 0.2;
    this.behaviour = {
      user,
      driving,
      speedMps: driving ? 7 + this.#random() * 6 : 1.1 + this.#random() * 0.6,
    };
    const start = this.#randomPoi();
    this.position = offsetM(start.lat, start.lng, (this.#random() - 0.5) * 600, (this.#random() - 0.5) * 600);
    this.phase = { kind: 'moving', target: this.#randomPoi() };
    this.#lastMove = hooks.now();
  }

  get online(): boolean {
    return this.phase.kind !== 'offline';
  }

  async start(): Promise<void> {
    this.client = this.hooks.client(this.storage);
    this.client.onOffer((item) => this.#onOffer(item));
    this.client.onRecommendation<{ clickedAt?: number; items?: Array<{ productId: string }> }>((item) => {
      const now = this.hooks.now();
      if (item.content.clickedAt !== undefined) this.recommendations.push(now - item.content.clickedAt);
      this.#shown = {
        products: new Set((item.content.items ?? []).map((i) => i.productId)),
        until: item.expiresAt,
      };
    });
    const perMessage = this.hooks.fixesPerMessage ?? 1;
    if (this.hooks.mode !== 'continuous' || perMessage > 1) {
      this.client.startTracking(
        {
          start: (onFix) => {
            this.#onFix = onFix;
          },
          stop: () => {
            this.#onFix = null;
          },
        },
        this.hooks.mode !== 'continuous'
          ? this.hooks.mode
          : {
              distanceFilterM: 0,
              minIntervalMs: 0,
              heartbeatMs: 0,
              batchSize: perMessage,
              // A tick is a second or more: a full batch goes out with its last fix, not by the timer.
              maxBatchDelayMs: perMessage * 1000,
            },
      );
      this.client.on('locationBatch', (batch) => {
        this.#batches.push(batch);
        if (this.#batches.length > BATCHES_KEPT) this.#batches.shift();
      });
    }
    await this.client.connect();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client === null) return;
    await client.close();
    const s = client.stats();
    this.sdk.sent += s.sent;
    this.sdk.acknowledged += s.acknowledged;
    this.sdk.duplicateDropped += s.duplicateDropped;
  }

  /** Moves, maybe goes offline or comes back, and hands the SDK a fix (its mode filter decides what is sent). */
  async tick(offlinePerTick: number, clicksPerTick: number): Promise<void> {
    const now = this.hooks.now();
    const dt = (now - this.#lastMove) / 1000;
    this.#lastMove = now;
    if (this.phase.kind === 'offline') {
      if (now < this.phase.until) return;
      this.phase = { kind: 'moving', target: this.#nextPoi() };
      await this.start();
    } else if (this.#random() < offlinePerTick) {
      this.phase = { kind: 'offline', until: now + 20_000 + this.#random() * 100_000 };
      await this.stop();
      return;
    }
    this.#move(now, dt);
    const accuracy = 4 + this.#random() * 11;
    const jump = this.#random() < 1 / 2000;
    const noise = () => gauss(this.#random) * (accuracy / 2);
    const at = jump
      ? offsetM(this.position.lat, this.position.lng, 30_000, 0)
      : offsetM(this.position.lat, this.position.lng, noise(), noise());
    this.fixes++;
    const fix = {
      lat: at.lat,
      lng: at.lng,
      accuracy,
      ts: now,
      speed: this.phase.kind === 'moving' ? this.behaviour.speedMps : 0,
    };
    if (this.#onFix !== null) this.#onFix(fix);
    else await this.client?.trackLocation(fix);
    if (this.#random() < clicksPerTick * (this.behaviour.user.activity / 2)) {
      const click = this.#nextClick();
      this.clicks++;
      if (this.#shown !== null && this.#shown.until > now) {
        this.clicksWithList++;
        if (this.#shown.products.has(click.productId)) this.listHits++;
      }
      await this.client?.track(click);
    }
  }

  /** A product in a preferred category, or the next one of the log session it browses. */
  #nextClick(): { productId: string; action: 'view' | 'click' | 'cart' | 'buy'; category: string } {
    const browsing = this.hooks.browsing;
    if (browsing !== undefined) {
      this.#browsing = browsing.click(this.#browsing, this.#random);
      const productId = this.#browsing.productId;
      return { productId, action: 'view', category: browsing.category(productId) };
    }
    const category = CATEGORY_NAMES[pick(this.#random, this.behaviour.user.preferences)]!;
    const actions = ['view', 'view', 'click', 'click', 'cart', 'buy'] as const;
    return {
      productId: demoProduct(category, Math.floor(this.#random() * DEMO_PRODUCTS_PER_CATEGORY)),
      action: actions[Math.floor(this.#random() * actions.length)]!,
      category,
    };
  }

  #move(now: number, dt: number): void {
    if (this.phase.kind === 'stopped') {
      if (now >= this.phase.until) this.phase = { kind: 'moving', target: this.#nextPoi() };
      return;
    }
    if (this.phase.kind !== 'moving') return;
    const target = this.phase.target;
    const left = distanceM(this.position, target);
    const step = this.behaviour.speedMps * dt;
    if (left <= step) {
      this.position = { lat: target.lat, lng: target.lng };
      this.phase = { kind: 'stopped', at: target, until: now + 20_000 + this.#random() * 100_000 };
      return;
    }
    const f = step / left;
    this.position = {
      lat: this.position.lat + (target.lat - this.position.lat) * f,
      lng: this.position.lng + (target.lng - this.position.lng) * f,
    };
  }

  #randomPoi(): Poi {
    return this.city.pois[Math.floor(this.#random() * this.city.pois.length)]!;
  }

  #nextPoi(): Poi {
    if (this.#random() < 0.25) return this.#randomPoi();
    for (let i = 0; i < 20; i++) {
      const p = this.#randomPoi();
      if (distanceM(this.position, p) < 1500) return p;
    }
    return this.#randomPoi();
  }

  /** When the fix of time `ts` left in a batch (its own time if it was not batched). */
  #sentAt(ts: number): number {
    for (const b of this.#batches) if (b.firstTs <= ts && ts <= b.lastTs) return b.at;
    return ts;
  }

  #onOffer(item: InboxItem): void {
    const content = item.content as {
      code: string;
      campaignId: string;
      category?: string;
      triggeredAt?: number;
      issuedAt?: number;
    };
    const now = this.hooks.now();
    const offer: Received = {
      id: item.id,
      code: content.code,
      campaignId: content.campaignId,
      ...(content.category === undefined ? {} : { category: content.category }),
      triggeredAt: content.triggeredAt ?? now,
      sentAt: this.#sentAt(content.triggeredAt ?? now),
      issuedAt: content.issuedAt ?? now,
      receivedAt: now,
      expiresAt: item.expiresAt,
    };
    const duplicate = this.seen.has(item.id);
    this.seen.add(item.id);
    this.hooks.onCoupon(this, offer, duplicate);
    if (duplicate || this.#random() >= 0.75) return;
    const category = Math.max(0, CATEGORY_NAMES.indexOf(offer.category as (typeof CATEGORY_NAMES)[number]));
    const { hour, dow } = this.hooks.localHourDow(now);
    const stop = this.phase.kind === 'stopped' ? this.phase.at : null;
    const distanceNorm = stop === null ? 1 : Math.min(distanceM(this.position, stop) / stop.radiusM, 1);
    const p = sigmoid(
      redeemLogit(this.behaviour.user, category % CATEGORIES, {
        distanceNorm,
        dwellMs: 0,
        localHour: hour,
        localDow: dow,
      }),
    );
    const redeem = this.#random() < p;
    setTimeout(
      () => {
        void item.open().catch(() => undefined);
        if (redeem && !item.isExpired()) void this.hooks.redeem(this, offer).catch(() => undefined);
      },
      1000 + this.#random() * 3000,
    ).unref();
  }
}

function gauss(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
