import { stratifiedFoldOf } from '../evaluate.js';
import { seededRandom } from '../random.js';
import { classOf, type LabelledPost, SENTIMENT_CLASSES } from './corpus.js';
import { type ClassReport, classReport, pearson } from './metrics.js';
import { SentimentScorer, type SentimentTrainOptions, trainSentiment } from './model.js';
import { ruleReason } from './reasons.js';
import { type MinedText, mineText } from './text.js';

/** The two trained scorers compared everywhere; VADER's rules are the third, untrained. */
export const SENTIMENT_TRAINERS = {
  // Word 1–2-grams + character 2–5-grams, TF-IDF, multinomial logistic regression.
  'tfidf-logreg': {
    hidden: 0,
    lexiconFeatures: false,
    maxFeatures: 40_000,
    epochs: 6,
    l2: 1e-4,
    learningRate: 0.01,
  },
  hexcast: {},
} as const satisfies Record<string, SentimentTrainOptions>;

export const SENTIMENT_SCORERS = ['vader', 'tfidf-logreg', 'hexcast'] as const;
export type SentimentScorerName = (typeof SENTIMENT_SCORERS)[number];

export interface SentimentReport extends ClassReport {
  /** Negative posts whose reason the scorer named right (VADER's rules: by keywords), when the data has reasons. */
  reason_accuracy?: number;
  /** Pearson r of the compound score with the human rating, when the data has ratings. */
  r?: number;
  examples: number;
}

interface Predictions {
  labels: string[];
  compound: number[];
  reasons: (string | undefined)[];
}

function report(posts: readonly LabelledPost[], p: Predictions): SentimentReport {
  const out: SentimentReport = {
    ...classReport(
      posts.map((x) => x.label),
      p.labels,
      SENTIMENT_CLASSES,
    ),
    examples: posts.length,
  };
  const withReason = posts.flatMap((x, i) => (x.label === 'negative' && x.reason !== undefined ? [i] : []));
  if (withReason.length > 0)
    out.reason_accuracy =
      withReason.filter((i) => p.reasons[i] === posts[i]!.reason).length / withReason.length;
  const rated = posts.flatMap((x, i) => (x.rating !== undefined ? [i] : []));
  if (rated.length > 1)
    out.r = pearson(
      rated.map((i) => p.compound[i]!),
      rated.map((i) => posts[i]!.rating!),
    );
  return out;
}

function vaderPredictions(mined: readonly MinedText[]): Predictions {
  return {
    labels: mined.map((m) => classOf(m.vader.compound)),
    compound: mined.map((m) => m.vader.compound),
    reasons: mined.map((m) => (classOf(m.vader.compound) === 'negative' ? ruleReason(m) : undefined)),
  };
}

async function trainedPredictions(
  train: readonly LabelledPost[],
  trainMined: readonly MinedText[],
  test: readonly MinedText[],
  options: SentimentTrainOptions,
): Promise<Predictions> {
  const scorer = await SentimentScorer.load(await trainSentiment(train, { ...options, mined: trainMined }));
  const scores = test.map((m) => scorer.scoreMined(m));
  scorer.dispose();
  return {
    labels: scores.map((s) => s.label),
    compound: scores.map((s) => s.compound),
    reasons: scores.map((s) => s.reason),
  };
}

/** Trains both trainers on `train` and reports all three scorers on `test`, side by side. */
export async function compareSentiment(
  train: readonly LabelledPost[],
  test: readonly LabelledPost[],
): Promise<Record<SentimentScorerName, SentimentReport>> {
  const trainMined = train.map((p) => mineText(p.text));
  const testMined = test.map((p) => mineText(p.text));
  return {
    vader: report(test, vaderPredictions(testMined)),
    'tfidf-logreg': report(
      test,
      await trainedPredictions(train, trainMined, testMined, SENTIMENT_TRAINERS['tfidf-logreg']),
    ),
    hexcast: report(test, await trainedPredictions(train, trainMined, testMined, SENTIMENT_TRAINERS.hexcast)),
  };
}

/**
 * k-fold cross-validation (stratified by class, seeded): each trainer scores every post once, from
 * the model trained on the other folds; the figures are over the pooled predictions.
 */
export async function crossValidateSentiment(
  posts: readonly LabelledPost[],
  k = 5,
  seed = 1,
  progress: (message: string) => void = () => {},
): Promise<Record<SentimentScorerName, SentimentReport>> {
  const mined = posts.map((p) => mineText(p.text));
  const fold = stratifiedFoldOf(
    posts.map((p) => p.label),
    k,
    seededRandom(seed),
  );
  const pooled = Object.fromEntries(
    (['tfidf-logreg', 'hexcast'] as const).map((name) => [
      name,
      { labels: [] as string[], compound: [] as number[], reasons: [] as (string | undefined)[] },
    ]),
  ) as Record<'tfidf-logreg' | 'hexcast', Predictions>;
  for (let f = 0; f < k; f++) {
    const trainIdx = posts.flatMap((_, i) => (fold[i] !== f ? [i] : []));
    const testIdx = posts.flatMap((_, i) => (fold[i] === f ? [i] : []));
    for (const name of ['tfidf-logreg', 'hexcast'] as const) {
      progress(`fold ${f + 1}/${k}: ${name}`);
      const p = await trainedPredictions(
        trainIdx.map((i) => posts[i]!),
        trainIdx.map((i) => mined[i]!),
        testIdx.map((i) => mined[i]!),
        SENTIMENT_TRAINERS[name],
      );
      testIdx.forEach((i, n) => {
        pooled[name].labels[i] = p.labels[n]!;
        pooled[name].compound[i] = p.compound[n]!;
        pooled[name].reasons[i] = p.reasons[n];
      });
    }
  }
  return {
    vader: report(posts, vaderPredictions(mined)),
    'tfidf-logreg': report(posts, pooled['tfidf-logreg']),
    hexcast: report(posts, pooled.hexcast),
  };
}
