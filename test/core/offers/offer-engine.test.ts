import {
  AuditLog,
  type Broker,
  CAMPAIGN_EVENTS,
  type Campaign,
  DELIVERY_EVENTS,
  type Device,
  deliveriesTopic,
  type Envelope,
  FenceCatalogue,
  FRAUD_EVENTS,
  GEO_EVENTS,
  GeoDwell,
  GeoEnter,
  type LedgerOffer,
  MemoryEligibilityStore,
  MemoryFenceIndex,
  MemoryProfileStore,
  migrate,
  neutralSignals,
  OFFER_EVENTS,
  OfferEngine,
  type OfferEngineOptions,
  OfferIssued,
  OfferLedger,
  type OfferSettings,
  PaymentStore,
  PgliteRecords,
  RedisEligibilityStore,
  RedisProfileStore,
  ScorerSlot,
  SentimentSummary,
  type Signals,
  silentLogger,
  TOPICS,
} from '@hexcast/core';
import type { PropensityScorer } from '@hexcast/models';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { offerSettings } from '../../fixtures/offers.js';
import { startBroker } from '../../helpers/broker.js';
import { type BusFixture, busFor, metricValue } from '../../helpers/bus.js';
import { fraudEngineFor } from '../../helpers/fraud.js';
import { collectTopic } from '../../helpers/gateway.js';
import { hasService, useRedis } from '../../helpers/services.js';
import { waitFor } from '../../helpers/wait-for.js';

const NOW = Date.parse('2026-11-26T12:00:00Z'); // a Thursday, 13:00 in Paris
const CENTRE: [number, number] = [2.3376, 48.8606];

let version = 0;
const campaign = (id: string, o: Partial<OfferSettings> = {}, over: Partial<Campaign> = {}): Campaign => ({
  id,
  version: ++version,
  name: id,
  status: 'active',
  fence: { type: 'Circle', center: CENTRE, radiusM: 200 },
  dwellSeconds: 60,
  exitDebounceSeconds: 60,
  startsAt: '2026-01-01T00:00:00Z',
  endsAt: '2027-01-01T00:00:00Z',
  timezone: 'Europe/Paris',
  offer: offerSettings(o),
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});

