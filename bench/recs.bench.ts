import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  type BenchCaseResult,
  type Benchmark,
  BusProducer,
  createEventRegistry,
  DeviceClick,
  MemorySessionStore,
  Metrics,
  publishArtifact,
  quantile,
  RECS_EVENTS,
  RedisSessionStore,
  TOPICS,
} from '@hexcast/core';
import {
  type ClickSession,
  compareRecs,
  ItemScores,
  knownItemSessions,
  parseSessionsTsv,
  RecsModel,
  SessionKnn,
  sessionCorpus,
  trainRecs,
} from '@hexcast/models';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { bucketQuantiles, histogramBuckets } from './histogram.js';
import { atRate } from './pace.js';
import { getLoad, startBenchDev } from './processes.js';
import { socketFloor } from './socket-floor.js';

const DATA = new URL('../../shared/data/sessions/', import.meta.url);
const read = async (file: string): Promise<ClickSession[]> =>
  parseSessionsTsv(await readFile(new URL(file, DATA), 'utf8'));

/**
 * Recommendations in one run: next-click quality on the YOOCHOOSE sample (popular, item-kNN,
 * V-SKNN, Hexcast), scoring rate on one thread (Hexcast's model vs V-SKNN on the same prefixes),
 * session state bytes per session (memory, Redis), and `hexcast dev` at a fixed click rate: click →
 * list on hx.recommendations, then `GET /v1/recommendations` at a fixed request rate.
 */
const bench: Benchmark = {
  name: 'recs',
  description:
    'recommendations: HR@20 / MRR@20 on rsc15 (popular, item-kNN, V-SKNN, hexcast), scoring rate, session memory, hexcast dev click → list and GET latency',
  baseline: 'quality: v-sknn',
  primary: { metric: 'mrr@20', higherIsBetter: true },
  async run(context) {
    // BENCH_RECS_ONLY=memory: the session state rows alone.
    if (process.env.BENCH_RECS_ONLY === 'memory') return sessionMemory(context);
    const results: BenchCaseResult[] = [];
    const train = await read('rsc15_train_tr.tsv');
    const test = await read('rsc15_train_valid.tsv');
    // BENCH_RECS_ARTIFACT=<file>: the trained model is read from there when it exists, else
    // trained and written there (repeated pipeline runs skip the minutes of training).
    const cached = process.env.BENCH_RECS_ARTIFACT;
    let artifact: Awaited<ReturnType<typeof trainRecs>>;
    if (cached !== undefined && existsSync(cached)) artifact = JSON.parse(await readFile(cached, 'utf8'));
    else {
      context.progress('training on rsc15_train_tr');
      artifact = await trainRecs(train, {
        maxSessions: Number.MAX_SAFE_INTEGER,
        progress: (m) => context.progress(m),
      });
      if (cached !== undefined) await writeFile(cached, JSON.stringify(artifact));
    }
    // BENCH_RECS_ONLY=pipeline: the hexcast dev rows alone (the model is still trained for them).
    if (process.env.BENCH_RECS_ONLY === 'pipeline') return pipeline(context, artifact, test);
    context.progress('quality: rsc15_train_tr → rsc15_train_valid');
    const quality = await compareRecs(train, test, { artifact });
    for (const [name, r] of Object.entries(quality))
      results.push({
        case: `quality: ${name}`,
        metrics: { 'hr@20': r['hr@20'], 'mrr@20': r['mrr@20'] },
        notes: `${r.predictions} next clicks of rsc15_train_valid, revealed one by one`,
      });

    context.progress('scoring rate on one thread');
    const model = new RecsModel(artifact);
    const corpus = sessionCorpus(train);
    const prefixes = knownItemSessions(test, corpus.vocabulary).flatMap((s) =>
      Array.from({ length: s.length - 1 }, (_, p) => s.subarray(Math.max(0, p + 1 - 20), p + 1)),
    );
    const asIds = prefixes.map((p) => Array.from(p, (i) => corpus.vocabulary.ids[i]!));
    const vsknn = new SessionKnn(corpus);
    const scores = new ItemScores(corpus.vocabulary.size);
    const cases: Array<[string, (i: number) => unknown]> = [
      ['hexcast (kNN blend + session network)', (i) => model.forSession(asIds[i]!, 20)],
      [
        'v-sknn',
        (i) => {
          scores.reset();
          vsknn.score(prefixes[i]!, scores);
          return scores.top(20);
        },
      ],
    ];
    for (const [name, score] of cases) {
      // What the quality runs left behind is collected first, not charged to the scorer.
      gc?.();
      for (let i = 0; i < prefixes.length; i++) score(i); // warm
      const rounds: number[] = [];
      let cpuUs = 0;
      for (let round = 0; round < 5; round++) {
        const cpu = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < prefixes.length; i++) score(i);
        const used = process.cpuUsage(cpu);
        rounds.push(prefixes.length / ((performance.now() - t0) / 1000));
        cpuUs += (used.user + used.system) / prefixes.length / 5;
      }
      rounds.sort((a, b) => a - b);
      results.push({
        case: `scoring: ${name}`,
        metrics: { clicks_per_s: rounds[2]!, cpu_us_per_click: cpuUs },
        rounds,
        notes: `${prefixes.length} session prefixes (last 20 clicks) × 5 rounds, one thread, median`,
      });
    }

    results.push(...(await sessionMemory(context)));
    results.push(...(await pipeline(context, artifact, test)));
    return results;
  },
};
export default bench;

