import { readFile } from 'node:fs/promises';
import type { BenchCaseResult, Benchmark } from '@hexcast/core';
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
    return results;
  },
};
export default bench;
