import { readFile } from 'node:fs/promises';
import {
  compareTrainers,
  FRAUD_TRAINERS,
  generatePayments,
  type LabelledRows,
  parseTransactionsCsv,
  scoreReport,
  splitByDay,
  type TabularArtifact,
  TabularScorer,
  type TrainerScores,
  trainTabular,
} from '@hexcast/models';
import { loadConfig } from '../../config/index.js';
import { HexcastError } from '../../errors/index.js';
import {
  AuditLog,
  FRAUD_FEATURE_NAMES,
  featureRow,
  PaymentStore,
  replayFeatures,
  rulesScorer,
} from '../../fraud/index.js';
import { silentLogger } from '../../observability/index.js';
import { openRecords } from '../../records/index.js';
import { cliTable } from './table.js';

export interface FraudTrainOptions {
  customers: number;
  days: number;
  trainDays: number;
  epochs: number;
  seed: number;
  /** Add the reviewers' labelled payments from the records database. */
  fromLabels: boolean;
}

/**
 * `hexcast model train fraud`: generated payments (attacks included) replayed through the same
 * feature code the worker runs, the first `trainDays` days to train on and the rest held out;
 * reviewers' labels from the records database added with `--from-labels`. The artifact carries
 * its held-out figures beside the rules-only baseline's.
 */
export async function trainFraud(
  o: FraudTrainOptions,
): Promise<{ artifact: TabularArtifact; table: string }> {
  const payments = generatePayments({ customers: o.customers, days: o.days, seed: o.seed });
  const { train } = splitByDay(payments, o.trainDays);
  // One replay in time order: the held-out days continue the training days' history.
  const all = await replayFeatures(payments);
  const trainRows: LabelledRows = {
    ...all,
    rows: all.rows.slice(0, train.length),
    labels: all.labels.slice(0, train.length),
  };
  const testRows: LabelledRows = {
    ...all,
    rows: all.rows.slice(train.length),
    labels: all.labels.slice(train.length),
  };
  if (o.fromLabels) {
    const labelled = await reviewedLabels();
    for (const l of labelled) {
      trainRows.rows.push(featureRow(l.features));
      trainRows.labels.push(l.fraud);
    }
  }
  const artifact = await trainTabular(trainRows.rows, trainRows.labels, {
    ...FRAUD_TRAINERS.hexcast,
    hidden: [...FRAUD_TRAINERS.hexcast.hidden],
    batchSize: 256,
    epochs: o.epochs,
    seed: o.seed,
    name: 'fraud',
    features: FRAUD_FEATURE_NAMES,
  });
  const scorer = await TabularScorer.load(artifact);
  const model = scoreReport(
    testRows.rows.map((r) => scorer.scoreSync(r)),
    testRows.labels,
  );
  const rules = scoreReport(
    testRows.rows.map((r) => rulesScorer.score(r)),
    testRows.labels,
  );
  scorer.dispose();
  artifact.evaluation = {
    pr_auc: model.pr_auc,
    recall_at_1pct_fpr: model.recall_at_1pct_fpr,
    recall_at_01pct_fpr: model.recall_at_01pct_fpr,
    rules_pr_auc: rules.pr_auc,
    rules_recall_at_01pct_fpr: rules.recall_at_01pct_fpr,
    trained_on: trainRows.rows.length,
    held_out: testRows.rows.length,
    held_out_frauds: testRows.labels.filter(Boolean).length,
  };
  return {
    artifact,
    table: scoresTable({ [artifact.version]: model, 'rules-v1 (baseline)': rules }, testRows.rows.length),
  };
}

async function reviewedLabels() {
  const config = loadConfig();
  const records = await openRecords(config, silentLogger());
  try {
    return await new PaymentStore(records, new AuditLog(records)).labelled();
  } finally {
    await records.close();
  }
}

/** `hexcast model evaluate fraud --train <csv> --test <csv>`: both trainers on files in the ULB format. */
export async function evaluateFraudFiles(
  trainFile: string,
  testFile: string,
): Promise<{ scores: Record<'logreg' | 'hexcast', TrainerScores>; table: string }> {
  const read = async (file: string) => {
    try {
      return parseTransactionsCsv(await readFile(file, 'utf8'));
    } catch (cause) {
      throw new HexcastError('HX_CLI_USAGE', `${file}: ${(cause as Error).message}`, { cause });
    }
  };
  const train = await read(trainFile);
  const test = await read(testFile);
  // The files are labelled samples (the ULB one is undersampled to ~29% fraud): train unweighted.
  const scores = await compareTrainers(train, test, { positiveWeight: 1 });
  return { scores, table: scoresTable(scores, test.rows.length) };
}

export function scoresTable(scores: Record<string, TrainerScores>, examples: number): string {
  const table = cliTable(['model', 'PR-AUC', 'recall @ 1% FPR', 'recall @ 0.1% FPR', 'examples']);
  for (const [name, s] of Object.entries(scores))
    table.push([
      name,
      s.pr_auc.toFixed(4),
      s.recall_at_1pct_fpr.toFixed(4),
      s.recall_at_01pct_fpr.toFixed(4),
      examples.toLocaleString('en-US'),
    ]);
  return table.toString();
}
