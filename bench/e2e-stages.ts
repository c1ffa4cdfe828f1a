import {
  BusProducer,
  CAMPAIGN_EVENTS,
  type Campaign,
  createEventRegistry,
  DELIVERY_EVENTS,
  type Envelope,
  FenceCatalogue,
  GEO_EVENTS,
  GeoProcessor,
  loadConfig,
  MemoryDeviceStateStore,
  MemoryEligibilityStore,
  MemoryFenceIndex,
  MemoryProfileStore,
  Metrics,
  neutralSignals,
  OFFER_EVENTS,
  OfferEngine,
  ScorerSlot,
  silentLogger,
  TOPICS,
} from '@hexcast/core';
import { Ingest } from '@hexcast/edge-gateway';
import { type City, DEMO_TAG, demoCampaign } from '@hexcast/simulator';
import { startBroker } from '../test/helpers/broker.js';

/** CPU microseconds per operation of one stage, measured alone in this process. */
export interface StageCosts {
  ingest_us: number;
  produce_us: number;
  geo_us: number;
  decision_us: number;
  /** Geo events (enter / dwell / exit) per fix on the walks used here. */
  geo_events_per_fix: number;
  /** Coupons per geo event the engine decided on. */
  coupons_per_geo_event: number;
  /**
   * What one location costs if the stack did nothing but its stages: ingest + geo step, plus a
   * decision per enter/dwell, plus a produce per record written (the fix, its geo events, two per
   * coupon).
   */
  sum_us_per_location: number;
}

const cpuUs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return d.user + d.system;
};

/** The campaigns `hexcast dev` seeds for a city, as the catalogue holds them. */
function cityCampaigns(city: City): Campaign[] {
  const now = Date.now();
  return city.pois.map((poi, i) => ({
    ...demoCampaign(poi, city, now),
    id: `poi-${i}`,
    version: 1,
    status: 'active',
    updatedAt: new Date(now).toISOString(),
  }));
}

/**
 * Each device walks 600 m north to south across one point of interest at 5 m/s, a fix a
 * second: it enters, dwells and leaves, as the simulator's devices do.
 */
function walks(city: City, devices: number, fixesPerDevice: number, t0: number, prefix: string) {
  const out: Array<{ deviceId: string; payload: Buffer; ts: number }> = [];
  for (let step = 0; step < fixesPerDevice; step++) {
    for (let d = 0; d < devices; d++) {
      const poi = city.pois[d % city.pois.length]!;
      const metersNorth = 300 - step * (600 / fixesPerDevice);
      const lat = poi.lat + metersNorth / 111_320;
      const ts = t0 + step * 1000;
      const fix = { lat, lng: poi.lng, accuracy: 8, ts };
      out.push({ deviceId: `${prefix}-${d}`, payload: Buffer.from(JSON.stringify({ fixes: [fix] })), ts });
    }
  }
  return out;
}

