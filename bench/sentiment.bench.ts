import { readFile } from 'node:fs/promises';
import {
  type BenchCaseResult,
  type Benchmark,
  createEventRegistry,
  SENTIMENT_EVENTS,
  TOPICS,
} from '@hexcast/core';
import {
  classOf,
  crossValidateSentiment,
  type LabelledPost,
  mineText,
  parseSentimentFile,
  SENTIMENT_TRAINERS,
  type SentimentReport,
  SentimentScorer,
  trainSentiment,
} from '@hexcast/models';
import { startXStandIn } from '@hexcast/simulator';
import { Kafka, logLevel } from 'kafkajs';
import { bucketQuantiles, histogramBuckets } from './histogram.js';
import { atRate } from './pace.js';
import { startBenchDev } from './processes.js';

const AIRLINE = new URL('../../shared/data/sentiment/airline/airline_tweets_dev.csv', import.meta.url);
const VADER_TWEETS = new URL('../../shared/data/sentiment/tweets_dev.tsv', import.meta.url);

const posts = async (file: URL): Promise<LabelledPost[]> =>
  parseSentimentFile(await readFile(file, 'utf8')).posts;

function figures(r: SentimentReport): Record<string, number> {
  const out: Record<string, number> = {
    accuracy: r.accuracy,
    macro_f1: r.macro_f1,
    weighted_f1: r.weighted_f1,
    f1_negative: r.f1.negative!,
    f1_neutral: r.f1.neutral!,
    f1_positive: r.f1.positive!,
  };
  if (r.reason_accuracy !== undefined) out.reason_accuracy = r.reason_accuracy;
  if (r.r !== undefined) out.r = r.r;
  return out;
}

/**
 * Sentiment side by side in one run, 5-fold cross-validated on the dev files: VADER's rules, the
 * TF-IDF logistic-regression baseline and Hexcast's model, on the airline tweets (labels and
 * negative reasons) and on VADER's human-rated tweets; then the scoring rate on one thread (text
 * mining + sentiment), rules only and with the model.
 */
const bench: Benchmark = {
  name: 'sentiment',
  description:
    'sentiment quality (airline tweets and VADER tweets, 5-fold CV: VADER rules, TF-IDF logistic regression, hexcast) and scoring rate on one thread',
  baseline: 'airline: tfidf-logreg',
  primary: { metric: 'macro_f1', higherIsBetter: true },
  async run(context) {
    const results: BenchCaseResult[] = [];
    const airline = await posts(AIRLINE);
    if (process.env.BENCH_SENTIMENT_ONLY === 'pipeline') return [await pipeline(context, airline)];
    const sample = context.quick ? airline.filter((_, i) => i % 4 === 0) : airline;
    const cv = await crossValidateSentiment(sample, 5, 1, (m) => context.progress(`airline ${m}`));
    const airlineNote = `${sample.length} tweets, 5-fold stratified CV, pooled predictions`;
    for (const [name, report] of Object.entries(cv))
      results.push({ case: `airline: ${name}`, metrics: figures(report), notes: airlineNote });

    const vader = await posts(VADER_TWEETS);
    const vcv = await crossValidateSentiment(vader, 5, 1, (m) => context.progress(`VADER tweets ${m}`));
    const vaderNote = `${vader.length} tweets (odd ids), ratings ÷ 4, classes at ±0.05; 5-fold CV`;
    for (const [name, report] of Object.entries(vcv))
      results.push({ case: `VADER tweets: ${name}`, metrics: figures(report), notes: vaderNote });

    context.progress('scoring rate on one thread');
    const scorer = await SentimentScorer.load(await trainSentiment(airline, SENTIMENT_TRAINERS.hexcast));
    const texts = airline.map((p) => p.text);
    const cases: Array<[string, (text: string) => unknown]> = [
      ['text mining + VADER rules', (t) => classOf(mineText(t).vader.compound)],
      ['text mining + hexcast model', (t) => scorer.score(t)],
    ];
    for (const [name, score] of cases) {
      // What the cross-validation runs left behind is collected first, not charged to the scorer.
      gc?.();
      for (const t of texts) score(t); // warm
      const rounds: number[] = [];
      let cpuUs = 0;
      for (let round = 0; round < 5; round++) {
        const cpu = process.cpuUsage();
        const t0 = performance.now();
        for (const t of texts) score(t);
        const used = process.cpuUsage(cpu);
        rounds.push(texts.length / ((performance.now() - t0) / 1000));
        cpuUs += (used.user + used.system) / texts.length / 5;
      }
      rounds.sort((a, b) => a - b);
      results.push({
        case: `scoring: ${name}`,
        metrics: { posts_per_s: rounds[2]!, cpu_us_per_post: cpuUs },
        rounds,
        notes: `${texts.length} airline tweets × 5 rounds, one thread, median`,
      });
    }
    scorer.dispose();
    results.push(await pipeline(context, airline));
    return results;
  },
};
export default bench;

/** The worker's own latency histogram: post received by a connector → stored, alert raised, score published. */
const HANDLED = 'hexcast_sentiment_post_seconds';

/**
 * `hexcast dev` (own process, records in PGlite) fed tweets through the X stand-in at a fixed rate:
 * each post's time from being written to the stream to its score arriving on hx.sentiment (stored
 * first, its alert raised before), lost and duplicated posts, alerts per post, the dev's CPU.
 */
