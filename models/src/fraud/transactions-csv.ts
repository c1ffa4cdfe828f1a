import { averagePrecision, recallAtFpr, stratifiedFoldOf } from '../evaluate.js';
import { TabularScorer, type TabularTrainOptions, trainTabular } from '../tabular.js';

/** Labelled rows in the ULB credit-card format (`Time,V1…V28,Amount,Class`, optional `row`). */
export interface LabelledRows {
  features: string[];
  rows: number[][];
  labels: boolean[];
}

/**
 * Parses a CSV in the ULB credit-card format of `shared/data/fraud/`: the model sees V1–V28 and
 * ln(1 + Amount); `Time` (seconds since the file's first transaction) and `row` are dropped,
 * `Class` is the label. A missing column or a non-numeric cell is an error naming the line.
 */
export function parseTransactionsCsv(text: string): LabelledRows {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  const v = Array.from({ length: 28 }, (_, i) => `V${i + 1}`);
  const wanted = [...v, 'Amount'];
  const index = new Map(header.map((h, i) => [h, i]));
  const missing = [...wanted, 'Class'].filter((c) => !index.has(c));
  if (missing.length > 0) throw new Error(`not a transactions CSV: no column ${missing.join(', ')}`);
  const features = [...v, 'amountLog'];
  const rows: number[][] = [];
  const labels: boolean[] = [];
  lines.forEach((line, n) => {
    const cells = line.split(',');
    const row = wanted.map((c) => Number(cells[index.get(c)!]));
    const label = Number(cells[index.get('Class')!]);
    if (row.some((x) => !Number.isFinite(x)) || (label !== 0 && label !== 1))
      throw new Error(`line ${n + 2}: not a number where one is expected`);
    row[row.length - 1] = Math.log1p(Math.max(row.at(-1)!, 0));
    rows.push(row);
    labels.push(label === 1);
  });
  return { features, rows, labels };
}

export interface TrainerScores {
  pr_auc: number;
  recall_at_1pct_fpr: number;
  recall_at_01pct_fpr: number;
}

/** The two trainers compared everywhere: logistic regression, and Hexcast's MLP. */
export const FRAUD_TRAINERS = {
  logreg: { hidden: [], epochs: 100, l2: 1e-3, learningRate: 0.02, batchSize: 64 },
  hexcast: { hidden: [16], epochs: 60, l2: 1e-3, learningRate: 0.005, batchSize: 64 },
} as const satisfies Record<string, Partial<TabularTrainOptions>>;

/**
 * Trains both trainers on `train` and scores them on `test`, side by side. `overrides` fit a data
 * set (the balanced ULB sample trains unweighted: `positiveWeight: 1`).
 */
export async function compareTrainers(
  train: LabelledRows,
  test: LabelledRows,
  overrides: Partial<Pick<TabularTrainOptions, 'epochs' | 'batchSize' | 'positiveWeight' | 'seed'>> = {},
): Promise<Record<keyof typeof FRAUD_TRAINERS, TrainerScores>> {
  const out = {} as Record<keyof typeof FRAUD_TRAINERS, TrainerScores>;
  for (const [name, options] of Object.entries(FRAUD_TRAINERS) as Array<
    [keyof typeof FRAUD_TRAINERS, (typeof FRAUD_TRAINERS)[keyof typeof FRAUD_TRAINERS]]
  >) {
    const artifact = await trainTabular(train.rows, train.labels, {
      ...options,
      hidden: [...options.hidden],
      name: `fraud-${name}`,
      features: train.features,
      seed: 7,
      ...overrides,
    });
    const scorer = await TabularScorer.load(artifact);
    const scores = Float64Array.from(test.rows, (r) => scorer.scoreSync(r));
    scorer.dispose();
    out[name] = scoreReport(scores, test.labels);
  }
  return out;
}

export function scoreReport(scores: ArrayLike<number>, labels: readonly boolean[]): TrainerScores {
  return {
    pr_auc: averagePrecision(scores, labels),
    recall_at_1pct_fpr: recallAtFpr(scores, labels, 0.01),
    recall_at_01pct_fpr: recallAtFpr(scores, labels, 0.001),
  };
}

/** `k` stratified folds (positives and negatives dealt round-robin after a seeded shuffle). */
export function stratifiedFolds(
  data: LabelledRows,
  k: number,
  random: () => number,
): Array<{ train: LabelledRows; test: LabelledRows }> {
  const fold = stratifiedFoldOf(data.labels, k, random);
  const subset = (keep: (f: number) => boolean): LabelledRows => {
    const idx = fold.flatMap((f, i) => (keep(f) ? [i] : []));
    return {
      features: data.features,
      rows: idx.map((i) => data.rows[i]!),
      labels: idx.map((i) => data.labels[i]!),
    };
  };
  return Array.from({ length: k }, (_, f) => ({
    train: subset((x) => x !== f),
    test: subset((x) => x === f),
  }));
}
