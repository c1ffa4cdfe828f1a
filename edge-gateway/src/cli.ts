import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type CliPlugin,
  type Component,
  DeviceTokens,
  delivery,
  deviceTokenSecret,
  type HexcastConfig,
  HexcastError,
  loadConfig,
  Metrics,
  prettyLogs,
  processLogger,
  runUntilSignal,
  ServiceContext,
} from '@hexcast/core';
import type { Command } from 'commander';
import webpush from 'web-push';
import { MemoryDeliveryQueue, RedisDeliveryQueue } from './delivery-queue/index.js';
import { Gateway } from './gateway.js';
import {
  FcmSender,
  fcmMessaging,
  MemoryPushRegistry,
  type PushSender,
  RedisPushRegistry,
  type VapidKeys,
  WebPushSender,
} from './push.js';
import { LocalWakeBus, RedisWakeBus } from './wake.js';

/**
 * VAPID keys: from config, else (one machine, dev) generated once into `<dataDir>/vapid.json`
 * so browsers' subscriptions stay valid across restarts. Required in production.
 */
export function vapidKeys(config: Readonly<HexcastConfig>): VapidKeys {
  const g = config.gateway;
  if (g.vapidPublicKey !== undefined && g.vapidPrivateKey !== undefined) {
    return { publicKey: g.vapidPublicKey, privateKey: g.vapidPrivateKey, subject: g.vapidSubject };
  }
  if (config.env === 'production') {
    throw new HexcastError(
      'HX_CONFIG_INVALID',
      'invalid configuration at HX_GATEWAY_VAPID_PUBLIC_KEY / HX_GATEWAY_VAPID_PRIVATE_KEY: required in production',
      { details: { source: 'HX_GATEWAY_VAPID_PUBLIC_KEY' } },
    );
  }
  const file = path.resolve(config.dataDir, 'vapid.json');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(webpush.generateVAPIDKeys()), { mode: 0o600 });
  }
  const keys = JSON.parse(readFileSync(file, 'utf8')) as { publicKey: string; privateKey: string };
  return { ...keys, subject: g.vapidSubject };
}

/** The components of one regional gateway, on the engines the config selects. */
export async function gatewayComponents(
  ctx: ServiceContext,
  region = ctx.config.region,
): Promise<Component[]> {
  const { config } = ctx;
  const g = config.gateway;
  const redis = ctx.redis();
  const vapid = vapidKeys(config);
  const senders: PushSender[] = [new WebPushSender(vapid)];
  if (g.fcmServiceAccountFile !== undefined) {
    senders.push(new FcmSender(await fcmMessaging({ serviceAccountFile: g.fcmServiceAccountFile })));
  }
  const gateway = new Gateway({
    ...ctx,
    region,
    tokens: new DeviceTokens(deviceTokenSecret(config), config.auth.deviceTokenTtlSeconds),
    queue:
      redis === null
        ? new MemoryDeliveryQueue(g.queueMaxPerDevice, g.queueMaxItems)
        : new RedisDeliveryQueue({
            redis,
            namespace: region,
            maxPerDevice: g.queueMaxPerDevice,
            maxItems: g.queueMaxItems,
          }),
    wake: redis === null ? new LocalWakeBus() : new RedisWakeBus(redis, region),
    push: {
      registry: redis === null ? new MemoryPushRegistry() : new RedisPushRegistry(redis),
      senders,
      vapidPublicKey: vapid.publicKey,
    },
    // A memory queue dies with the process: a graceful stop accounts for what is left.
    dropQueuedOnClose: redis === null,
  });
  const announce: Component = {
    name: 'gateway-addresses',
    start: async () => {
      ctx.addresses.set('mqtt', gateway.mqttUrl());
      ctx.addresses.set('ws', gateway.wsUrl());
      ctx.addresses.set('gateway-http', gateway.httpUrl());
    },
    close: async () => undefined,
  };
  return [gateway, announce];
}

function registerGateway(program: Command): void {
  program
    .command('gateway')
    .description('run a regional MQTT gateway (TCP + WebSocket), its delivery queue and push fallback')
    .option('--region <name>', 'the region this gateway serves (default: HX_REGION)')
    .action(async (options: { region?: string }) => {
      const config = loadConfig(options.region ? { overrides: { region: options.region } } : {});
      if (config.kafka.brokers === undefined) {
        throw new HexcastError(
          'HX_CLI_USAGE',
          'a standalone gateway needs KAFKA_BROKERS (or run hexcast dev)',
        );
      }
      const logger = processLogger({
        level: config.logLevel,
        name: `hexcast-gateway-${config.region}`,
        pretty: prettyLogs(config.logFormat),
      });
      const ctx = new ServiceContext(config, logger, new Metrics().withProcessMetrics(), [delivery]);
      const services = await gatewayComponents(ctx);
      await runUntilSignal(config, logger, [...ctx.foundation(), ...services]);
    });
}

export const plugin: CliPlugin = {
  name: 'edge gateway',
  commands: [registerGateway],
  devComponents: (ctx) => gatewayComponents(ctx),
};
