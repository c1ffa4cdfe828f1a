import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createOpsServer } from '../../http/ops-server.js';
import { createLogger, Metrics } from '../../observability/index.js';
import { runUntilSignal } from '../run-service.js';

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('run everything embedded in one process (no external service needed)')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel, name: 'hexcast' });
      const metrics = new Metrics();
      const ops = createOpsServer({ config, logger, metrics, name: 'dev' });
      await runUntilSignal(config, logger, [ops]);
    });
}
