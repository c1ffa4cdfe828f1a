import type { Command } from 'commander';
import { Broker, brokerOptionsFromConfig } from '../../broker/index.js';
import { createKafka, ensureTopics } from '../../bus/index.js';
import { loadConfig } from '../../config/index.js';
import { topicCatalogue } from '../../envelope/index.js';
import { createOpsServer } from '../../http/ops-server.js';
import type { Component } from '../../lifecycle/index.js';
import { createLogger, Metrics } from '../../observability/index.js';
import { runUntilSignal } from '../run-service.js';

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('run everything in one process: the embedded broker unless KAFKA_BROKERS is set')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel, name: 'hexcast' });
      const metrics = new Metrics();
      const components: Component[] = [];
      const broker =
        config.kafka.brokers === undefined
          ? new Broker({ ...brokerOptionsFromConfig(config), logger, metrics })
          : undefined;
      if (broker !== undefined) components.push(broker);
      let catalogueReady = false;
      components.push({
        name: 'topic-catalogue',
        start: async () => {
          const kafka = createKafka({
            config,
            logger,
            ...(broker ? { embeddedBootstrap: broker.bootstrap } : {}),
          });
          const { created } = await ensureTopics(kafka, topicCatalogue([config.region]));
          logger.info({ created: created.length }, 'topic catalogue ready');
          catalogueReady = true;
        },
        close: async () => undefined,
      });
      components.push(
        createOpsServer({
          config,
          logger,
          metrics,
          name: 'dev',
          readiness: { topics: () => catalogueReady },
        }),
      );
      await runUntilSignal(config, logger, components);
    });
}
