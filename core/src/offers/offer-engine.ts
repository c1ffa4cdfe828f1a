import {
  heuristicScorer,
  type PropensityArtifact,
  type PropensityInput,
  type PropensityScorer,
  TfPropensityScorer,
} from '@hexcast/models';
import type { Static } from '@sinclair/typebox';
import { v5 as uuidv5 } from 'uuid';
import type { BusProducer } from '../bus/index.js';
import { type Campaign, type FenceCatalogue, isLive, type OfferSettings } from '../campaigns/index.js';
import { DeliveryItemEvent } from '../delivery/index.js';
import type { Device } from '../devices/index.js';
import { deliveriesTopic, type Envelope, type EventRegistry, TOPICS } from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import {
  bbox,
  type FenceShape,
  GeoDwell,
  GeoEnter,
  type GeoEventDataSchema,
  haversineM,
} from '../geo/index.js';
import { inQuietHours, localTime } from '../local-time/index.js';
import { ModelSlot } from '../model-feed/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import { couponCode } from './coupon-code.js';
import type { Candidate, EligibilityStore } from './eligibility.js';
import { OfferIssued } from './events.js';
import type { LedgerInsert, LedgerOffer } from './ledger.js';
import type { DeviceProfile, ProfileStore } from './profile.js';
import { DEFAULT_SIGNAL_POLICY, type SignalPolicy, type Signals } from './signals.js';

type GeoEvent = Static<typeof GeoEventDataSchema>;

/** Where the engine finds a device's time zone and tags (and its region when a geo event lacks one). */
export interface DeviceDirectory {
  get(deviceId: string): Promise<Device | null>;
}

/** Where issued offers are recorded before they are sent (the ledger). */
export interface OfferSink {
  insert(offer: LedgerOffer): Promise<LedgerInsert>;
}

/** The scorer in use: the heuristic until the model feed swaps a `propensity` model in. */
export class ScorerSlot extends ModelSlot<PropensityScorer> {
  constructor() {
    super({
      name: 'propensity',
      fallback: heuristicScorer,
      fallbackMeans: 'offers are ranked by the heuristic',
      load: (artifact) => TfPropensityScorer.load(artifact as PropensityArtifact),
      // Calls already waiting for the old model's next batch are scored by it, then it is freed.
      dispose: (scorer) => {
        if (scorer instanceof TfPropensityScorer) scorer.dispose();
      },
    });
  }
}

export interface OfferEngineOptions {
  registry: EventRegistry;
  /** Where coupons are sent (a `BusProducer`). */
  producer: Pick<BusProducer, 'send'>;
  catalogue: FenceCatalogue;
  eligibility: EligibilityStore;
  profiles: ProfileStore;
  devices: DeviceDirectory;
  ledger: OfferSink;
  signals: Signals;
  scorer: ScorerSlot;
  metrics: Metrics;
  logger: Logger;
  codeSecret: string;
  clock?: () => number;
  /** Geo events older than this (by event time) get no coupon. */
  maxDecisionLagMs?: number;
  signalPolicy?: SignalPolicy;
}

/** Why a geo event led to no decision, or a campaign was not a candidate. */
export type SkipReason =
  | 'impossible-travel'
  | 'stale'
  | 'device-unknown'
  | 'no-campaign'
  | 'not-live'
  | 'quiet-hours'
  | 'audience'
  | 'device-risk'
  | 'brand-sentiment'
  | 'min-score';

export type Decision =
  | { outcome: 'issued'; offer: LedgerOffer; passedOver: Array<{ campaignId: string; reason: string }> }
  | { outcome: 'refused'; passedOver: Array<{ campaignId: string; reason: string }> }
  | { outcome: 'skipped'; reason: SkipReason };

const NAMESPACE = '6f0b7f0e-3c36-4d7e-9a55-2f1b1c7f4e21';

interface Scored {
  campaign: Campaign & { offer: OfferSettings };
  score: number;
}

/**
 * `hx.geo-events` → a coupon, or a counted reason for none. One decision per location fix that
 * triggers a campaign: candidates are the triggered campaign and every other live campaign with
 * an `enter` trigger whose fence holds the device; each is checked against its time rules
 * (schedule, quiet hours in the device's local time), audience and the `Signals` gate, ranked
 * by the propensity scorer, and the eligibility store issues the first one its budget and caps
 * allow — atomically. Ids and codes derive from the decision, so a replay re-sends the same
 * coupon (deduplicated downstream) and never spends twice.
 */