/** Bytes per active session of 20 clicks: the memory store's heap, and Redis's used memory. */
async function sessionMemory(context: {
  quick: boolean;
  progress(m: string): void;
}): Promise<BenchCaseResult[]> {
  const sessions = context.quick ? 5_000 : 20_000;
  context.progress(`session state: ${sessions} sessions × 20 clicks`);
  const click = (s: number, c: number) => ({
    id: `AbCdEfGhIjKlMnOpQrStUvWxYz${s}-${c}`.slice(-27),
    productId: String(214_716_935 + ((s * 31 + c) % 3000)),
    action: 'view' as const,
    at: 1_796_000_000_000 + c * 1000,
  });
  const list = (s: number) => ({
    sessionId: `session-${s}`,
    deviceId: `web:visitor-${s}`,
    items: Array.from({ length: 20 }, (_, i) => ({
      productId: String(214_716_935 + i),
      score: 1 / (i + 1),
      source: 'session' as const,
    })),
    clickId: 'AbCdEfGhIjKlMnOpQrStUvWxYz0',
    productId: '214716935',
    clickedAt: 1,
    computedAt: 2,
    modelVersion: 'recs-20261203T000000',
  });
  const fill = async (store: MemorySessionStore | RedisSessionStore) => {
    for (let s = 0; s < sessions; s++) {
      for (let c = 0; c < 20; c++) await store.append(`session-${s}`, click(s, c));
      await store.putList(list(s));
    }
  };
  const out: BenchCaseResult[] = [];
  // The memory store keeps its sessions in typed arrays (off V8's heap) and their ids on it.
  const held = () => {
    const m = process.memoryUsage();
    return { heap: m.heapUsed, buffers: m.arrayBuffers };
  };
  // What the sessions add to a full collection (every one marks what the heap holds): the
  // median of 5 forced collections, with the sessions held and before them.
  const fullGcMs = () => {
    const ms: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      global.gc?.();
      ms.push(performance.now() - t0);
    }
    return quantile(ms, 0.5);
  };
  const gcBefore = fullGcMs();
  const before = held();
  const memory = new MemorySessionStore({ ttlMs: 3_600_000, maxClicks: 20 });
  await fill(memory);
  global.gc?.();
  const after = held();
  const gcAfter = fullGcMs();
  out.push({
    case: 'session state: memory',
    metrics: {
      bytes_per_session: (after.heap - before.heap + after.buffers - before.buffers) / sessions,
      heap_bytes_per_session: (after.heap - before.heap) / sessions,
      full_gc_ms_added: gcAfter - gcBefore,
    },
    notes: `${sessions} sessions of 20 clicks and a stored list of 20: V8's heap and array buffers (the columns come in pages of 4,096 sessions: room for the next multiple of 4,096)${global.gc ? '' : ' (no --expose-gc: heap delta without a collection)'}`,
  });
  await memory.close();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  try {
    await redis.connect();
    const prefix = `hxbench:${Date.now()}`;
    const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    const r0 = await used();
    await fill(new RedisSessionStore(redis, { ttlMs: 3_600_000, maxClicks: 20 }, prefix));
    out.push({
      case: 'session state: redis',
      metrics: { bytes_per_session: ((await used()) - r0) / sessions },
      notes: `${sessions} sessions: a list of 20 click JSONs and the stored list (JSON), used_memory delta`,
    });
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } catch (error) {
    context.progress(`redis session memory not measured: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
  return out;
}

/**
 * `hexcast dev` (own process, sessions in memory): the model published, the catalogue loaded, then
 * clicks replayed from rsc15_train_valid's sessions at a fixed rate straight onto hx.clicks (as the
 * gateway and POST /v1/events write them); each click's time to its list on hx.recommendations.
 * Then GET /v1/recommendations for those sessions at a fixed rate.
 */
async function pipeline(
  context: { quick: boolean; progress(m: string): void },
  artifact: Awaited<ReturnType<typeof trainRecs>>,
  test: ClickSession[],
): Promise<BenchCaseResult[]> {
  const rate = Number(process.env.BENCH_RECS_RATE ?? 5000);
  const seconds = context.quick ? 6 : 15;
  // This machine's price of a small loopback message now (it has doubled from one night to the
  // next): the pipeline's publish, fetches and GET responses all pay it.
  context.progress('measuring the sockets alone: a 200-byte message and a 4-byte ack');
  const floor = await socketFloor({ connections: 2_000, rate: 5_000, seconds: context.quick ? 3 : 6 });
  const floorRow: BenchCaseResult = {
    case: "sockets alone (this machine's yardstick)",
    metrics: { server_floor_us_per_message: floor.serverUsPerMessage },
    notes: `plain node:net as in the e2e bench's row: ${floor.connections} connections, ${floor.rate} messages/s, a read and a 4-byte ack written per message in a process of its own`,
  };
  const bench = await startBenchDev('recs', { HX_API_RATE_LIMIT_PER_MINUTE: '10000000' });
  const registry = createEventRegistry();
  for (const e of RECS_EVENTS) registry.register(e);
  const producer = new BusProducer({ brokers: [bench.bootstrap], registry, metrics: new Metrics() });
  const kafka = new Kafka({ clientId: 'bench-recs', brokers: [bench.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-recs-${Date.now()}`, maxWaitTimeInMs: 5 });
  // Per click: produced → list received here (ms), and click time → list stored in the worker
  // (storedMs: the list's computedAt − clickedAt, both the worker's fields; the target).
  const lists = new Map<string, { copies: number; ms: number; storedMs: number; clickedAt: number }>();
  try {
    const admin = (await readFile(path.join(bench.dataDir, 'admin.key'), 'utf8')).trim();
    const call = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(`${bench.api}${url}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<Record<string, unknown>>;
    };
    await producer.start();
    context.progress('hexcast dev: model published, catalogue loaded');
    await publishArtifact(producer, registry, 'recs', artifact.version, artifact, {
      kind: 'cli',
      id: 'bench',
    });
    for (let i = 0; i < artifact.items.length; i += 1000)
      await call('PUT', '/v1/products', {
        products: artifact.items
          .slice(i, i + 1000)
          .map((id, k) => ({ productId: id, category: `c${(i + k) % 20}`, available: true })),
      });
    const known = new Set(artifact.items);
    // Many sessions at once, each clicking in turn (at 5,000 clicks/s over 20,000 sessions, one
    // click per session every 4 s), each session's clicks in their order.
    const sessions = test
      .map((s) => ({ id: `b-${s.id}`, items: s.items.filter((id) => known.has(id)) }))
      .filter((s) => s.items.length > 0)
      .slice(0, 20_000);
    const clickAt = (i: number) => {
      const s = sessions[i % sessions.length]!;
      const round = Math.floor(i / sessions.length);
      return {
        sessionId: `${s.id}-${Math.floor(round / s.items.length)}`,
        productId: s.items[round % s.items.length]!,
      };
    };
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPICS.recommendations.name], fromBeginning: true });
    const sentAt = new Map<string, number>();
    await consumer.run({
      eachMessage: async ({ message }) => {
        const received = Date.now();
        const e = registry.decode(message.value);
        const d = e.data as { clickId: string; clickedAt: number; computedAt: number };
        const seen = lists.get(d.clickId);
        if (seen !== undefined) seen.copies++;
        else
          lists.set(d.clickId, {
            copies: 1,
            ms: received - (sentAt.get(d.clickId) ?? received),
            storedMs: d.computedAt - d.clickedAt,
            clickedAt: d.clickedAt,
          });
      },
    });
    const send = (i: number, ts: number) => {
      const { sessionId, productId } = clickAt(i);
      const envelope = registry.create(DeviceClick, {
        key: `web:${sessionId}`,
        ts,
        source: { kind: 'test', id: 'bench' },
        data: { deviceId: `web:${sessionId}`, sessionId, productId, action: 'view' },
      });
      sentAt.set(envelope.id, ts);
      return producer.send(TOPICS.clicks, envelope);
    };
    // Warm-up: the first list proves the model and catalogue are in.
    for (let w = 0; lists.size === 0; w++) {
      if (w > 300) throw new Error('no recommendation came through the pipeline');
      await send(w, Date.now() + w); // distinct times
      await new Promise((r) => setTimeout(r, 100));
    }
    lists.clear();
    // Clicks `from … from + count` at the rate, open loop; resolves once every one was acknowledged.
    let next = 1000;
    const offer = async (count: number) => {
      const from = next;
      next += count;
      const pending: Array<Promise<void>> = [];
      await atRate(count, rate, (i) => pending.push(send(from + i, Date.now())));
      await Promise.all(pending);
    };
    const received = async (count: number) => {
      const deadline = Date.now() + 60_000;
      while (lists.size < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    // Warm-up at the rate, measured apart: a process that has just started runs its first
    // thousands of clicks through code not yet optimised, and the backlog that builds then takes
    // seconds to clear. The measured phase starts once every warm-up list has come back.
    const warmupS = Number(process.env.BENCH_RECS_WARMUP_S ?? 3);
    const warmupTotal = rate * warmupS;
    let warmup: BenchCaseResult | null = null;
    if (warmupTotal > 0) {
      context.progress(`warm-up: ${rate} clicks/s for ${warmupS} s`);
      await offer(warmupTotal);
      await received(warmupTotal);
      const storedMs = [...lists.values()].map((v) => v.storedMs);
      warmup = {
        case: `pipeline warm-up: the first ${warmupS} s of a started hexcast dev at ${rate} clicks/s`,
        metrics: {
          stored_p50_ms: quantile(storedMs, 0.5),
          stored_p99_ms: quantile(storedMs, 0.99),
          lost: warmupTotal - lists.size,
        },
        notes:
          'not part of the measured rows: the same clicks, straight after the model and catalogue loaded',
      };
      lists.clear();
    }
    context.progress(`hexcast dev fed ${rate} clicks/s for ${seconds} s`);
    const total = rate * seconds;
    const cpu0 = bench.dev.cpuMs();
    const main0 = bench.dev.mainThreadMs();
    const ownCpu0 = process.cpuUsage();
    // This process's own event loop: a stall here delays the producer's ticks, and the clicks of
    // the ticks it missed then go out together.
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const t0 = Date.now();
    try {
      await offer(total);
    } finally {
      loop.disable();
    }
    await received(total);
    const elapsedS = (Date.now() - t0) / 1000;
    const cpuMs = bench.dev.cpuMs() - cpu0;
    const main1 = bench.dev.mainThreadMs();
    const own = process.cpuUsage(ownCpu0);
    const ms = [...lists.values()].map((v) => v.ms);
    const storedMs = [...lists.values()].map((v) => v.storedMs);
    // The stored p99 of each second of clicks: a stall shows in its second, not only in the whole.
    const bySecond = new Map<number, number[]>();
    for (const v of lists.values()) {
      const second = Math.floor((v.clickedAt - t0) / 1000);
      const list = bySecond.get(second) ?? [];
      list.push(v.storedMs);
      bySecond.set(second, list);
    }
    const secondP99s = [...bySecond.values()].map((v) => quantile(v, 0.99));
    context.progress(
      `stored p99 (ms) of each second of clicks from ${new Date(t0).toISOString()}: ${[...bySecond.entries()]
        .sort((x, y) => x[0] - y[0])
        .map(([, v]) => quantile(v, 0.99))
        .join(' ')}`,
    );
    const out: BenchCaseResult[] = [
      {
        case: `pipeline: hexcast dev fed ${rate} clicks/s`,
        metrics: {
          clicks_per_s: lists.size / elapsedS,
          cpu_us_per_click: (cpuMs * 1000) / Math.max(lists.size, 1),
          load_cpu_us_per_click: (own.user + own.system) / Math.max(lists.size, 1),
          load_loop_delay_p99_ms: loop.percentile(99) / 1e6,
          load_loop_delay_max_ms: loop.max / 1e6,
          // dev's event loop: the share of the seconds it ran, and the share it was ready to run
          // but waiting for a core (Linux schedstat). Neither counts time charged to no task
          // (most likely the loopback network stack's softirq work), so together they are a
          // lower bound of how busy it is (docs/perf.md).
          dev_loop_busy: (main1.runMs - main0.runMs) / 1000 / elapsedS,
          dev_loop_core_wait: (main1.waitMs - main0.waitMs) / 1000 / elapsedS,
          stored_p50_ms: quantile(storedMs, 0.5),
          stored_p99_ms: quantile(storedMs, 0.99),
          stored_p99_worst_second_ms: Math.max(...secondP99s),
          stored_p99_median_second_ms: quantile(secondP99s, 0.5),
          p50_ms: quantile(ms, 0.5),
          p99_ms: quantile(ms, 0.99),
          lost: total - lists.size,
          duplicates: [...lists.values()].reduce((n, v) => n + v.copies - 1, 0),
        },
        notes: `after a ${warmupS} s warm-up at the rate; ${total} clicks of ${sessions.length} rsc15_train_valid sessions, interleaved, (web visitors: stored and published, no push) straight onto hx.clicks; stored = click time → its list stored by the worker (the list's computedAt − clickedAt); p50/p99 = produced → list received on hx.recommendations by this process; load_cpu: the bench process (producer and consumer) on the same 2 cores`,
      },
    ];
    if (warmup !== null) out.push(warmup);
    out.push(floorRow);

    // The GETs are measured on a settled process: every consumer of the dev (the offers worker's
    // feedback reads hx.clicks too) has caught up with the pipeline's records first.
    const lagged = async () => {
      const text = await (await fetch(`${bench.api}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('hexcast_bus_consumer_lag{'))
        .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    };
    const settleDeadline = Date.now() + 60_000;
    while ((await lagged()) > 0 && Date.now() < settleDeadline) await new Promise((r) => setTimeout(r, 100));
    const getRate = Number(process.env.BENCH_RECS_GET_RATE ?? 2000);
    const getSeconds = context.quick ? 3 : 8;
    context.progress(`GET /v1/recommendations at ${getRate}/s for ${getSeconds} s`);
    const sessionIds = sessions.slice(0, 5000).map((s) => `${s.id}-0`);
    const route = 'method="GET",route="/v1/recommendations",status="2xx"';
    const served0 = await histogramBuckets(bench.api, 'hexcast_http_request_seconds', route);
    const getCpu0 = bench.dev.cpuMs();
    const urls = Array.from(
      { length: sessionIds.length },
      (_, i) =>
        `/v1/recommendations?session=${encodeURIComponent(sessionIds[i]!)}&product=${clickAt(i).productId}&n=10`,
    );
    const load = await getLoad({
      base: bench.api,
      urls,
      rate: getRate,
      seconds: getSeconds,
      headers: { authorization: `Bearer ${admin}` },
    });
    const served = bucketQuantiles(
      served0,
      await histogramBuckets(bench.api, 'hexcast_http_request_seconds', route),
    );
    out.push({
      case: `GET /v1/recommendations at ${getRate}/s`,
      metrics: {
        requests_per_s: load.latencies.length / load.seconds,
        p50_ms: quantile(load.latencies, 0.5),
        p99_ms: quantile(load.latencies, 0.99),
        server_p50_le_ms: served(0.5),
        server_p99_le_ms: served(0.99),
        client_loop_delay_p99_ms: load.loopDelayP99Ms,
        client_loop_delay_max_ms: load.loopDelayMaxMs,
        failed: load.failed,
        cpu_us_per_request: ((bench.dev.cpuMs() - getCpu0) * 1000) / Math.max(load.latencies.length, 1),
      },
      notes:
        'session list (stored) + the product page item-to-item list + union, n = 10; client (fetch) in a process of its own (bench/get-load.ts), after every consumer of the dev process caught up; server_p50/p99_le: received → response sent in the API, the bound of its bucket in hexcast_http_request_seconds',
    });
    return out;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.close().catch(() => undefined);
    await bench.stop();
  }
}
