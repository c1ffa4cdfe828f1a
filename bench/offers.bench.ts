import { performance } from 'node:perf_hooks';
import {
  type BenchCaseResult,
  type Benchmark,
  BusProducer,
  CAMPAIGN_EVENTS,
  type Campaign,
  createEventRegistry,
  DELIVERY_EVENTS,
  type Device,
  type EligibilityStore,
  type Envelope,
  type EventRegistry,
  ensureTopics,
  FenceCatalogue,
  GEO_EVENTS,
  GeoEnter,
  MemoryEligibilityStore,
  MemoryFenceIndex,
  MemoryProfileStore,
  Metrics,
  median,
  migrate,
  neutralSignals,
  OFFER_EVENTS,
  OfferEngine,
  OfferLedger,
  type OfferSink,
  PgliteRecords,
  PgRecords,
  type ProfileStore,
  quantile,
  type Records,
  RedisEligibilityStore,
  RedisProfileStore,
  ScorerSlot,
  silentLogger,
  topicCatalogue,
} from '@hexcast/core';
import {
  generateHistory,
  type PropensityScorer,
  splitByUser,
  TfPropensityScorer,
  trainPropensity,
} from '@hexcast/models';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { offerSettings } from '../test/fixtures/offers.js';
import { METRO_MIX, PARIS, prng, randomFences } from '../test/fixtures/random-fences.js';
import { startBroker } from '../test/helpers/broker.js';

const CATEGORIES = ['coffee', 'shoes', 'books', 'beauty', 'sports', 'food', 'tech', 'kids'];
const CONCURRENCY = 64;

/** 1,000 live campaigns over Paris with varied offers (some quiet hours, some audiences). */
function campaigns(count: number): Campaign[] {
  const rand = prng(9);
  return randomFences(count, 21, PARIS, METRO_MIX).map((fence, i) => ({
    id: `camp-${i}`,
    version: 1,
    name: `campaign ${i}`,
    status: 'active',
    fence: fence.shape,
    dwellSeconds: 120,
    exitDebounceSeconds: 60,
    startsAt: '2020-01-01T00:00:00Z',
    endsAt: '2099-01-01T00:00:00Z',
    timezone: 'Europe/Paris',
    offer: offerSettings({
      title: `Offer ${i}`,
      category: CATEGORIES[i % CATEGORIES.length]!,
      ttlSeconds: 1800,
      budget: 1_000_000_000,
      couponGapSeconds: 3600,
      ...(rand() < 0.1 ? { quietHours: { start: '23:00', end: '06:00' } } : {}),
      ...(rand() < 0.1 ? { audience: { anyTags: ['member'] } } : {}),
    }),
    updatedAt: '2020-01-01T00:00:00Z',
  }));
}

/** Geo enter events at points inside random fences (so every event has ≥ 1 candidate). */
function events(catalogue: FenceCatalogue, list: Campaign[], count: number, round: number, devices: number) {
  const rand = prng(100 + round);
  const registry = createEventRegistry();
  for (const e of [...GEO_EVENTS, ...CAMPAIGN_EVENTS]) registry.register(e);
  const out: Envelope<never>[] = [];
  while (out.length < count) {
    const c = list[Math.floor(rand() * list.length)]!;
    const shape = c.fence;
    const [lng, lat] =
      shape.type === 'Circle'
        ? shape.center
        : shape.type === 'Polygon'
          ? shape.coordinates[0]![0]!
          : shape.coordinates[0]![0]![0]!;
    // Star polygons are built around their centre: nudge from the first vertex toward it.
    const inside = catalogue.index.lookup(lat!, lng!);
    const point = inside.length > 0 ? [lat!, lng!] : centreOf(shape);
    const ids = catalogue.index.lookup(point[0]!, point[1]!);
    if (ids.length === 0) continue;
    const deviceId = `r${round}-d${Math.floor(rand() * devices)}`;
    out.push(
      registry.create(GeoEnter, {
        key: deviceId,
        ts: Date.now(),
        source: { kind: 'processor', id: 'geo' },
        data: {
          deviceId,
          fenceId: ids[0]!,
          campaignId: ids[0]!,
          lat: point[0]!,
          lng: point[1]!,
          h3: '',
          accuracy: 8,
          visitStartedAt: Date.now(),
          impossibleTravel: false,
          // As the geo worker writes them: the region and every fence holding the fix.
          region: 'paris',
          fences: ids,
        },
      }) as Envelope<never>,
    );
  }
  return out;
}

