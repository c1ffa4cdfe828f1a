import {
  evaluateScorer,
  generateHistory,
  readArtifact,
  splitByUser,
  TfPropensityScorer,
  trainPropensity,
  writeArtifact,
} from '@hexcast/models';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { BusProducer, kafkaBrokers } from '../../bus/index.js';
import { loadConfig } from '../../config/index.js';
import { createEventRegistry, TOPICS } from '../../envelope/index.js';
import { HexcastError } from '../../errors/index.js';
import { ModelPublished } from '../../model-feed/index.js';
import { Metrics } from '../../observability/index.js';

const int = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new HexcastError('HX_CLI_USAGE', `--${name} must be a positive integer`);
  return n;
};

function aucTable(rows: Array<[string, number, number]>): string {
  const table = new Table({ head: ['scorer', 'AUC (held-out)', 'examples'] });
  for (const [name, auc, n] of rows) table.push([name, auc.toFixed(4), n.toLocaleString('en-US')]);
  return table.toString();
}

/** `hexcast model train | evaluate | publish`: the offer engine's propensity model. */
export function registerModel(program: Command): void {
  const model = program.command('model').description('train, evaluate and publish the propensity model');

  model
    .command('train')
    .description('train on generated interaction history (models/README.md) and write TF.js artifacts')
    .requiredOption('--out <dir>', 'where model.json and weights.bin go')
    .option('--users <n>', 'users in the generated history', int('users'), 4000)
    .option('--offers <n>', 'offers per user', int('offers'), 10)
    .option('--epochs <n>', 'training epochs', int('epochs'), 12)
    .option('--seed <n>', 'history seed', int('seed'), 1)
    .action(async (o: { out: string; users: number; offers: number; epochs: number; seed: number }) => {
      const history = generateHistory({ users: o.users, offersPerUser: o.offers, seed: o.seed });
      const { train, test } = splitByUser(history);
      const artifact = await trainPropensity(train, { epochs: o.epochs, seed: o.seed, heldOut: test });
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
    .description('AUC of a saved model vs the heuristic on freshly generated held-out history')
    .argument('<dir>', 'a directory written by `hexcast model train`')
    .option('--users <n>', 'users in the evaluation history', int('users'), 2000)
    .option('--seed <n>', 'history seed (differs from training by default)', int('seed'), 99)
    .action(async (dir: string, o: { users: number; seed: number }) => {
      const scorer = await TfPropensityScorer.load(await readArtifact(dir));
      const history = generateHistory({ users: o.users, offersPerUser: 10, seed: o.seed });
      const { auc, heuristicAuc } = await evaluateScorer(scorer, history);
      process.stdout.write(
        `${aucTable([
          [scorer.version, auc, history.length],
          ['heuristic-v1', heuristicAuc, history.length],
        ])}\n`,
      );
      scorer.dispose();
    });

  model
    .command('publish')
    .description('publish a saved model on hx.models: running offer workers swap to it without a restart')
    .argument('<dir>', 'a directory written by `hexcast model train`')
    .action(async (dir: string) => {
      const config = loadConfig();
      if (config.kafka.brokers === undefined)
        throw new HexcastError(
          'HX_CLI_USAGE',
          'publishing needs KAFKA_BROKERS (the dev broker: localhost:9092)',
        );
      const artifact = await readArtifact(dir);
      // Loading it here refuses a broken artifact before any worker sees it.
      (await TfPropensityScorer.load(artifact)).dispose();
      const registry = createEventRegistry();
      registry.register(ModelPublished);
      const producer = new BusProducer({
        brokers: kafkaBrokers({ config }),
        clientId: config.kafka.clientId,
        registry,
        metrics: new Metrics(),
      });
      await producer.start();
      try {
        await producer.send(
          TOPICS.models,
          registry.create(ModelPublished, {
            key: 'propensity',
            source: { kind: 'cli', id: 'model-publish' },
            data: { name: 'propensity', version: artifact.version, artifact },
          }),
        );
      } finally {
        await producer.close();
      }
      process.stdout.write(`published ${artifact.version} on ${TOPICS.models.name}\n`);
    });
}