async function pipeline(
  context: { quick: boolean; progress(m: string): void },
  posts: LabelledPost[],
): Promise<BenchCaseResult> {
  const rate = Number(process.env.BENCH_SENTIMENT_RATE ?? 2000);
  // The records database: PGlite embedded, or PostgreSQL when DATABASE_URL is set (as for hexcast itself).
  const engine = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
  const seconds = context.quick ? 8 : 20;
  const x = await startXStandIn({ bearerToken: 'bench' });
  context.progress(`hexcast dev fed ${rate} posts/s for ${seconds} s through the X stand-in`);
  const bench = await startBenchDev('sentiment', {
    HX_X_API_URL: x.url,
    HX_X_BEARER_TOKEN: 'bench',
  });
  const { dev, api } = bench;
  const registry = createEventRegistry();
  for (const e of SENTIMENT_EVENTS) registry.register(e);
  const kafka = new Kafka({
    clientId: 'bench-sentiment',
    brokers: [bench.bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `bench-sentiment-${Date.now()}`, maxWaitTimeInMs: 5 });
  const scored = new Map<string, { copies: number; ms: number }>();
  const alerts = new Map<string, number>();
  const sentAt = new Map<string, number>();
  /** The measured posts' ids start with this; once measuring, a warm-up post's late score or alert is not counted. */
  const MEASURED = 'b';
  let measuring = false;
  /** `count` tweets at `rate`, ids `<prefix><i>`, texts from `from` on (round-robin, backwards for the warm-up). */
  const feed = (count: number, prefix: string, from: number) =>
    atRate(count, rate, (i) => {
      const p = posts[Math.abs(from - i) % posts.length]!;
      const id = `${prefix}${i}`;
      const now = Date.now();
      sentAt.set(id, now);
      x.tweet({
        id,
        text: p.text,
        authorId: `${prefix}${i % 5000}`,
        username: p.author ?? 'someone',
        followers: (i * 7919) % 20_000,
        createdAt: now,
        likes: i % 13,
      });
    });
  try {
    await x.waitForConnections(1);
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPICS.sentiment.name, TOPICS.alerts.name], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const received = Date.now();
        const e = registry.decode(message.value);
        const d = e.data as { postId?: string; post?: { postId: string } };
        if (measuring && !(d.postId ?? d.post?.postId ?? '').startsWith(MEASURED)) return;
        if (e.type === 'sentiment.scored') {
          const seen = scored.get(d.postId!);
          if (seen !== undefined) seen.copies++;
          else scored.set(d.postId!, { copies: 1, ms: received - (sentAt.get(d.postId!) ?? received) });
        } else if (e.type === 'care.alert' && d.post !== undefined)
          alerts.set(d.post.postId, (alerts.get(d.post.postId) ?? 0) + 1);
      },
    });
    // Warm-up: one post through, then 2 s at the full rate (JIT, connections, pools) whose
    // posts are all scored before the measured run starts.
    for (let w = 0; scored.size === 0; w++) {
      if (w > 200) throw new Error('no post came through the pipeline');
      x.tweet({
        id: `warm${w}`,
        text: posts[w]!.text,
        authorId: 'w',
        username: 'w',
        followers: 1,
        createdAt: Date.now(),
      });
      sentAt.set(`warm${w}`, Date.now());
      await new Promise((r) => setTimeout(r, 100));
    }
    const warm = 2 * rate;
    await feed(warm, 'w', posts.length - 1);
    const warmDeadline = Date.now() + 60_000;
    while (scored.size < warm && Date.now() < warmDeadline) await new Promise((r) => setTimeout(r, 50));
    measuring = true;
    scored.clear();
    alerts.clear();
    const total = rate * seconds;
    const cpu0 = dev.cpuMs();
    const handled0 = await histogramBuckets(api, HANDLED);
    const t0 = Date.now();
    await feed(total, MEASURED, 0);
    const deadline = Date.now() + 60_000;
    while (scored.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const elapsedS = (Date.now() - t0) / 1000;
    const cpuMs = dev.cpuMs() - cpu0;
    const handled = bucketQuantiles(handled0, await histogramBuckets(api, HANDLED));
    const ms = [...scored.values()].map((v) => v.ms).sort((a, b) => a - b);
    const pct = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? Number.NaN;
    return {
      case: `pipeline: hexcast dev (${engine}) fed ${rate} posts/s`,
      metrics: {
        posts_per_s: scored.size / elapsedS,
        cpu_us_per_post: (cpuMs * 1000) / Math.max(scored.size, 1),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        p50_handled_le: handled(0.5),
        p99_handled_le: handled(0.99),
        lost: total - scored.size,
        duplicates: [...scored.values()].reduce((n, v) => n + v.copies - 1, 0),
        duplicate_alerts: [...alerts.values()].reduce((n, c) => n + c - 1, 0),
        alerts: alerts.size,
      },
      notes: `${total} airline tweets through the X stand-in (bench process) → hexcast dev (${engine}, VADER rules), after 2 s at the rate to warm up; latency = written to the stream → score received on hx.sentiment by a consumer in the bench process (stored and alert raised before it); p50/p99_handled_le: received by the connector → stored, alert raised and score published, the bound of its bucket in the worker's sentiment_post_seconds histogram`,
    };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await bench.stop();
    await x.close();
  }
}
