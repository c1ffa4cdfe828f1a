import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { HexcastError } from '../../errors/index.js';
import { createOpsServer } from '../../http/ops-server.js';
import { createLogger, Metrics } from '../../observability/index.js';
import { runUntilSignal } from '../run-service.js';
import { geoWorkerComponents, offerWorkerComponents, serviceContext } from '../services.js';

const WORKERS = { geo: geoWorkerComponents, offers: offerWorkerComponents } as const;

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(`run a stream processor: ${Object.keys(WORKERS).join(', ')}`)
    .argument('<name>', 'which processor')
    .action(async (name: string) => {
      const build = WORKERS[name as keyof typeof WORKERS];
      if (build === undefined)
        throw new HexcastError(
          'HX_CLI_USAGE',
          `unknown worker ${name}; known: ${Object.keys(WORKERS).join(', ')}`,
        );
      const config = loadConfig();
      if (config.kafka.brokers === undefined)
        throw new HexcastError('HX_CLI_USAGE', 'workers need KAFKA_BROKERS (or run hexcast dev)');
      if (name === 'offers' && config.databaseUrl === undefined)
        throw new HexcastError(
          'HX_CLI_USAGE',
          'the offers worker writes the coupon ledger: it needs DATABASE_URL (PGlite has one opener: use hexcast dev)',
        );
      const logger = createLogger({ level: config.logLevel, name: `hexcast-worker-${name}` });
      const metrics = new Metrics().withProcessMetrics();
      const ctx = serviceContext(config, logger, metrics);
      const ops = createOpsServer({ config, logger, metrics, name: `worker-${name}` });
      await runUntilSignal(config, logger, [ctx.records.component(), ctx.producer, ...build(ctx), ops]);
    });
}