function centreOf(shape: Campaign['fence']): [number, number] {
  const rings =
    shape.type === 'Polygon'
      ? [shape.coordinates[0]!]
      : shape.type === 'MultiPolygon'
        ? [shape.coordinates[0]![0]!]
        : [];
  const ring = rings[0] ?? [];
  const lat = ring.reduce((a, p) => a + p[1], 0) / Math.max(ring.length, 1);
  const lng = ring.reduce((a, p) => a + p[0], 0) / Math.max(ring.length, 1);
  return [lat, lng];
}

interface Engines {
  eligibility: EligibilityStore;
  profiles: ProfileStore;
  ledger: OfferSink;
  close(): Promise<void>;
}

async function runCase(
  name: string,
  setup: {
    engines: () => Promise<Engines>;
    producer: Pick<BusProducer, 'send'>;
    registry: EventRegistry;
    scorer: PropensityScorer;
  },
  list: Campaign[],
  catalogue: FenceCatalogue,
  rounds: number,
  perRound: number,
  progress: (m: string) => void,
): Promise<BenchCaseResult> {
  const rates: number[] = [];
  const latencies: number[] = [];
  const issuedShare: number[] = [];
  for (let round = -1; round < rounds; round++) {
    const engines = await setup.engines();
    const slot = new ScorerSlot();
    slot.current = setup.scorer;
    const devices = new Map<string, Device>();
    const engine = new OfferEngine({
      registry: setup.registry,
      producer: setup.producer,
      catalogue,
      eligibility: engines.eligibility,
      profiles: engines.profiles,
      devices: {
        get: async (id) => {
          let d = devices.get(id);
          if (d === undefined) {
            d = {
              id,
              region: 'paris',
              platform: 'ios',
              timezone: null,
              tags: id.endsWith('7') ? ['member'] : [],
            };
            devices.set(id, d);
          }
          return d;
        },
      },
      ledger: engines.ledger,
      signals: neutralSignals,
      scorer: slot,
      metrics: new Metrics(),
      logger: silentLogger(),
      codeSecret: 'bench-secret-bench-secret-bench-secret-00',
    });
    const batch = events(catalogue, list, perRound, round + 1, perRound / 2);
    let next = 0;
    let issued = 0;
    const own: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < batch.length) {
          const event = batch[next++]!;
          const t0 = performance.now();
          const d = await engine.decide(event);
          own.push(performance.now() - t0);
          if (d.outcome === 'issued') issued++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await engines.close();
    if (round < 0) continue; // warm-up
    rates.push(batch.length / seconds);
    latencies.push(...own);
    issuedShare.push(issued / batch.length);
    progress(`${name}: round ${round + 1}: ${Math.round(batch.length / seconds)} events/s`);
  }
  return {
    case: name,
    metrics: {
      events_per_s: Math.round(median(rates)),
      p50_ms: Number(quantile(latencies, 0.5).toFixed(3)),
      p99_ms: Number(quantile(latencies, 0.99).toFixed(3)),
      issued_share: Number(median(issuedShare).toFixed(3)),
    },
    rounds: rates.map(Math.round),
  };
}

