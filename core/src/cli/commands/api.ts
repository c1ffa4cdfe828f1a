import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { HexcastError } from '../../errors/index.js';
import type { Component } from '../../lifecycle/index.js';
import { Metrics, prettyLogs, processLogger } from '../../observability/index.js';
import { runUntilSignal } from '../../runtime/index.js';
import { apiComponent, serviceContext } from '../services.js';

export function registerApi(program: Command): void {
  program
    .command('api')
    .description('run the REST API (campaigns, fence lookup, device tokens, coupons) on HX_HTTP_PORT')
    .action(async () => {
      const config = loadConfig();
      if (config.kafka.brokers === undefined) {
        throw new HexcastError(
          'HX_CLI_USAGE',
          'hexcast api needs KAFKA_BROKERS (or run everything with hexcast dev)',
        );
      }
      const logger = processLogger({
        level: config.logLevel,
        name: 'hexcast-api',
        pretty: prettyLogs(config.logFormat),
      });
      const ctx = serviceContext(config, logger, new Metrics().withProcessMetrics());
      const components: Component[] = [];
      const api = apiComponent(ctx, () => components);
      components.push(...ctx.foundation(), api);
      await runUntilSignal(config, logger, components);
    });
}
