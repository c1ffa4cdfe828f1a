import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type ClickSession,
  compareRecs,
  parseSessionsTsv,
  RECS_FORMAT,
  type RecsArtifact,
  type RecsComparison,
  RecsModel,
  trainRecs,
} from '@hexcast/models';
import type { Command } from 'commander';
import { createKafka } from '../../bus/index.js';
import { loadConfig } from '../../config/index.js';
import { createEventRegistry, TOPICS } from '../../envelope/index.js';
import { HexcastError } from '../../errors/index.js';
import { prettyLogs, processLogger } from '../../observability/index.js';
import { readClickSessions } from '../../recommendations/index.js';
import { readDataFile } from './data-file.js';
import { int, publishModel } from './model.js';
import { cliTable } from './table.js';

/** The YOOCHOOSE training sessions of `shared/data/sessions/` when the repository sits beside it. */
export const DEFAULT_SESSIONS_DATA = new URL(
  '../../../../../shared/data/sessions/rsc15_train_tr.tsv',
  import.meta.url,
);

const readSessions = (file: string | URL): Promise<ClickSession[]> => readDataFile(file, parseSessionsTsv);

const ARTIFACT_FILE = 'recs.json';

async function readRecsArtifact(dir: string): Promise<RecsArtifact> {
  const artifact = await readDataFile(
    path.join(dir, ARTIFACT_FILE),
    (text) => JSON.parse(text) as RecsArtifact,
  );
  if (artifact.format !== RECS_FORMAT)
    throw new HexcastError('HX_MODEL_INVALID', `${dir}/${ARTIFACT_FILE} is not a ${RECS_FORMAT} model`);
  return artifact;
}

const DURATION = /^(\d+)(m|h|d)$/;

