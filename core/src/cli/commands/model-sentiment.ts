import {
  compareSentiment,
  crossValidateSentiment,
  type LabelledPost,
  parseSentimentFile,
  SENTIMENT_TRAINERS,
  type SentimentArtifact,
  type SentimentReport,
  type SentimentScorerName,
  trainSentiment,
} from '@hexcast/models';
import { readDataFile } from './data-file.js';
import { cliTable } from './table.js';

/** The airline tweets of `shared/data/sentiment/` when the repository sits beside it. */
export const DEFAULT_SENTIMENT_DATA = new URL(
  '../../../../../shared/data/sentiment/airline/airline_tweets_dev.csv',
  import.meta.url,
);

const readPosts = (file: string | URL): Promise<LabelledPost[]> =>
  readDataFile(file, (text) => parseSentimentFile(text).posts);

/**
 * `hexcast model train sentiment`: the Hexcast model on a labelled file (airline CSV or VADER TSV),
 * after a 5-fold cross-validation against VADER's rules and TF-IDF logistic regression whose
 * figures the artifact carries.
 */
export async function trainSentimentFile(
  file: string | URL,
  o: { epochs?: number; seed: number; folds: number },
): Promise<{ artifact: SentimentArtifact; table: string }> {
  const posts = await readPosts(file);
  const cv = o.folds > 1 ? await crossValidateSentiment(posts, o.folds, o.seed) : undefined;
  const artifact = await trainSentiment(posts, {
    ...SENTIMENT_TRAINERS.hexcast,
    seed: o.seed,
    ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
  });
  if (cv !== undefined) {
    artifact.evaluation = {
      accuracy: cv.hexcast.accuracy,
      macro_f1: cv.hexcast.macro_f1,
      weighted_f1: cv.hexcast.weighted_f1,
      baseline_accuracy: cv['tfidf-logreg'].accuracy,
      baseline_macro_f1: cv['tfidf-logreg'].macro_f1,
      vader_accuracy: cv.vader.accuracy,
      folds: o.folds,
    };
    if (cv.hexcast.r !== undefined) artifact.evaluation.r = cv.hexcast.r;
  }
  artifact.evaluation = { ...artifact.evaluation, trained_on: posts.length };
  return { artifact, table: cv === undefined ? '' : sentimentTable(cv) };
}

/** `hexcast model evaluate sentiment --train <file> --test <file>`: the three scorers side by side. */
export async function evaluateSentimentFiles(
  trainFile: string,
  testFile: string,
): Promise<{ scores: Record<SentimentScorerName, SentimentReport>; table: string }> {
  const scores = await compareSentiment(await readPosts(trainFile), await readPosts(testFile));
  return { scores, table: sentimentTable(scores) };
}

const figure = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(3));

export function sentimentTable(scores: Record<string, SentimentReport>): string {
  const table = cliTable([
    'scorer',
    'accuracy',
    'macro-F1',
    'weighted-F1',
    'F1 neg / neu / pos',
    'reason acc.',
    'r',
    'examples',
  ]);
  for (const [name, s] of Object.entries(scores))
    table.push([
      name,
      figure(s.accuracy),
      figure(s.macro_f1),
      figure(s.weighted_f1),
      `${figure(s.f1.negative)} / ${figure(s.f1.neutral)} / ${figure(s.f1.positive)}`,
      figure(s.reason_accuracy),
      figure(s.r),
      s.examples.toLocaleString('en-US'),
    ]);
  return table.toString();
}
