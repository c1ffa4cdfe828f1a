import {
  ARTIFACT_FORMAT,
  evaluateScorer,
  generateHistory,
  type ModelArtifact,
  type PropensityArtifact,
  readArtifact,
  readPropensityArtifact,
  SENTIMENT_FORMAT,
  type SentimentArtifact,
  SentimentScorer,
  splitByUser,
  TABULAR_FORMAT,
  type TabularArtifact,
  TabularScorer,
  TfPropensityScorer,
  trainPropensity,
  writeArtifact,
} from '@hexcast/models';
import type { Command } from 'commander';
import { BusProducer, busSecurity, kafkaBrokers } from '../../bus/index.js';
import { loadConfig } from '../../config/index.js';
import { createEventRegistry, TOPICS } from '../../envelope/index.js';
import { HexcastError } from '../../errors/index.js';
import { MODEL_EVENTS, publishArtifact } from '../../model-feed/index.js';
import { Metrics } from '../../observability/index.js';
import { evaluateFraudFiles, trainFraud } from './model-fraud.js';
import { DEFAULT_SENTIMENT_DATA, evaluateSentimentFiles, trainSentimentFile } from './model-sentiment.js';
import { cliTable } from './table.js';

/** Publishes an artifact on hx.models under `slot` (KAFKA_BROKERS: the bus it goes to). */
export async function publishModel(slot: string, version: string, artifact: unknown): Promise<void> {
  const config = loadConfig();
  if (config.kafka.brokers === undefined)
    throw new HexcastError('HX_CLI_USAGE', 'publishing needs KAFKA_BROKERS (the dev broker: localhost:9092)');
  const registry = createEventRegistry();
  for (const e of MODEL_EVENTS) registry.register(e);
  const producer = new BusProducer({
    brokers: kafkaBrokers({ config }),
    security: busSecurity(config),
    clientId: config.kafka.clientId,
    registry,
    metrics: new Metrics(),
  });
  await producer.start();
  try {
    await publishArtifact(producer, registry, slot, version, artifact);
  } finally {
    await producer.close();
  }
}

/** An option's parser for integers from `min` (1 by default; 0 where "none" means something). */
export const int =
  (name: string, min = 1) =>
  (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new HexcastError(
        'HX_CLI_USAGE',
        `--${name} must be ${min === 1 ? 'a positive integer' : `an integer from ${min}`}`,
      );
    return n;
  };

function aucTable(rows: Array<[string, number, number]>): string {
  const table = cliTable(['scorer', 'AUC (held-out)', 'examples']);
  for (const [name, auc, n] of rows) table.push([name, auc.toFixed(4), n.toLocaleString('en-US')]);
  return table.toString();
}

interface TrainOptions {
  out: string;
  users: number;
  offers: number;
  customers: number;
  days: number;
  trainDays: number;
  fromLabels: boolean;
  data?: string;
  folds: number;
  epochs?: number;
  seed: number;
}

/** A saved artifact of any format `hexcast model train` writes. */
async function readAnyArtifact(dir: string): Promise<ModelArtifact> {
  for (const format of [TABULAR_FORMAT, SENTIMENT_FORMAT]) {
    try {
      return await readArtifact<ModelArtifact>(dir, format);
    } catch {}
  }
  return readArtifact<ModelArtifact>(dir, ARTIFACT_FORMAT);
}

