import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Broker, brokerOptionsFromConfig } from '../../broker/index.js';
import { type HexcastConfig, loadConfig } from '../../config/index.js';
import { HexcastError } from '../../errors/index.js';
import type { Component } from '../../lifecycle/index.js';
import { Metrics, prettyLogs, processLogger } from '../../observability/index.js';
import { type CliPlugin, runUntilSignal } from '../../runtime/index.js';
import { CAPABILITIES } from '../capabilities.js';
import { apiComponent, serviceContext } from '../services.js';

export function registerDev(program: Command, plugins: readonly CliPlugin[] = []): void {
  program
    .command('dev')
    .description(
      `run everything in one process: broker (unless KAFKA_BROKERS is set), API, geo and offers workers${plugins
        .filter((p) => p.devComponents)
        .map((p) => `, ${p.name}`)
        .join('')}`,
    )
    .action(async () => {
      const config = loadConfig();
      const logger = processLogger({
        level: config.logLevel,
        name: 'hexcast',
        pretty: prettyLogs(config.logFormat),
      });
      const metrics = new Metrics().withProcessMetrics();
      const components: Component[] = [];
      const broker =
        config.kafka.brokers === undefined
          ? new Broker({ ...brokerOptionsFromConfig(config), logger, metrics })
          : undefined;
      if (broker !== undefined) components.push(broker);
      // The bootstrap address is known once the broker listens (port 0 picks one).
      const started: Component[] = [];
      const lazy: Component = {
        name: 'services',
        start: async () => {
          // KAFKA_SSL: the in-process clients take the broker's TLS listener (HX_BROKER_TLS_PORT).
          const bootstrap = config.kafka.ssl.enabled ? broker?.tlsBootstrap : broker?.bootstrap;
          if (broker !== undefined && bootstrap === undefined)
            throw new HexcastError(
              'HX_CONFIG_INVALID',
              'KAFKA_SSL with the embedded broker needs HX_BROKER_TLS_PORT',
            );
          const local = broker !== undefined && config.broker.inProcessConsumers ? broker : undefined;
          const ctx = serviceContext(config, logger, metrics, bootstrap, local);
          const services = [
            apiComponent(ctx, () => started),
            ...CAPABILITIES.flatMap((c) => c.worker?.(ctx) ?? []),
          ];
          for (const plugin of plugins) services.push(...((await plugin.devComponents?.(ctx)) ?? []));
          const inner = [...ctx.foundation(), ...services];
          try {
            for (const c of inner) {
              await c.start();
              started.push(c);
            }
          } catch (error) {
            // What did start (consumers, sockets) must not keep the process alive after the failure.
            for (const c of started.splice(0).reverse()) await c.close().catch(() => undefined);
            throw error;
          }
          process.stdout.write(devBanner(config, ctx.addresses));
        },
        close: async () => {
          for (const c of started.reverse()) await c.close();
        },
      };
      components.push(lazy);
      await runUntilSignal(config, logger, components);
    });
}

/** What a newcomer needs after `npm start`: where everything is, and (in dev only) the admin key. */
function devBanner(config: Readonly<HexcastConfig>, addresses: ReadonlyMap<string, string>): string {
  const keyFile = path.resolve(config.dataDir, 'admin.key');
  const key =
    config.env !== 'production' && existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined;
  const api = addresses.get('api');
  const lines = [
    '',
    'Hexcast dev is up — everything embedded in this process. Ctrl-C stops it.',
    ...(api ? [`  console    ${api}/console/   (sign in with the admin key below)`] : []),
    ...(api ? [`  API        ${api}   docs: ${api}/docs`] : []),
    ...(addresses.has('mqtt') ? [`  gateway    ${addresses.get('mqtt')}  ·  ${addresses.get('ws')}`] : []),
    ...(key ? [`  admin key  ${key}   (${keyFile})`] : [`  admin key  in ${keyFile}`]),
    `  region     ${config.region}   (register devices with "region": "${config.region}")`,
    `  data       ${path.resolve(config.dataDir)}`,
    '',
  ];
  return `${lines.join('\n')}\n`;
}
