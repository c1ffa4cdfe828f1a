import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { HexcastError } from '../../errors/index.js';
import { createOpsServer } from '../../http/index.js';
import { readinessChecks } from '../../lifecycle/index.js';
import { Metrics, prettyLogs, processLogger } from '../../observability/index.js';
import { runUntilSignal } from '../../runtime/index.js';
import { capability, serviceContext, WORKER_NAMES } from '../services.js';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(`run a stream processor: ${WORKER_NAMES.join(', ')}`)
    .argument('<name>', 'which processor')
    .action(async (name: string) => {
      const worker = capability(name)?.worker;
      if (worker === undefined)
        throw new HexcastError('HX_CLI_USAGE', `unknown worker ${name}; known: ${WORKER_NAMES.join(', ')}`);
      const config = loadConfig();
      if (config.kafka.brokers === undefined)
        throw new HexcastError('HX_CLI_USAGE', 'workers need KAFKA_BROKERS (or run hexcast dev)');
      if (name === 'offers' && config.databaseUrl === undefined)
        throw new HexcastError(
          'HX_CLI_USAGE',
          'the offers worker writes the coupon ledger: it needs DATABASE_URL (PGlite has one opener: use hexcast dev)',
        );
      const logger = processLogger({
        level: config.logLevel,
        name: `hexcast-worker-${name}`,
        pretty: prettyLogs(config.logFormat),
      });
      const metrics = new Metrics().withProcessMetrics();
      const ctx = serviceContext(config, logger, metrics);
      const services = worker(ctx);
      const components = [...ctx.foundation(), ...services];
      const ops = createOpsServer({
        config,
        logger,
        metrics,
        name: `worker-${name}`,
        readiness: () => readinessChecks(components),
      });
      await runUntilSignal(config, logger, [ops, ...components]);
    });
}