/** `hexcast model train | evaluate | publish`: the offer engine's propensity model and the fraud model. */
export function registerModel(program: Command): void {
  const model = program
    .command('model')
    .description(
      "train, evaluate and publish models: the offer engine's propensity model, the fraud model and the sentiment model",
    );

  model
    .command('train')
    .description(
      'train a model and write TF.js artifacts: propensity (default) on generated interaction history (models/README.md), fraud on generated payments (docs/fraud.md), or sentiment on labelled posts (docs/sentiment.md)',
    )
    .argument('[name]', 'propensity | fraud | sentiment', 'propensity')
    .requiredOption('--out <dir>', 'where model.json and weights.bin go')
    .option('--users <n>', 'propensity: users in the generated history', int('users'), 4000)
    .option('--offers <n>', 'propensity: offers per user', int('offers'), 10)
    .option('--customers <n>', 'fraud: customers in the generated payments', int('customers'), 20_000)
    .option('--days <n>', 'fraud: days of payments', int('days'), 14)
    .option('--train-days <n>', 'fraud: the first days trained on; the rest held out', int('train-days'), 10)
    .option('--from-labels', "fraud: add reviewers' labelled payments from the records database", false)
    .option(
      '--data <file>',
      'sentiment: labelled posts, airline CSV or VADER TSV (default: the airline tweets of shared/data)',
    )
    .option(
      '--folds <n>',
      'sentiment: cross-validation folds reported before training on all (1: none)',
      int('folds'),
      5,
    )
    .option('--epochs <n>', 'training epochs (propensity 12, fraud 20, sentiment 10)', int('epochs'))
    .option('--seed <n>', 'history seed', int('seed'), 1)
    .action(async (name: string, o: TrainOptions) => {
      if (name === 'fraud') {
        const { artifact, table } = await trainFraud({ ...o, epochs: o.epochs ?? 20 });
        await writeArtifact(o.out, artifact);
        process.stdout.write(
          `${table}\ntrained on ${artifact.evaluation!.trained_on} payments (${o.trainDays} days), held out the next ${o.days - o.trainDays}; wrote ${o.out}\n`,
        );
        return;
      }
      if (name === 'sentiment') {
        const { artifact, table } = await trainSentimentFile(o.data ?? DEFAULT_SENTIMENT_DATA, o);
        await writeArtifact(o.out, artifact);
        process.stdout.write(
          `${table}${table ? '\n' : ''}trained on ${artifact.evaluation!.trained_on} posts; wrote ${o.out}\n`,
        );
        return;
      }
      if (name !== 'propensity')
        throw new HexcastError('HX_CLI_USAGE', `no model ${name}: propensity, fraud or sentiment`);
      const history = generateHistory({ users: o.users, offersPerUser: o.offers, seed: o.seed });
      const { train, test } = splitByUser(history);
      const artifact = await trainPropensity(train, { epochs: o.epochs ?? 12, seed: o.seed, heldOut: test });
      await writeArtifact(o.out, artifact);
      const e = artifact.evaluation!;
      process.stdout.write(
        `${aucTable([
          [artifact.version, e.auc, e.heldOut],
          ['heuristic-v1', e.heuristicAuc, e.heldOut],
        ])}\ntrained on ${e.trainedOn} examples; wrote ${o.out}\n`,
      );
    });

  model
    .command('evaluate')
    .description(
      "propensity: AUC of a saved model vs the heuristic on freshly generated held-out history; fraud: logistic regression vs Hexcast's trainer on two CSV files in the ULB format; sentiment: VADER's rules, TF-IDF logistic regression and Hexcast's model on two labelled files",
    )
    .argument(
      '<dir|fraud|sentiment>',
      'a directory written by `hexcast model train`, or `fraud`, or `sentiment`',
    )
    .option('--users <n>', 'users in the evaluation history', int('users'), 2000)
    .option('--seed <n>', 'history seed (differs from training by default)', int('seed'), 99)
    .option('--train <file>', 'fraud, sentiment: the file to train on')
    .option('--test <file>', 'fraud, sentiment: the file to score')
    .option('--json', 'fraud, sentiment: print the figures as JSON, by scorer', false)
    .action(
      async (
        dir: string,
        o: { users: number; seed: number; train?: string; test?: string; json: boolean },
      ) => {
        if (dir === 'sentiment') {
          if (o.train === undefined || o.test === undefined)
            throw new HexcastError(
              'HX_CLI_USAGE',
              'hexcast model evaluate sentiment needs --train <file> and --test <file>',
            );
          const { scores, table } = await evaluateSentimentFiles(o.train, o.test);
          process.stdout.write(o.json ? `${JSON.stringify(scores)}\n` : `${table}\n`);
          return;
        }
        if (dir === 'fraud') {
          if (o.train === undefined || o.test === undefined)
            throw new HexcastError(
              'HX_CLI_USAGE',
              'hexcast model evaluate fraud needs --train <csv> and --test <csv>',
            );
          const { scores, table } = await evaluateFraudFiles(o.train, o.test);
          process.stdout.write(o.json ? `${JSON.stringify(scores)}\n` : `${table}\n`);
          return;
        }
        const scorer = await TfPropensityScorer.load(await readPropensityArtifact(dir));
        const history = generateHistory({ users: o.users, offersPerUser: 10, seed: o.seed });
        const { auc, heuristicAuc } = await evaluateScorer(scorer, history);
        process.stdout.write(
          `${aucTable([
            [scorer.version, auc, history.length],
            ['heuristic-v1', heuristicAuc, history.length],
          ])}\n`,
        );
        scorer.dispose();
      },
    );

  model
    .command('publish')
    .description(
      'publish a saved model on hx.models: running workers swap to it without a restart (a fraud model with --candidate scores in shadow)',
    )
    .argument('<dir>', 'a directory written by `hexcast model train`')
    .option(
      '--candidate',
      'fraud: publish as the shadow candidate (fraud.candidate), not the live model',
      false,
    )
    .action(async (dir: string, o: { candidate: boolean }) => {
      const config = loadConfig();
      if (config.kafka.brokers === undefined)
        throw new HexcastError(
          'HX_CLI_USAGE',
          'publishing needs KAFKA_BROKERS (the dev broker: localhost:9092)',
        );
      const artifact = await readAnyArtifact(dir);
      // Loading it here refuses a broken artifact before any worker sees it.
      if (artifact.format === TABULAR_FORMAT)
        (await TabularScorer.load(artifact as TabularArtifact)).dispose();
      else if (artifact.format === SENTIMENT_FORMAT)
        (await SentimentScorer.load(artifact as unknown as SentimentArtifact)).dispose();
      else (await TfPropensityScorer.load(artifact as PropensityArtifact)).dispose();
      if (o.candidate && artifact.name !== 'fraud')
        throw new HexcastError('HX_CLI_USAGE', 'only a fraud model can be published as a candidate');
      const slot = o.candidate ? `${artifact.name}.candidate` : artifact.name;
      await publishModel(slot, artifact.version, artifact);
      process.stdout.write(`published ${artifact.version} on ${TOPICS.models.name} as ${slot}\n`);
    });
}