export class OfferEngine {
  readonly #o: OfferEngineOptions;
  readonly #clock: () => number;
  readonly #centres = new WeakMap<FenceShape, { lat: number; lng: number; radiusM: number }>();
  readonly #m;

  constructor(options: OfferEngineOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    const m = options.metrics;
    this.#m = {
      decisions: m.counter<'outcome'>({
        name: 'offers_decisions_total',
        help: 'offer decisions by outcome (issued, refused, skipped)',
        labelNames: ['outcome'],
      }),
      skipped: m.counter<'reason'>({
        name: 'offers_skipped_total',
        help: 'geo events or candidates left out before eligibility, by reason',
        labelNames: ['reason'],
      }),
      refused: m.counter<'reason'>({
        name: 'offers_refused_total',
        help: 'candidates refused by eligibility, by reason',
        labelNames: ['reason'],
      }),
      latency: m.histogram({
        name: 'offers_decision_seconds',
        help: 'time from a geo event reaching the engine to its decision',
        buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      }),
      scorer: m.counter<'kind'>({
        name: 'offers_scored_total',
        help: 'candidates scored, by scorer kind (model or heuristic)',
        labelNames: ['kind'],
      }),
    };
  }

  async handle(envelope: Envelope): Promise<void> {
    if (envelope.type !== GeoEnter.type && envelope.type !== GeoDwell.type) return;
    const started = performance.now();
    const decision = await this.decide(envelope as Envelope<GeoEvent>);
    this.#m.latency.observe((performance.now() - started) / 1000);
    this.#m.decisions.inc({ outcome: decision.outcome });
    if (decision.outcome === 'skipped') this.#m.skipped.inc({ reason: decision.reason });
  }

  /** Decides (and, when a coupon is issued, records and sends it). */
  async decide(envelope: Envelope<GeoEvent>): Promise<Decision> {
    const event = envelope.data;
    const kind = envelope.type === GeoEnter.type ? 'enter' : 'dwell';
    // Rules and the coupon's life run on the decision's clock (a fix that waited in a phone's
    // buffer must not shorten its coupon); the decision's identity is the fix's (device, event
    // time), so a replay gets the first answer from the eligibility store whatever the clock says.
    const at = this.#clock();
    if (event.impossibleTravel) return { outcome: 'skipped', reason: 'impossible-travel' };
    if (at - envelope.ts > (this.#o.maxDecisionLagMs ?? 60_000))
      return { outcome: 'skipped', reason: 'stale' };
    const triggered = this.#o.catalogue.campaign(event.campaignId);
    if (triggered?.offer === undefined || triggered.offer.trigger !== kind)
      return { outcome: 'skipped', reason: 'no-campaign' };
    // The three reads are independent: one wait, not three in a row (each is a round trip to
    // PostgreSQL or Redis when not cached, and under load each waits for a core).
    const [device, profile, risk] = await Promise.all([
      this.#o.devices.get(event.deviceId),
      this.#o.profiles.get(event.deviceId),
      this.#o.signals.deviceRisk(event.deviceId),
    ]);
    if (device === null) return { outcome: 'skipped', reason: 'device-unknown' };

    // The geo worker says which fences hold the fix; events written before it did are looked up.
    const others = (event.fences ?? this.#o.catalogue.lookup(event.lat, event.lng))
      .filter((id) => id !== triggered.id)
      .map((id) => this.#o.catalogue.campaign(id))
      .filter((c): c is Campaign => c?.offer?.trigger === 'enter');
    const policy = this.#o.signalPolicy ?? DEFAULT_SIGNAL_POLICY;
    const passedOver: Array<{ campaignId: string; reason: string }> = [];
    const pass = (campaignId: string, reason: SkipReason) => {
      passedOver.push({ campaignId, reason });
      this.#m.skipped.inc({ reason });
    };
    if (risk !== null && risk > policy.maxDeviceRisk) {
      for (const c of [triggered, ...others]) pass(c.id, 'device-risk');
      return { outcome: 'refused', passedOver };
    }
    const rule = (c: Campaign & { offer: OfferSettings }): SkipReason | null => {
      if (!isLive(c, at)) return 'not-live';
      const zone = device.timezone ?? c.timezone;
      if (c.offer.quietHours !== undefined && inQuietHours(at, zone, c.offer.quietHours))
        return 'quiet-hours';
      return inAudience(c.offer, device, profile) ? null : 'audience';
    };
    const considered = ([triggered, ...others] as Array<Campaign & { offer: OfferSettings }>).map((c) => ({
      c,
      reason: rule(c),
    }));
    // The sentiments of the brands the rules let through, read at once.
    const brands = new Set(
      considered.flatMap(({ c, reason }) => (reason === null && c.brand !== undefined ? [c.brand] : [])),
    );
    const moods = new Map(
      await Promise.all([...brands].map(async (b) => [b, await this.#o.signals.brandSentiment(b)] as const)),
    );
    const open: Array<Campaign & { offer: OfferSettings }> = [];
    for (const { c, reason } of considered) {
      const sentiment = c.brand === undefined ? null : (moods.get(c.brand) ?? null);
      if (reason !== null) pass(c.id, reason);
      else if (sentiment !== null && sentiment < policy.minBrandSentiment) pass(c.id, 'brand-sentiment');
      else open.push(c);
    }
    const ranked = await this.#rank(
      open,
      event,
      profile,
      kind === 'dwell' ? (event.dwellMs ?? 0) : 0,
      at,
      device,
    );
    const candidates: Candidate[] = [];
    const byId = new Map<string, Scored>();
    for (const s of ranked) {
      if (s.score < s.campaign.offer.minScore) {
        pass(s.campaign.id, 'min-score');
        continue;
      }
      byId.set(s.campaign.id, s);
      candidates.push({
        campaignId: s.campaign.id,
        expiresAt: Math.min(at + s.campaign.offer.ttlSeconds * 1000, Date.parse(s.campaign.endsAt)),
        limits: {
          budget: s.campaign.offer.budget,
          capPerDevice: s.campaign.offer.capPerDevice,
          capPerDevicePerDay: s.campaign.offer.capPerDevicePerDay,
          couponGapMs: s.campaign.offer.couponGapSeconds * 1000,
        },
      });
    }
    if (candidates.length === 0) return { outcome: 'refused', passedOver };
    const decisionId = uuidv5(`${event.deviceId}|${envelope.ts}`, NAMESPACE);
    const result = await this.#o.eligibility.tryIssue({
      decisionId,
      deviceId: event.deviceId,
      day: localTime(at, device.timezone ?? triggered.timezone).date,
      now: at,
      candidates,
    });
    if (!result.issued) {
      for (const [campaignId, reason] of result.refused) {
        passedOver.push({ campaignId, reason });
        this.#m.refused.inc({ reason });
      }
      return { outcome: 'refused', passedOver };
    }
    const chosen = byId.get(result.campaignId);
    if (chosen === undefined) {
      // A replayed decision issued a campaign this run did not rank (it changed since): re-send nothing new.
      this.#o.logger.warn(
        { decisionId, campaignId: result.campaignId },
        'replayed decision: campaign no longer ranked',
      );
      return { outcome: 'refused', passedOver };
    }
    for (const [campaignId, reason] of result.refused) {
      passedOver.push({ campaignId, reason });
      this.#m.refused.inc({ reason });
    }
    const offer = await this.#issue(
      envelope,
      chosen,
      candidates,
      decisionId,
      { ...device, region: event.region ?? device.region },
      passedOver,
      at,
    );
    return { outcome: 'issued', offer, passedOver };
  }

  async #rank(
    campaigns: Array<Campaign & { offer: OfferSettings }>,
    event: GeoEvent,
    profile: DeviceProfile,
    dwellMs: number,
    at: number,
    device: Device,
  ): Promise<Scored[]> {
    if (campaigns.length === 0) return [];
    const scorer = this.#o.scorer.current;
    const inputs = campaigns.map((c): PropensityInput => {
      const centre = this.#centre(c.fence);
      const local = localTime(at, device.timezone ?? c.timezone);
      return {
        categoryClicks: c.offer.category === undefined ? 0 : (profile.clicks[c.offer.category] ?? 0),
        totalClicks: profile.totalClicks,
        offersReceived: profile.offers,
        redemptions: profile.redemptions,
        distanceNorm: haversineM(centre.lat, centre.lng, event.lat, event.lng) / centre.radiusM,
        dwellMs,
        localHour: local.minute / 60,
        localDow: local.dow,
      };
    });
    const scores = await scorer.score(inputs);
    this.#m.scorer.inc({ kind: scorer.kind }, campaigns.length);
    return campaigns
      .map((campaign, i) => ({ campaign, score: scores[i] ?? 0 }))
      .sort((a, b) => b.score - a.score || a.campaign.id.localeCompare(b.campaign.id));
  }

  async #issue(
    trigger: Envelope<GeoEvent>,
    chosen: Scored,
    candidates: Candidate[],
    decisionId: string,
    device: Device,
    passedOver: Array<{ campaignId: string; reason: string }>,
    decidedAt: number,
  ): Promise<LedgerOffer> {
    const { campaign } = chosen;
    const candidate = candidates.find((c) => c.campaignId === campaign.id)!;
    const offerId = uuidv5(`${decisionId}|${campaign.id}`, NAMESPACE);
    const offer: LedgerOffer = {
      id: offerId,
      code: couponCode(this.#o.codeSecret, decisionId, campaign.id, campaign.offer.codePrefix),
      decisionId,
      campaignId: campaign.id,
      deviceId: device.id,
      region: device.region,
      issuedAt: decidedAt,
      expiresAt: candidate.expiresAt,
      score: chosen.score,
      scorer: this.#o.scorer.current.version,
    };
    // Ledger first: a coupon on its way always has its row (a replay finds it and re-sends). A
    // row that is another offer's (same decision or code) means this one must not go out.
    if ((await this.#o.ledger.insert(offer)) === 'conflict')
      throw new HexcastError(
        'HX_OFFERS_LEDGER_CONFLICT',
        `offer ${offerId} not sent: the ledger holds another offer for decision ${decisionId} or code ${offer.code}`,
        { details: { offerId, decisionId, campaignId: campaign.id } },
      );
    const registry = this.#o.registry;
    // Both records are the same coupon: one id (the offer's), key, time and deadline.
    const envelope = {
      id: offerId,
      key: device.id,
      ts: offer.issuedAt,
      expiresAt: offer.expiresAt,
      source: { kind: 'processor', id: 'offers' },
    };
    // The device's offer count goes to its profile while the coupon goes out: neither waits on
    // the other, and a retry after either fails repeats both (the records share the offer's id).
    await Promise.all([
      this.#o.profiles.record(device.id, offerId, { offer: true }),
      this.#o.producer.send(
        TOPICS.offers,
        registry.create(OfferIssued, {
          ...envelope,
          data: {
            offerId,
            code: offer.code,
            campaignId: campaign.id,
            deviceId: device.id,
            region: device.region,
            decisionId,
            triggerId: trigger.id,
            triggeredAt: trigger.ts,
            issuedAt: offer.issuedAt,
            expiresAt: offer.expiresAt,
            score: offer.score,
            scorer: offer.scorer,
            passedOver,
          },
        }),
      ),
      this.#o.producer.send(
        deliveriesTopic(device.region),
        registry.create(DeliveryItemEvent, {
          ...envelope,
          data: {
            deviceId: device.id,
            kind: 'offer',
            content: {
              offerId,
              code: offer.code,
              campaignId: campaign.id,
              title: campaign.offer.title,
              body: campaign.offer.body,
              ...(campaign.offer.category === undefined ? {} : { category: campaign.offer.category }),
              expiresAt: offer.expiresAt,
              // The triggering fix's time and the decision's: apps (and the simulator) measure latency.
              triggeredAt: trigger.ts,
              issuedAt: offer.issuedAt,
            },
            notification: { title: campaign.offer.title, body: campaign.offer.body },
          },
        }),
      ),
    ]);
    return offer;
  }

  #centre(shape: FenceShape): { lat: number; lng: number; radiusM: number } {
    let c = this.#centres.get(shape);
    if (c === undefined) {
      if (shape.type === 'Circle') c = { lng: shape.center[0], lat: shape.center[1], radiusM: shape.radiusM };
      else {
        const [w, s, e, n] = bbox(shape);
        const lat = (s + n) / 2;
        const lng = (w + e) / 2;
        c = { lat, lng, radiusM: Math.max(haversineM(lat, lng, n, e), 1) };
      }
      this.#centres.set(shape, c);
    }
    return c;
  }
}

function inAudience(offer: OfferSettings, device: Device, profile: DeviceProfile): boolean {
  const a = offer.audience;
  if (a === undefined) return true;
  const tags = new Set(device.tags ?? []);
  if (a.anyTags !== undefined && a.anyTags.length > 0 && !a.anyTags.some((t) => tags.has(t))) return false;
  if (a.noneTags?.some((t) => tags.has(t))) return false;
  if (a.minClicks !== undefined) {
    const clicks = offer.category === undefined ? profile.totalClicks : (profile.clicks[offer.category] ?? 0);
    if (clicks < a.minClicks) return false;
  }
  if (a.minRedemptions !== undefined && profile.redemptions < a.minRedemptions) return false;
  return true;
}
