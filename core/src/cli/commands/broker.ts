import type { Command } from 'commander';
import { Broker, brokerOptionsFromConfig } from '../../broker/index.js';
import { loadConfig } from '../../config/index.js';
import { HexcastError } from '../../errors/index.js';
import { createOpsServer } from '../../http/index.js';
import { Metrics, prettyLogs, processLogger } from '../../observability/index.js';
import { runUntilSignal } from '../../runtime/index.js';

export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new HexcastError('HX_CLI_USAGE', `not a port: ${text}`);
  }
  return Number(text);
}

export function registerBroker(program: Command): void {
  program
    .command('broker')
    .description('run the embedded Kafka-protocol broker standalone')
    .option('--port <port>', 'TCP port (0 picks a free one)', parsePort)
    .option('--host <host>', 'address to bind')
    .option('--data-dir <dir>', 'where logs and group offsets live (default $HX_DATA_DIR/broker)')
    .option('--in-memory', 'keep nothing on disk')
    .action(async (opts: { port?: number; host?: string; dataDir?: string; inMemory?: boolean }) => {
      const config = loadConfig({
        overrides: {
          broker: {
            ...(opts.port === undefined ? {} : { port: opts.port }),
            ...(opts.host === undefined ? {} : { host: opts.host }),
            ...(opts.inMemory ? { inMemory: true } : {}),
          },
        },
      });
      const logger = processLogger({
        level: config.logLevel,
        name: 'hexcast-broker',
        pretty: prettyLogs(config.logFormat),
      });
      const metrics = new Metrics().withProcessMetrics();
      const options = brokerOptionsFromConfig(config);
      if (opts.dataDir !== undefined && !opts.inMemory) options.dataDir = opts.dataDir;
      const broker = new Broker({ ...options, logger, metrics });
      const ops = createOpsServer({
        config,
        logger,
        metrics,
        name: 'broker',
        port: config.broker.opsPort,
        portVariable: 'HX_BROKER_OPS_PORT',
        readiness: { broker: () => broker.port > 0 },
      });
      await runUntilSignal(config, logger, [broker, ops]);
    });
}