/** Measures the stages of the coupon path alone, on the same city and movement as the e2e run. */
export async function measureStages(city: City, fixes: number): Promise<StageCosts> {
  const config = loadConfig({ env: {} });
  const registry = createEventRegistry();
  for (const e of [...GEO_EVENTS, ...CAMPAIGN_EVENTS, ...OFFER_EVENTS, ...DELIVERY_EVENTS])
    registry.register(e);
  const catalogue = new FenceCatalogue(new MemoryFenceIndex());
  for (const c of cityCampaigns(city)) catalogue.apply(c, false);
  const devices = Math.max(1, Math.round(fixes / 120));
  const t0 = Date.now() - 130_000;
  // A first, unmeasured pass of other devices through every stage warms the JIT up.
  const warm = walks(city, Math.max(1, Math.round(devices / 4)), 120, t0, 'warm');
  const input = walks(city, devices, 120, t0, 'dev');

  // 1. Gateway ingest: payload → validated envelope text.
  const ingest = new Ingest(registry, config.gateway, { kind: 'gateway', id: 'gw-stage', region: 'eu' });
  const ingestAll = (messages: typeof input) => {
    const out: string[] = [];
    for (const m of messages) {
      const result = ingest.handle(m.deviceId, 'loc', m.payload, m.ts + 50);
      if (result.ok) out.push(result.records[0]!.value);
    }
    return out;
  };
  const warmTexts = ingestAll(warm);
  let since = process.cpuUsage();
  const texts = ingestAll(input);
  const ingestUs = cpuUs(since) / input.length;

  // 2. Geo step: decode, device state, fence lookup, transitions, events encoded (not sent).
  const geoEvents: Envelope[] = [];
  const encodingProducer = {
    send: async (_topic: unknown, envelope: Envelope) => {
      registry.encodeText(envelope);
      geoEvents.push(envelope);
    },
  };
  const processor = new GeoProcessor({
    registry,
    producer: encodingProducer as never,
    fences: catalogue,
    state: new MemoryDeviceStateStore(),
    metrics: new Metrics(),
  });
  for (const text of warmTexts) await processor.handle(registry.decode(text));
  const warmEvents = geoEvents.splice(0);
  since = process.cpuUsage();
  for (const text of texts) await processor.handle(registry.decode(text));
  const geoUs = cpuUs(since) / texts.length;

  // 3. Decision: decode, rules, ranking, eligibility, ledger row (stub), two records encoded.
  let coupons = 0;
  const engine = new OfferEngine({
    registry,
    producer: {
      send: async (_topic: unknown, envelope: Envelope) => {
        registry.encodeText(envelope);
      },
    } as never,
    catalogue,
    eligibility: new MemoryEligibilityStore(),
    profiles: new MemoryProfileStore(),
    devices: { get: async (id) => ({ id, region: 'eu', platform: 'ios', timezone: null, tags: [DEMO_TAG] }) },
    ledger: {
      insert: async () => {
        coupons++;
        return 'inserted' as const;
      },
    },
    signals: neutralSignals,
    scorer: new ScorerSlot(),
    metrics: new Metrics(),
    logger: silentLogger(),
    codeSecret: 'a-bench-secret-for-coupon-codes-0123456789',
    maxDecisionLagMs: Number.MAX_SAFE_INTEGER,
  });
  const toDecide = (events: Envelope[]) =>
    events.filter((e) => e.type !== 'geo.exit').map((e) => registry.encodeText(e));
  for (const text of toDecide(warmEvents)) await engine.handle(registry.decode(text));
  coupons = 0;
  const decided = toDecide(geoEvents);
  since = process.cpuUsage();
  for (const text of decided) await engine.handle(registry.decode(text));
  const decisionUs = decided.length === 0 ? 0 : cpuUs(since) / decided.length;

  // 4. Produce: the project's producer to the embedded broker, both in this process (as in dev).
  const broker = await startBroker({ defaultPartitions: 12 });
  const producer = new BusProducer({ brokers: [broker.bootstrap], registry, metrics: new Metrics() });
  await producer.start();
  const sample = texts.slice(0, Math.min(texts.length, 20_000));
  await new Promise<void>((resolve, reject) =>
    producer.enqueue(TOPICS.locations.name, 'warm', sample[0]!, Date.now(), (e) =>
      e ? reject(e) : resolve(),
    ),
  );
  since = process.cpuUsage();
  await Promise.all(
    sample.map(
      (text, i) =>
        new Promise<void>((resolve, reject) =>
          producer.enqueue(TOPICS.locations.name, `k${i % 997}`, text, Date.now(), (e) =>
            e ? reject(e) : resolve(),
          ),
        ),
    ),
  );
  const produceUs = cpuUs(since) / sample.length;
  await producer.close();
  await broker.close();

  const geoPerFix = geoEvents.length / texts.length;
  const couponsPerEvent = decided.length === 0 ? 0 : coupons / decided.length;
  const decisionsPerFix = decided.length / texts.length;
  const recordsPerFix = 1 + geoPerFix + 2 * couponsPerEvent * decisionsPerFix;
  return {
    ingest_us: round(ingestUs),
    produce_us: round(produceUs),
    geo_us: round(geoUs),
    decision_us: round(decisionUs),
    geo_events_per_fix: round(geoPerFix, 3),
    coupons_per_geo_event: round(couponsPerEvent, 3),
    sum_us_per_location: round(ingestUs + geoUs + decisionsPerFix * decisionUs + recordsPerFix * produceUs),
  };
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));