const bench: Benchmark = {
  name: 'offers',
  description: `geo enter events through the offer decision path (candidates among 1,000 live campaigns, rules, profile, ranking, atomic eligibility, ledger insert and two produces to the embedded broker), ${CONCURRENCY} in flight as in the worker; latency per decision`,
  baseline: 'memory + PGlite, heuristic',
  primary: { metric: 'events_per_s', higherIsBetter: true },
  async run(context) {
    const rounds = context.quick ? 2 : 3;
    const perRound = context.quick ? 2000 : 6000;
    const list = campaigns(1000);
    const catalogue = new FenceCatalogue(new MemoryFenceIndex());
    for (const c of list) catalogue.apply(c, false);
    context.progress(`${catalogue.liveCount} live campaigns; training the propensity model`);
    const history = generateHistory({ users: 3000, offersPerUser: 10, seed: 1 });
    const { train, test } = splitByUser(history);
    const artifact = await trainPropensity(train, { heldOut: test });
    const model = await TfPropensityScorer.load(artifact);

    const broker = await startBroker({ autoCreateTopics: false, flush: 'interval', flushIntervalMs: 200 });
    const kafka = new Kafka({
      clientId: 'bench-offers',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    await ensureTopics(kafka, topicCatalogue(['paris']));
    const registry = createEventRegistry();
    for (const e of [...GEO_EVENTS, ...CAMPAIGN_EVENTS, ...OFFER_EVENTS, ...DELIVERY_EVENTS])
      registry.register(e);
    const producer = new BusProducer({ brokers: [broker.bootstrap], registry, metrics: new Metrics() });
    await producer.start();

    const pglite = async (): Promise<Engines> => {
      const records = await PgliteRecords.open(null);
      await migrate(records);
      return {
        eligibility: new MemoryEligibilityStore(),
        profiles: new MemoryProfileStore(),
        ledger: new OfferLedger(records),
        close: () => records.close(),
      };
    };
    const results: BenchCaseResult[] = [];
    const run = (name: string, engines: () => Promise<Engines>, scorer: PropensityScorer) =>
      runCase(
        name,
        { engines, producer, registry, scorer },
        list,
        catalogue,
        rounds,
        perRound,
        context.progress,
      ).then((r) => results.push(r));
    const { heuristicScorer } = await import('@hexcast/models');
    await run('memory + PGlite, heuristic', pglite, heuristicScorer);
    await run('memory + PGlite, TF.js model', pglite, model);

    const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
    const pgUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const redis = new Redis(redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
    });
    const up = await redis.connect().then(
      () => true,
      () => false,
    );
    if (up) {
      let n = 0;
      const distributed = async (): Promise<Engines> => {
        const prefix = `hxbench:${process.pid}:${++n}:`;
        const schema = `bench_offers_${process.pid}_${n}`;
        const admin = new pg.Client({ connectionString: pgUrl });
        await admin.connect();
        await admin.query(`CREATE SCHEMA ${schema}`);
        await admin.end();
        const records: Records = new PgRecords(pgUrl, { schema, max: 8 });
        await migrate(records);
        return {
          eligibility: new RedisEligibilityStore(redis, prefix),
          profiles: new RedisProfileStore(redis, prefix),
          ledger: new OfferLedger(records),
          close: async () => {
            await records.close();
            const drop = new pg.Client({ connectionString: pgUrl });
            await drop.connect();
            await drop.query(`DROP SCHEMA ${schema} CASCADE`);
            await drop.end();
            let cursor = '0';
            do {
              const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
              cursor = nextCursor;
              if (keys.length > 0) await redis.del(...keys);
            } while (cursor !== '0');
          },
        };
      };
      await run('Redis + PostgreSQL, TF.js model', distributed, model);
    } else context.progress('redis not reachable: no distributed case this run');
    // Where the time goes: the same decisions without the ledger and the produces.
    results.push(
      await runCase(
        'memory, TF.js model, no ledger/produce (decision only)',
        {
          engines: async () => ({
            eligibility: new MemoryEligibilityStore(),
            profiles: new MemoryProfileStore(),
            ledger: { insert: async () => 'inserted' as const },
            close: async () => undefined,
          }),
          // A sink that sends nothing: this case measures the decision alone.
          producer: { send: async () => undefined },
          registry,
          scorer: model,
        },
        list,
        catalogue,
        rounds,
        perRound,
        context.progress,
      ),
    );
    redis.disconnect();
    await producer.close();
    await broker.close();
    model.dispose();
    context.progress(
      `model AUC ${artifact.evaluation?.auc.toFixed(3)} vs heuristic ${artifact.evaluation?.heuristicAuc.toFixed(3)}`,
    );
    return results;
  },
};

export default bench;
