import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import {
  type BenchCaseResult,
  type Benchmark,
  BusProducer,
  CompiledPolicy,
  createEventRegistry,
  FRAUD_EVENTS,
  FRAUD_FEATURE_NAMES,
  featureRow,
  generatedPaymentFeatures,
  MemoryFraudState,
  Metrics,
  ModelFraudScorer,
  ModelPublished,
  PaymentSubmitted,
  quantile,
  replayFeatures,
  rulesScorer,
  TOPICS,
} from '@hexcast/core';
import {
  compareTrainers,
  FRAUD_TRAINERS,
  generatePayments,
  type LabelledRows,
  parseTransactionsCsv,
  scoreReport,
  seededRandom,
  splitByDay,
  stratifiedFolds,
  type TabularArtifact,
  type TrainerScores,
  trainTabular,
} from '@hexcast/models';
import { Kafka, logLevel } from 'kafkajs';
import { bucketQuantiles, histogramBuckets } from './histogram.js';
import { atRate } from './pace.js';
import { machineCpuMs, startBenchDev } from './processes.js';

const ULB = new URL('../../shared/data/fraud/ulb_creditcard_dev.csv', import.meta.url);

const quality = (s: TrainerScores) => ({
  pr_auc: s.pr_auc,
  recall_at_1pct_fpr: s.recall_at_1pct_fpr,
  recall_at_01pct_fpr: s.recall_at_01pct_fpr,
});

/**
 * The fraud pipeline side by side in one run: model quality on generated later days (rules-only
 * baseline, logistic regression, Hexcast's trainer) and on the real ULB sample (5-fold); scoring
 * throughput on one core; and `hexcast dev` (own process) deciding payments at a fixed rate while
 * a new model is swapped in.
 */
const bench: Benchmark = {
  name: 'fraud',
  description:
    'fraud quality (synthetic later days, ULB 5-fold), features + model scoring rate on one core, and hexcast dev at a fixed payment rate with a model swap under load',
  baseline: 'synthetic: rules-v1 (velocity, amount, country)',
  primary: { metric: 'recall_at_01pct_fpr', higherIsBetter: true },
  async run(context) {
    const results: BenchCaseResult[] = [];
    const customers = context.quick ? 8_000 : 20_000;

    context.progress(`generating 14 days of payments for ${customers} customers, replaying their features`);
    const payments = generatePayments({ customers, days: 14, seed: 1 });
    const all = await replayFeatures(payments);
    const cut = splitByDay(payments, 10).train.length;
    const slice = (from: number, to?: number): LabelledRows => ({
      features: all.features,
      rows: all.rows.slice(from, to),
      labels: all.labels.slice(from, to),
    });
    const train = slice(0, cut);
    const test = slice(cut);
    const frauds = test.labels.filter(Boolean).length;
    const note = `trained on days 1–10 (${train.rows.length} payments), scored on days 11–14 (${test.rows.length}, ${frauds} frauds, ${((100 * frauds) / test.rows.length).toFixed(2)}%)`;
    results.push({
      case: 'synthetic: rules-v1 (velocity, amount, country)',
      metrics: quality(
        scoreReport(
          test.rows.map((r) => rulesScorer.score(r)),
          test.labels,
        ),
      ),
      notes: note,
    });
    context.progress('training logistic regression and the Hexcast model on days 1–10');
    const synthetic = await compareTrainers(train, test, { epochs: context.quick ? 8 : 20, batchSize: 256 });
    results.push({ case: 'synthetic: logistic regression', metrics: quality(synthetic.logreg), notes: note });
    results.push({ case: 'synthetic: hexcast MLP', metrics: quality(synthetic.hexcast), notes: note });

    context.progress('ULB sample: 5-fold cross-validation');
    const ulb = parseTransactionsCsv(await readFile(ULB, 'utf8'));
    const folds = stratifiedFolds(ulb, 5, seededRandom(3));
    const sums = { logreg: [0, 0, 0], hexcast: [0, 0, 0] };
    for (const fold of folds) {
      const r = await compareTrainers(fold.train, fold.test, { positiveWeight: 1 });
      for (const k of ['logreg', 'hexcast'] as const) {
        sums[k][0]! += r[k].pr_auc / folds.length;
        sums[k][1]! += r[k].recall_at_1pct_fpr / folds.length;
        sums[k][2]! += r[k].recall_at_01pct_fpr / folds.length;
      }
    }
    const ulbNote = `${ulb.rows.length} rows, ${ulb.labels.filter(Boolean).length} frauds (undersampled: ~29% fraud, far above a real stream's 0.17%); mean of 5 folds`;
    for (const k of ['logreg', 'hexcast'] as const)
      results.push({
        case: `ULB 5-fold: ${k === 'logreg' ? 'logistic regression' : 'hexcast MLP'}`,
        metrics: { pr_auc: sums[k][0]!, recall_at_1pct_fpr: sums[k][1]!, recall_at_01pct_fpr: sums[k][2]! },
        notes: ulbNote,
      });

    // Scoring on one core: feature state (memory), features, model, policy; no database, no bus.
    context.progress('scoring rate on one core');
    const artifact = await trainTabular(train.rows, train.labels, {
      ...FRAUD_TRAINERS.hexcast,
      hidden: [...FRAUD_TRAINERS.hexcast.hidden],
      batchSize: 256,
      epochs: context.quick ? 8 : 20,
      name: 'fraud',
      features: FRAUD_FEATURE_NAMES,
    });
    const model = await ModelFraudScorer.load(artifact);
    const policy = new CompiledPolicy('m', { name: 'm', currencies: ['EUR'] });
    for (const [name, scorer] of [
      ['features + rules-only scorer', rulesScorer],
      ['features + hexcast model', model],
    ] as const) {
      const state = new MemoryFraudState();
      const run = async (list: typeof payments) => {
        for (const p of list) {
          const features = await generatedPaymentFeatures(state, p, { labelled: 0, frauds: 0 });
          const row = featureRow(features);
          const score = scorer.score(row);
          policy.decide(p.payment, features, score, () => scorer.explain(row, 3));
        }
      };
      await run(payments.slice(0, cut)); // state warm with ten days of history
      const measured = payments.slice(cut);
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      await run(measured);
      const wallS = (performance.now() - t0) / 1000;
      const used = process.cpuUsage(cpu);
      results.push({
        case: `scoring: ${name}`,
        metrics: {
          payments_per_s: measured.length / wallS,
          cpu_us_per_payment: (used.user + used.system) / measured.length,
        },
        notes: `${measured.length} payments, one thread, state warm with 10 days`,
      });
    }

    results.push(...(await devUnderLoad(context, artifact, payments.slice(cut))));
    results.push(await apiUnderLoad(context, payments.slice(cut)));
    return results;
  },
};
export default bench;