/** The click sessions of the last `duration` on hx.clicks (KAFKA_BROKERS: the bus they are on). */
async function busSessions(duration: string): Promise<ClickSession[]> {
  const match = DURATION.exec(duration);
  if (match === null)
    throw new HexcastError('HX_CLI_USAGE', `--from-bus ${duration}: a duration like 30m, 12h or 7d`);
  const config = loadConfig();
  if (config.kafka.brokers === undefined)
    throw new HexcastError(
      'HX_CLI_USAGE',
      'reading the clickstream needs KAFKA_BROKERS (the dev broker: localhost:9092)',
    );
  const ms = Number(match[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
  const logger = processLogger({
    level: config.logLevel,
    name: 'hexcast-recs',
    pretty: prettyLogs(config.logFormat),
  });
  const registry = createEventRegistry();
  const { sessions, clicks, skipped } = await readClickSessions(
    createKafka({ config, logger }),
    registry,
    Date.now() - ms,
  );
  process.stderr.write(
    `read ${clicks} clicks in ${sessions.length} sessions from ${TOPICS.clicks.name}${skipped > 0 ? ` (${skipped} records skipped)` : ''}\n`,
  );
  if (sessions.length === 0)
    throw new HexcastError(
      'HX_CLI_USAGE',
      `no clicks on ${TOPICS.clicks.name} in the last ${duration}: nothing to train on`,
    );
  return sessions;
}

/** The evaluation's table: HR@20 and MRR@20 per recommender. */
export function recsTable(scores: RecsComparison): string {
  const table = cliTable(['recommender', 'HR@20', 'MRR@20', 'predictions']);
  for (const [name, r] of Object.entries(scores))
    table.push([name, r['hr@20'].toFixed(4), r['mrr@20'].toFixed(4), r.predictions.toLocaleString('en-US')]);
  return table.toString();
}

/** `hexcast recs train | evaluate | publish`. */
export function registerRecs(program: Command): void {
  const recs = program
    .command('recs')
    .description('train, evaluate and publish the recommendations model (docs/recommendations.md)');

  recs
    .command('train')
    .description(
      'train on click sessions (TSV: SessionId, ItemId, Time): the session kNN window, sequential rules and item kNN, with blend weights learnt on the last fifth by time',
    )
    .option('--data <file>', 'click sessions (default: rsc15_train_tr of shared/data/sessions)')
    .option(
      '--from-bus <duration>',
      'train on the live clickstream instead: hx.clicks over the last <duration> (e.g. 7d, 12h; needs KAFKA_BROKERS)',
    )
    .option('--publish', 'publish the trained model on hx.models (what a scheduled retraining does)', false)
    .requiredOption('--out <dir>', 'where to write recs.json')
    .option('--max-sessions <n>', 'keep the most recent sessions only', int('max-sessions'), 50_000)
    .option(
      '--epochs <n>',
      'epochs of the TF.js session network (0: the kNN blend alone)',
      int('epochs', 0),
      4,
    )
    .action(
      async (o: {
        data?: string;
        fromBus?: string;
        publish: boolean;
        out: string;
        maxSessions: number;
        epochs: number;
      }) => {
        if (o.fromBus !== undefined && o.data !== undefined)
          throw new HexcastError('HX_CLI_USAGE', 'give --data <file> or --from-bus <duration>, not both');
        const sessions =
          o.fromBus === undefined
            ? await readSessions(o.data ?? DEFAULT_SESSIONS_DATA)
            : await busSessions(o.fromBus);
        const artifact = await trainRecs(sessions, {
          maxSessions: o.maxSessions,
          netEpochs: o.epochs,
          progress: (m) => process.stderr.write(`${m}\n`),
        });
        await mkdir(o.out, { recursive: true });
        await writeFile(path.join(o.out, ARTIFACT_FILE), `${JSON.stringify(artifact)}\n`);
        const v = artifact.validation;
        process.stdout.write(
          `trained ${artifact.version}: ${artifact.items.length} items, weights ${artifact.weights.join(' / ')} (session kNN / rules / item kNN), session network ${artifact.netWeight ?? 0}, validation HR@20 ${v['hr@20'].toFixed(4)} MRR@20 ${v['mrr@20'].toFixed(4)} over ${v.predictions} clicks → ${o.out}\n`,
        );
        if (o.publish) {
          await publishModel('recs', artifact.version, artifact);
          process.stdout.write(`published ${artifact.version} on ${TOPICS.models.name} as recs\n`);
        }
      },
    );

  recs
    .command('evaluate')
    .description(
      "popular, item-kNN, V-SKNN and Hexcast's model trained on --train and replayed click by click on --test (HR@20, MRR@20; items seen in training only)",
    )
    .requiredOption('--train <file>', 'sessions to train on')
    .requiredOption('--test <file>', 'later sessions to replay')
    .option('--json', 'print the figures as JSON, by recommender', false)
    .option(
      '--epochs <n>',
      'epochs of the TF.js session network (0: the kNN blend alone)',
      int('epochs', 0),
      4,
    )
    .action(async (o: { train: string; test: string; json: boolean; epochs: number }) => {
      const scores = await compareRecs(await readSessions(o.train), await readSessions(o.test), {
        netEpochs: o.epochs,
        progress: (m) => process.stderr.write(`${m}\n`),
      });
      const figures = Object.fromEntries(
        Object.entries(scores).map(([name, r]) => [name, { 'hr@20': r['hr@20'], 'mrr@20': r['mrr@20'] }]),
      );
      process.stdout.write(o.json ? `${JSON.stringify(figures)}\n` : `${recsTable(scores)}\n`);
    });

  recs
    .command('publish')
    .description(
      'publish a trained model on hx.models as `recs`: running workers swap to it without a restart',
    )
    .argument('<dir>', 'a directory written by `hexcast recs train`')
    .action(async (dir: string) => {
      const artifact = await readRecsArtifact(dir);
      new RecsModel(artifact); // refuses a broken artifact before any worker sees it
      await publishModel('recs', artifact.version, artifact);
      process.stdout.write(`published ${artifact.version} on ${TOPICS.models.name} as recs\n`);
    });
}