describe('offer engine (memory engines, embedded broker)', () => {
  let broker: Broker;
  let bus: BusFixture;
  let records: PgliteRecords;
  let ledger: OfferLedger;
  beforeAll(async () => {
    records = await PgliteRecords.open(null);
    await migrate(records);
    ledger = new OfferLedger(records);
    broker = await startBroker();
    bus = await busFor(broker);
    for (const e of [...GEO_EVENTS, ...CAMPAIGN_EVENTS, ...OFFER_EVENTS, ...DELIVERY_EVENTS])
      bus.registry.register(e);
  });
  afterAll(async () => {
    await bus.close();
    await broker.close();
    await records.close();
  });
  // Each test decides in a world of its own: the same device and fix time are a new decision.
  beforeEach(async () => void (await records.query('DELETE FROM offers')));

  function setup(
    campaigns: Campaign[],
    options: {
      devices?: Device[];
      signals?: Signals;
      clock?: () => number;
      scorer?: PropensityScorer;
      /** Wraps the engine's dependencies (a test watching what it asks, and when). */
      wrap?: (o: OfferEngineOptions) => OfferEngineOptions;
    } = {},
  ) {
    const catalogue = new FenceCatalogue(new MemoryFenceIndex(), () => NOW);
    for (const c of campaigns) catalogue.apply(c, false);
    const devices = new Map(
      (options.devices ?? [{ id: 'dev-1', region: 'eu', platform: 'ios', timezone: null, tags: [] }]).map(
        (d) => [d.id, d],
      ),
    );
    const profiles = new MemoryProfileStore();
    const eligibility = new MemoryEligibilityStore();
    const slot = new ScorerSlot();
    if (options.scorer) slot.current = options.scorer;
    const wrap = options.wrap ?? ((o: OfferEngineOptions) => o);
    const engine = new OfferEngine(
      wrap({
        registry: bus.registry,
        producer: bus.producer,
        catalogue,
        eligibility,
        profiles,
        devices: { get: async (id) => devices.get(id) ?? null },
        ledger,
        signals: options.signals ?? neutralSignals,
        scorer: slot,
        metrics: bus.metrics,
        logger: silentLogger(),
        codeSecret: 'a-test-secret-for-coupon-codes-0123456789',
        clock: options.clock ?? (() => NOW),
      }),
    );
    return { engine, ledger, profiles, eligibility, slot };
  }

  let seq = 0;
  const geo = (
    campaignId: string,
    over: {
      kind?: 'enter' | 'dwell';
      ts?: number;
      deviceId?: string;
      lat?: number;
      lng?: number;
      impossible?: boolean;
    } = {},
  ): Envelope<never> =>
    bus.registry.create(over.kind === 'dwell' ? GeoDwell : GeoEnter, {
      id: `geo-${++seq}`,
      key: over.deviceId ?? 'dev-1',
      ts: over.ts ?? NOW,
      source: { kind: 'processor', id: 'geo' },
      data: {
        deviceId: over.deviceId ?? 'dev-1',
        fenceId: campaignId,
        campaignId,
        lat: over.lat ?? CENTRE[1],
        lng: over.lng ?? CENTRE[0],
        h3: '',
        accuracy: 5,
        visitStartedAt: over.ts ?? NOW,
        ...(over.kind === 'dwell' ? { dwellMs: 120_000 } : {}),
        impossibleTravel: over.impossible ?? false,
      },
    }) as Envelope<never>;

  it('issues one coupon to hx.offers and the device region’s delivery topic; a replay re-sends the same coupon and spends nothing', async () => {
    const { engine, eligibility } = setup([campaign('c-issue', { ttlSeconds: 300 })]);
    const offers = await collectTopic(bus.kafka, bus.registry, TOPICS.offers.name);
    const deliveries = await collectTopic(bus.kafka, bus.registry, deliveriesTopic('eu').name);
    const event = geo('c-issue');
    const decision = await engine.decide(event);
    expect(decision.outcome).toBe('issued');
    if (decision.outcome !== 'issued') return;
    const o = decision.offer;
    expect(o).toMatchObject({ campaignId: 'c-issue', deviceId: 'dev-1', region: 'eu', issuedAt: NOW });
    expect(o.expiresAt).toBe(NOW + 300_000);
    expect(o.code).toMatch(/^HX-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    const replay = await engine.decide(event);
    // The same coupon (the score may differ: the device's profile now counts the first issue).
    expect(replay).toMatchObject({ outcome: 'issued', offer: { ...o, score: expect.any(Number) } });
    expect(await eligibility.spent('c-issue')).toBe(1);
    await waitFor(() => offers.envelopes.length === 2 && deliveries.envelopes.length === 2, {
      timeoutMs: 10_000,
      message: 'both sends of both runs',
    });
    // Both sends of both runs carry the offer id: downstream they are one coupon.
    expect(new Set([...offers.envelopes, ...deliveries.envelopes].map((e) => e.id))).toEqual(new Set([o.id]));
    expect(deliveries.envelopes[0]).toMatchObject({
      key: 'dev-1',
      expiresAt: o.expiresAt,
      data: { deviceId: 'dev-1', kind: 'offer', content: { code: o.code, title: 'Coffee −20%' } },
    });
    expect(offers.envelopes[0]!.data).toMatchObject({
      code: o.code,
      scorer: 'heuristic-v1',
      triggerId: event.id,
    });
    // The real ledger holds the coupon once: the replay found its row (and re-sent it).
    expect(await ledger.byId(o.id)).toMatchObject({ code: o.code, campaignId: 'c-issue', status: 'issued' });
    expect((await ledger.stats('c-issue')).issued).toBe(1);
    await offers.close();
    await deliveries.close();
  });

  it('asks its independent reads at once (device, profile, risk; the brands) and counts the offer in the profile while the coupon is sent', async () => {
    // Each wait is a round trip to PostgreSQL or Redis in a deployment: in a row they add up.
    const log: string[] = [];
    // An answer comes a turn of the event loop later: a decision that waits for one before it
    // asks the next logs the answer in between.
    const later = async <T>(name: string, answer: () => Promise<T>): Promise<T> => {
      log.push(`ask ${name}`);
      await new Promise((resolve) => setImmediate(resolve));
      log.push(`answer ${name}`);
      return answer();
    };
    const { engine } = setup(
      [
        campaign('c-a', {}, { brand: 'brand-a' }),
        campaign('c-b', {}, { fence: { type: 'Circle', center: CENTRE, radiusM: 300 }, brand: 'brand-b' }),
      ],
      {
        signals: {
          deviceRisk: (id) => later('risk', () => neutralSignals.deviceRisk(id)),
          brandSentiment: (brand) => later(`mood ${brand}`, () => neutralSignals.brandSentiment(brand)),
        },
        wrap: (o) => ({
          ...o,
          devices: { get: (id) => later('device', () => o.devices.get(id)) },
          profiles: {
            get: (id) => later('profile', () => o.profiles.get(id)),
            record: (id, eventId, change) => later('count', () => o.profiles.record(id, eventId, change)),
          },
          producer: {
            send: (topic: Parameters<typeof o.producer.send>[0], envelope: Envelope) => {
              log.push(`send ${typeof topic === 'string' ? topic : topic.name}`);
              return o.producer.send(topic, envelope);
            },
          } as typeof o.producer,
        }),
      },
    );
    const decision = await engine.decide(geo('c-a'));
    expect(decision.outcome).toBe('issued');
    const at = (entry: string) => log.indexOf(entry);
    expect(new Set(log.slice(0, 3))).toEqual(new Set(['ask device', 'ask profile', 'ask risk']));
    expect(new Set(log.slice(6, 8))).toEqual(new Set(['ask mood brand-a', 'ask mood brand-b']));
    expect(at('ask count')).toBeLessThan(at('answer count'));
    expect(at('send hx.offers')).toBeLessThan(at('answer count'));
    expect(at(`send ${deliveriesTopic('eu').name}`)).toBeLessThan(at('answer count'));
  });

  it('sends nothing when the ledger holds another offer for the decision: the event is refused with a code', async () => {
    const { engine } = setup([campaign('c-conflict')]);
    const offers = await collectTopic(bus.kafka, bus.registry, TOPICS.offers.name);
    const event = geo('c-conflict', { deviceId: 'dev-1', ts: NOW - 7 });
    // What the engine will decide, written first under another offer id (as a changed replay would).
    const decided = await setup([campaign('c-conflict')]).engine.decide(event);
    expect(decided.outcome).toBe('issued');
    if (decided.outcome !== 'issued') return;
    await records.query('UPDATE offers SET id = $1 WHERE id = $2', ['someone-else', decided.offer.id]);
    const sent = () => offers.envelopes.filter((e) => e.id === decided.offer.id);
    await waitFor(() => sent().length === 1, { message: 'the first decision was sent' });
    await expect(engine.decide(event)).rejects.toMatchObject({ code: 'HX_OFFERS_LEDGER_CONFLICT' });
    // A marker after it: once the marker is read, a coupon sent before it would have been too.
    const marker = bus.registry.create(OfferIssued, {
      key: 'dev-1',
      source: { kind: 'test', id: 'marker' },
      data: sent()[0]!.data as never,
    });
    await bus.producer.send(TOPICS.offers, marker);
    await waitFor(() => offers.envelopes.some((e) => e.id === marker.id));
    expect(sent()).toHaveLength(1);
    await offers.close();
  });

  it('a coupon never outlives its campaign: expiresAt = min(now + TTL, campaign end)', async () => {
    const endsAt = new Date(NOW + 60_000).toISOString();
    const { engine } = setup([campaign('c-end', { ttlSeconds: 3600 }, { endsAt })]);
    const d = await engine.decide(geo('c-end'));
    expect(d.outcome === 'issued' && d.offer.expiresAt).toBe(NOW + 60_000);
  });

  it('ranks the campaigns holding the device and issues only the best one the limits allow', async () => {
    const { engine, profiles } = setup([
      campaign('c-coffee', { category: 'coffee' }),
      campaign('c-shoes', { category: 'shoes' }),
      campaign('c-dwell-only', { category: 'shoes', trigger: 'dwell' }),
    ]);
    for (let i = 0; i < 6; i++) await profiles.record('dev-1', `click-${i}`, { click: 'shoes' });
    const d = await engine.decide(geo('c-coffee'));
    // Triggered by the coffee fence, but this shopper clicks shoes: the shoes coupon wins.
    expect(d.outcome === 'issued' && d.offer.campaignId).toBe('c-shoes');
    // The next fix: shoes is held, coffee is next.
    const next = await engine.decide(geo('c-coffee', { ts: NOW + 5000 }));
    expect(next).toMatchObject({
      outcome: 'issued',
      passedOver: [{ campaignId: 'c-shoes', reason: 'holding' }],
    });
    expect(next.outcome === 'issued' && next.offer.campaignId).toBe('c-coffee');
    expect((await profiles.get('dev-1')).offers).toBe(2);
    // An enter event for a dwell-triggered campaign decides nothing.
    expect(await engine.decide(geo('c-dwell-only', { ts: NOW + 9000 }))).toEqual({
      outcome: 'skipped',
      reason: 'no-campaign',
    });
    const dwell = await engine.decide(geo('c-dwell-only', { kind: 'dwell', ts: NOW + 10_000 }));
    expect(dwell.outcome === 'issued' && dwell.offer.campaignId).toBe('c-dwell-only');
  });

  it('skips, with a counted reason: impossible travel, stale events, unknown devices', async () => {
    const { engine } = setup([campaign('c-skip')], { clock: () => NOW + 120_000 });
    expect(await engine.decide(geo('c-skip', { impossible: true, ts: NOW + 119_000 }))).toEqual({
      outcome: 'skipped',
      reason: 'impossible-travel',
    });
    expect(await engine.decide(geo('c-skip', { ts: NOW }))).toEqual({ outcome: 'skipped', reason: 'stale' });
    expect(await engine.decide(geo('c-skip', { ts: NOW + 119_000, deviceId: 'nobody' }))).toEqual({
      outcome: 'skipped',
      reason: 'device-unknown',
    });
    await engine.handle(geo('c-skip', { ts: NOW }));
    expect(
      await metricValue(bus.metrics, 'hexcast_offers_skipped_total', { reason: 'stale' }),
    ).toBeGreaterThan(0);
  });

  it('quiet hours are read in the device’s own time zone, else the campaign’s', async () => {
    const quiet = { quietHours: { start: '12:30', end: '14:00' } };
    const { engine } = setup([campaign('c-quiet', quiet)], {
      devices: [
        { id: 'in-paris', region: 'eu', platform: 'ios', timezone: null, tags: [] }, // 13:00 Paris: quiet
        { id: 'in-nyc', region: 'eu', platform: 'ios', timezone: 'America/New_York', tags: [] }, // 07:00
      ],
    });
    expect(await engine.decide(geo('c-quiet', { deviceId: 'in-paris' }))).toEqual({
      outcome: 'refused',
      passedOver: [{ campaignId: 'c-quiet', reason: 'quiet-hours' }],
    });
    expect((await engine.decide(geo('c-quiet', { deviceId: 'in-nyc' }))).outcome).toBe('issued');
  });

  it('audience rules (tags, clicks, redemptions), the Signals gate and a minimum score', async () => {
    const risky = new Set(['risky']);
    const signals: Signals = {
      deviceRisk: async (id) => (risky.has(id) ? 0.95 : 0.1),
      brandSentiment: async (brand) => (brand === 'hated-brand' ? -0.9 : null),
    };
    const { engine, profiles } = setup(
      [
        campaign('c-vip', { audience: { anyTags: ['vip'], noneTags: ['staff'] } }),
        campaign(
          'c-fans',
          { category: 'tea', audience: { minClicks: 2, minRedemptions: 1 } },
          {
            fence: { type: 'Circle', center: [2.35, 48.85], radiusM: 100 },
          },
        ),
        campaign(
          'c-hated',
          {},
          { fence: { type: 'Circle', center: [2.36, 48.86], radiusM: 100 }, brand: 'hated-brand' },
        ),
        campaign(
          'c-picky',
          { minScore: 0.99 },
          { fence: { type: 'Circle', center: [2.37, 48.87], radiusM: 100 } },
        ),
      ],
      {
        signals,
        devices: [
          { id: 'vip', region: 'eu', platform: 'ios', timezone: null, tags: ['vip'] },
          { id: 'vip-staff', region: 'eu', platform: 'ios', timezone: null, tags: ['vip', 'staff'] },
          { id: 'plain', region: 'eu', platform: 'ios', timezone: null, tags: [] },
          { id: 'risky', region: 'eu', platform: 'ios', timezone: null, tags: ['vip'] },
        ],
      },
    );
    const reason = async (c: string, deviceId: string, at: [number, number] = CENTRE) => {
      const d = await engine.decide(geo(c, { deviceId, lng: at[0], lat: at[1] }));
      return d.outcome === 'issued' ? 'issued' : d.outcome === 'refused' ? d.passedOver[0]?.reason : d.reason;
    };
    expect(await reason('c-vip', 'plain')).toBe('audience');
    expect(await reason('c-vip', 'vip-staff')).toBe('audience');
    expect(await reason('c-vip', 'risky')).toBe('device-risk');
    expect(await reason('c-vip', 'vip')).toBe('issued');
    await profiles.record('plain', 'k1', { click: 'tea' });
    await profiles.record('plain', 'k2', { click: 'tea' });
    expect(await reason('c-fans', 'plain', [2.35, 48.85])).toBe('audience'); // no redemption yet
    await profiles.record('plain', 'r1', { redemption: true });
    expect(await reason('c-fans', 'plain', [2.35, 48.85])).toBe('issued');
    expect(await reason('c-hated', 'plain', [2.36, 48.86])).toBe('brand-sentiment');
    expect(await reason('c-picky', 'plain', [2.37, 48.87])).toBe('min-score');
  });

  it("a negative spike in the brand's posts pauses its coupons (Signals.brandSentiment from the live summary), and they return when it passes", async () => {
    let now = NOW;
    const summary = new SentimentSummary({ spikeMinPosts: 10, spikeMargin: 0.3, now: () => now });
    let n = 0;
    const minute = (m: number, negatives: number) => {
      now = NOW - 30 * 60_000 + m * 60_000;
      for (let i = 0; i < 20; i++)
        summary.add({
          brand: 'acme',
          channel: 'x',
          postId: `p${n++}`,
          compound: i < negatives ? -0.7 : 0.5,
          label: i < negatives ? 'negative' : 'positive',
          hashtags: [],
          terms: [],
          createdAt: now,
        });
    };
    const { engine } = setup(
      [
        campaign('c-acme', {}, { brand: 'acme' }),
        campaign('c-other', {}, { fence: { type: 'Circle', center: [2.36, 48.86], radiusM: 100 } }),
      ],
      {
        signals: { ...neutralSignals, brandSentiment: async (brand) => summary.brandMood(brand) },
        devices: [
          { id: 'd1', region: 'eu', platform: 'ios', timezone: null, tags: [] },
          { id: 'd2', region: 'eu', platform: 'ios', timezone: null, tags: [] },
          { id: 'd3', region: 'eu', platform: 'ios', timezone: null, tags: [] },
        ],
      },
    );
    const outcome = async (c: string, deviceId: string) => {
      const d = await engine.decide(geo(c, { deviceId }));
      return d.outcome === 'issued' ? 'issued' : d.outcome === 'refused' ? d.passedOver[0]?.reason : d.reason;
    };
    for (let m = 0; m < 10; m++) minute(m, 2);
    expect(await outcome('c-acme', 'd1')).toBe('issued');
    minute(10, 16); // the spike
    expect(summary.brandMood('acme')).toBe(-1);
    expect(await outcome('c-acme', 'd2')).toBe('brand-sentiment');
    expect(await outcome('c-other', 'd2')).toBe('issued'); // a campaign without the brand is untouched
    minute(11, 2); // it passes
    expect(await outcome('c-acme', 'd3')).toBe('issued');
  });

  it('a device whose payment the fraud pipeline declined gets no coupon (Signals.deviceRisk from the fraud state); a clean one does', async () => {
    for (const e of FRAUD_EVENTS) bus.registry.register(e);
    const store = new PaymentStore(records, new AuditLog(records));
    await store.putMerchant('shop-signals', 'key-1', {
      name: 'shop',
      currencies: ['EUR'],
      rules: [{ id: 'huge', when: 'amount > 2000', action: 'decline' }],
    });
    const { handle, state } = fraudEngineFor(bus, store);
    const pay = (paymentId: string, deviceId: string, amount: number) =>
      handle({
        paymentId,
        merchantId: 'shop-signals',
        amount,
        currency: 'EUR',
        card: { fingerprint: `card-of-${deviceId}`, binCountry: 'FR' },
        customer: { id: `cus-${deviceId}`, emailHash: `mail-of-${deviceId}` },
        deviceId,
        createdAt: NOW,
      });
    await pay('sig-1', 'fraudster', 5000);
    await pay('sig-2', 'shopper', 30);
    expect(await state.deviceRisk('fraudster')).toBeGreaterThanOrEqual(0.9);
    expect(await state.deviceRisk('shopper')).toBeLessThan(0.5);
    const { engine } = setup([campaign('c-signals')], {
      signals: { ...neutralSignals, deviceRisk: (id) => state.deviceRisk(id) },
      devices: ['fraudster', 'shopper'].map((id) => ({
        id,
        region: 'eu',
        platform: 'ios' as const,
        timezone: null,
        tags: [],
      })),
    });
    const refused = await engine.decide(geo('c-signals', { deviceId: 'fraudster' }));
    expect(refused.outcome === 'refused' ? refused.passedOver[0]?.reason : refused.outcome).toBe(
      'device-risk',
    );
    expect((await engine.decide(geo('c-signals', { deviceId: 'shopper' }))).outcome).toBe('issued');
  });

  it('ranks with whatever scorer the slot holds now (a swapped-in model answers the next decision)', async () => {
    const model: PropensityScorer = {
      kind: 'model',
      version: 'propensity-test-1',
      // Prefers whichever is farther from the centre: the opposite of the heuristic.
      score: async (inputs) => Float32Array.from(inputs, (x) => Math.min(x.distanceNorm, 1)),
    };
    const near = campaign('c-near', {}, { fence: { type: 'Circle', center: CENTRE, radiusM: 300 } });
    const far = campaign(
      'c-far',
      {},
      { fence: { type: 'Circle', center: [CENTRE[0] + 0.002, CENTRE[1]], radiusM: 300 } },
    );
    const { engine, slot } = setup([near, far]);
    const first = await engine.decide(geo('c-near', { deviceId: 'dev-1' }));
    expect(first.outcome === 'issued' && [first.offer.campaignId, first.offer.scorer]).toEqual([
      'c-near',
      'heuristic-v1',
    ]);
    slot.current = model;
    const second = await engine.decide(geo('c-near', { ts: NOW + 1, deviceId: 'dev-1' }));
    expect(second.outcome === 'issued' && [second.offer.campaignId, second.offer.scorer]).toEqual([
      'c-far',
      'propensity-test-1',
    ]);
  });

  it.skipIf(!hasService('redis'))(
    'two workers on Redis, racing on the same events and on replays: the budget and the caps hold',
    async () => {
      const redis = await useRedis();
      const second = new Redis(redis.client.options);
      const c = campaign('c-race', { budget: 25, capPerDevice: 1, capPerDevicePerDay: 1 });
      const workers = [redis.client, second].map((client) => {
        const catalogue = new FenceCatalogue(new MemoryFenceIndex(), () => NOW);
        catalogue.apply(c, false);
        const issued: LedgerOffer[] = [];
        const engine = new OfferEngine({
          registry: bus.registry,
          producer: bus.producer,
          catalogue,
          eligibility: new RedisEligibilityStore(client, redis.prefix),
          profiles: new RedisProfileStore(client, redis.prefix),
          devices: { get: async (id) => ({ id, region: 'eu', platform: 'ios', timezone: null, tags: [] }) },
          ledger: {
            insert: async (o) => {
              issued.push(o);
              return 'inserted' as const;
            },
          },
          signals: neutralSignals,
          scorer: new ScorerSlot(),
          metrics: bus.metrics,
          logger: silentLogger(),
          codeSecret: 'a-test-secret-for-coupon-codes-0123456789',
          clock: () => NOW,
        });
        return { engine, issued };
      });
      // 60 devices × 3 fixes each, every event decided by both workers at once.
      const events = Array.from({ length: 180 }, (_, i) =>
        geo('c-race', { deviceId: `racer-${i % 60}`, ts: NOW - 1000 + Math.floor(i / 60) }),
      );
      await Promise.all(events.flatMap((e) => workers.map((w) => w.engine.decide(e))));
      const offers = new Map(workers.flatMap((w) => w.issued).map((o) => [o.id, o]));
      expect(offers.size).toBe(25);
      const perDevice = new Map<string, number>();
      for (const o of offers.values()) perDevice.set(o.deviceId, (perDevice.get(o.deviceId) ?? 0) + 1);
      expect(Math.max(...perDevice.values())).toBe(1);
      expect(await new RedisEligibilityStore(redis.client, redis.prefix).spent('c-race')).toBe(25);
      second.disconnect();
      await redis.cleanup();
    },
  );
});