/** The worker's created → stored histogram. */
const STORED = 'hexcast_fraud_decision_seconds';

/** `hexcast dev` in its own process deciding payments at a fixed rate; a second model swapped in half-way. */
async function devUnderLoad(
  context: { quick: boolean; progress(m: string): void },
  artifact: TabularArtifact,
  source: ReturnType<typeof generatePayments>,
): Promise<BenchCaseResult[]> {
  const rate = Number(process.env.BENCH_FRAUD_RATE ?? 2000);
  const seconds = context.quick ? 8 : 30;
  context.progress(`hexcast dev at ${rate} payments/s for ${seconds} s`);
  const bench = await startBenchDev('fraud');
  const { dev, api, bootstrap } = bench;
  const registry = createEventRegistry();
  for (const e of FRAUD_EVENTS) registry.register(e);
  const producer = new BusProducer({ brokers: [bootstrap], registry, metrics: new Metrics() });
  const kafka = new Kafka({ clientId: 'bench-fraud', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-fraud-${Date.now()}`, maxWaitTimeInMs: 5 });
  try {
    // The merchants must exist for their payments to be decided; these come by the topic, not the API.
    await readyWithMerchants(bench, source);
    await producer.start();
    const publish = (a: TabularArtifact) =>
      producer.send(
        TOPICS.models,
        registry.create(ModelPublished, {
          key: 'fraud',
          source: { kind: 'cli', id: 'bench' },
          data: { name: 'fraud', version: a.version, artifact: a },
        }),
      );
    await publish(artifact);
    const second = { ...artifact, version: `${artifact.version}-b` };

    const sentAt = new Map<string, number>();
    const decided = new Map<
      string,
      { ids: Set<string>; decidedMs: number; publishedMs: number; receivedMs: number; version: string }
    >();
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.fraudDecisions.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const received = Date.now();
        const e = registry.decode(message.value);
        if (e.type !== 'fraud.decided') return;
        const d = e.data as { paymentId: string; createdAt: number; decidedAt: number; modelVersion: string };
        const seen = decided.get(d.paymentId);
        if (seen !== undefined) seen.ids.add(e.id);
        else
          decided.set(d.paymentId, {
            ids: new Set([e.id]),
            decidedMs: d.decidedAt - d.createdAt,
            // The decision's envelope is created as it is published, after the store.
            publishedMs: e.ts - d.createdAt,
            receivedMs: received - d.createdAt,
            version: d.modelVersion,
          });
      },
    });
    // The model reaches the worker before the clock starts: warm-up payments until one is decided by it.
    for (let w = 0; ![...decided.values()].some((d) => d.version === artifact.version); w++) {
      if (w > 300) throw new Error('the fraud model never reached the worker');
      const payment = { ...source[w]!.payment, paymentId: `warm${w}`, createdAt: Date.now() };
      await producer.send(
        TOPICS.payments,
        registry.create(PaymentSubmitted, {
          key: payment.paymentId,
          source: { kind: 'test', id: 'bench' },
          data: payment,
        }),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    /** `count` payments at the rate (open loop), ids `<prefix><i>`; `halfway` runs once half are out. */
    const offer = async (count: number, prefix: string, halfway?: () => Promise<void>) => {
      const sends: Promise<void>[] = [];
      const offeredS = await atRate(count, rate, (i) => {
        const p = source[i % source.length]!.payment;
        const payment = { ...p, paymentId: `${prefix}${i}`, createdAt: Date.now() };
        sentAt.set(payment.paymentId, payment.createdAt);
        sends.push(
          producer.send(
            TOPICS.payments,
            registry.create(PaymentSubmitted, {
              key: payment.paymentId,
              source: { kind: 'test', id: 'bench' },
              data: payment,
            }),
          ),
        );
        if (halfway !== undefined && i === Math.floor(count / 2)) sends.push(halfway());
      });
      await Promise.all(sends);
      return offeredS;
    };
    // Warm-up: 2 s at the rate (JIT, pools), every payment decided before the clock starts.
    const warm = 2 * rate;
    await offer(warm, 'w');
    const warmDeadline = Date.now() + 60_000;
    while (decided.size < warm && Date.now() < warmDeadline) await new Promise((r) => setTimeout(r, 50));
    decided.clear();
    const stored0 = await histogramBuckets(api, STORED);
    const total = rate * seconds;
    const cpu0 = dev.cpuMs();
    const machine0 = machineCpuMs();
    const own0 = process.cpuUsage();
    const t0 = Date.now();
    let swapAt = 0;
    const offeredS = await offer(total, 'b', async () => {
      swapAt = Date.now();
      await publish(second);
    });
    const deadline = Date.now() + 60_000;
    // Only the measured payments: a warm-up payment decided after the clear above is not one of them.
    const measured = () => [...decided.entries()].filter(([id]) => id.startsWith('b'));
    while (measured().length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const elapsedS = (Date.now() - t0) / 1000;
    const cpuMs = dev.cpuMs() - cpu0;
    const machineBusyMs = machineCpuMs() - machine0;
    const ownCpu = process.cpuUsage(own0);
    const wallMs = Date.now() - t0;
    const stored = bucketQuantiles(stored0, await histogramBuckets(api, STORED));
    const entries = measured();
    const list = entries.map(([, d]) => d);
    const decidedMs = list.map((d) => d.decidedMs);
    const publishedMs = list.map((d) => d.publishedMs);
    const afterSwap = entries.filter(([id]) => (sentAt.get(id) ?? 0) > swapAt + 2000);
    return [
      {
        case: `hexcast dev @ ${rate}/s, model swapped half-way`,
        metrics: {
          offered_per_s: total / offeredS,
          payments_per_s: list.length / elapsedS,
          p50_ms: quantile(decidedMs, 0.5),
          p99_ms: quantile(decidedMs, 0.99),
          p50_published_ms: quantile(publishedMs, 0.5),
          p99_published_ms: quantile(publishedMs, 0.99),
          p50_stored_le_ms: stored(0.5),
          p99_stored_le_ms: stored(0.99),
          p99_received_ms: quantile(
            list.map((d) => d.receivedMs),
            0.99,
          ),
          lost: total - list.length,
          duplicates: list.filter((d) => d.ids.size > 1).length,
          cpu_us_per_payment: (cpuMs * 1000) / total,
          dev_cores: cpuMs / wallMs,
          bench_process_cores: (ownCpu.user + ownCpu.system) / 1000 / wallMs,
          machine_cores_busy: machineBusyMs / wallMs,
          stale_after_swap: afterSwap.filter(([, d]) => d.version !== second.version).length,
        },
        notes: `${total} payments on hx.payments; p50/p99: created → decided (scored, before the store); p50/p99_published: created → decision published (its envelope's ts, after the store); p50/p99_stored_le: created → decision stored, the bound of its bucket in the worker's fraud_decision_seconds histogram; p99_received: → decision read by a merchant consumer; stale_after_swap: decisions by the old model for payments sent 2 s after the swap; dev_cores / bench_process_cores / machine_cores_busy: CPU over the measured run of hexcast dev, of this process (load generator and merchant consumer), and of the whole machine (${cpus().length} cores, PostgreSQL included)`,
      },
    ];
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.close().catch(() => undefined);
    await bench.stop();
  }
}

/**
 * `POST /v1/payments` on `hexcast dev` at `BENCH_FRAUD_API_RATE` (250) a second, open loop: what a
 * merchant calling the API gets (each request waits for its decision, up to
 * `HX_FRAUD_DECISION_WAIT_MS`), and what the process spends a payment. The per-key rate limit is
 * lifted for the run. The rules decide (no model is published): the path's cost is the point.
 */
async function apiUnderLoad(
  context: { quick: boolean; progress(m: string): void },
  source: ReturnType<typeof generatePayments>,
): Promise<BenchCaseResult> {
  const rate = Number(process.env.BENCH_FRAUD_API_RATE ?? 250);
  const seconds = context.quick ? 8 : 20;
  context.progress(`hexcast dev: POST /v1/payments at ${rate}/s for ${seconds} s`);
  const bench = await startBenchDev('fraud-api', { HX_API_RATE_LIMIT_PER_MINUTE: String(rate * 600) });
  try {
    const key = await readyWithMerchants(bench, source);
    const post = async (i: number, prefix: string) => {
      const payment = {
        ...source[i % source.length]!.payment,
        paymentId: `${prefix}${i}`,
        createdAt: Date.now(),
      };
      const t = performance.now();
      const r = await fetch(`${bench.api}/v1/payments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(payment),
      });
      const body = (await r.json()) as { status?: string };
      return { ms: performance.now() - t, status: r.status, decided: body.status !== 'pending' };
    };
    const warm: Promise<unknown>[] = [];
    await atRate(rate * 2, rate, (i) => warm.push(post(i, 'w')));
    await Promise.all(warm);
    const cpu0 = bench.dev.cpuMs();
    const t0 = Date.now();
    const sent: Promise<{ ms: number; status: number; decided: boolean }>[] = [];
    await atRate(rate * seconds, rate, (i) => sent.push(post(i, 'm')));
    const answers = await Promise.all(sent);
    const cpuMs = bench.dev.cpuMs() - cpu0;
    const ms = answers.map((a) => a.ms);
    return {
      case: `hexcast dev: POST /v1/payments @ ${rate}/s`,
      metrics: {
        offered_per_s: rate,
        answered_200_decided: answers.filter((a) => a.status === 200 && a.decided).length,
        answered_other: answers.filter((a) => a.status !== 200 || !a.decided).length,
        p50_answer_ms: quantile(ms, 0.5),
        p99_answer_ms: quantile(ms, 0.99),
        cpu_us_per_payment: (cpuMs * 1000) / answers.length,
        dev_cores: cpuMs / (Date.now() - t0),
      },
      notes: `${answers.length} payments through the API, each answered once decided (rules only): request → answer with the decision; answered_other: 202 (still pending at the wait's end) or an error`,
    };
  } finally {
    await bench.stop();
  }
}

/**
 * Waits for the dev's /readyz (every component started, feeds caught up), then makes a merchant key
 * and the source's merchants (EUR) with it; returns the key.
 */
async function readyWithMerchants(
  bench: Awaited<ReturnType<typeof startBenchDev>>,
  source: ReturnType<typeof generatePayments>,
): Promise<string> {
  const call = async (method: string, url: string, token: string, body: unknown) => {
    const r = await fetch(`${bench.api}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
    return (await r.json()) as { token: string };
  };
  for (let tries = 0; ; tries++) {
    const ready = await fetch(`${bench.api}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (tries > 600) throw new Error('hexcast dev never became ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  const admin = readFileSync(path.join(bench.dataDir, 'admin.key'), 'utf8').trim();
  const key = (await call('POST', '/v1/keys', admin, { role: 'merchant', name: 'bench' })).token;
  for (const m of new Set(source.map((p) => p.payment.merchantId)))
    await call('PUT', `/v1/merchants/${m}`, key, { name: m, currencies: ['EUR'] });
  return key;
}
