import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import { buildApi } from '../api/index.js';
import { ApiKeyRepository } from '../auth/index.js';
import { BusProducer, ConsumerRunner, createKafka, ensureTopics } from '../bus/index.js';
import { CampaignFeed, CampaignPublisher, CampaignRepository } from '../campaigns/index.js';
import type { HexcastConfig } from '../config/index.js';
import { DELIVERY_EVENTS } from '../delivery/index.js';
import { DeviceRepository, DeviceTokens } from '../devices/index.js';
import { deviceStateStore, deviceTokenSecret, openRecords, openRedis, redisConnection } from '../engines.js';
import { createEventRegistry, type EventRegistry, TOPICS, topicCatalogue } from '../envelope/index.js';
import { FenceCatalogue, GEO_EVENTS, GeoProcessor, MemoryFenceIndex } from '../geo/index.js';
import type { Component } from '../lifecycle/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { Queryable } from '../records/index.js';

/** What every service of one process shares. */
export interface ServiceContext {
  config: Readonly<HexcastConfig>;
  logger: Logger;
  metrics: Metrics;
  kafka: Kafka;
  registry: EventRegistry;
  producer: BusProducer;
}

export function serviceContext(
  config: Readonly<HexcastConfig>,
  logger: Logger,
  metrics: Metrics,
  embeddedBootstrap?: string,
): ServiceContext {
  const kafka = createKafka({ config, logger, ...(embeddedBootstrap ? { embeddedBootstrap } : {}) });
  const registry = createEventRegistry();
  for (const e of [...GEO_EVENTS, ...DELIVERY_EVENTS]) registry.register(e);
  return {
    config,
    logger,
    metrics,
    kafka,
    registry,
    producer: new BusProducer({ kafka, registry, metrics }),
  };
}

export function topicsComponent(ctx: ServiceContext): Component {
  return {
    name: 'topic-catalogue',
    start: async () => {
      const { created } = await ensureTopics(ctx.kafka, topicCatalogue([ctx.config.region]));
      ctx.logger.info({ created: created.length }, 'topic catalogue ready');
    },
    close: async () => undefined,
  };
}

function campaignFeed(ctx: ServiceContext): { catalogue: FenceCatalogue; feed: CampaignFeed } {
  const catalogue = new FenceCatalogue(new MemoryFenceIndex());
  const feed = new CampaignFeed({ ...ctx, catalogue });
  return { catalogue, feed };
}

/** The REST API: records, repositories, the campaign feed for lookups, fastify on HX_HTTP_PORT. */
export function apiComponents(ctx: ServiceContext): Component[] {
  const { catalogue, feed } = campaignFeed(ctx);
  let app: FastifyInstance | undefined;
  let closeRecords: (() => Promise<void>) | undefined;
  const api: Component = {
    name: 'api',
    start: async () => {
      const records = await openRecords(ctx.config, ctx.logger);
      closeRecords = () => records.close();
      await bootstrapAdminKey(ctx, new ApiKeyRepository(records), records);
      app = await buildApi({
        logger: ctx.logger,
        metrics: ctx.metrics,
        keys: new ApiKeyRepository(records),
        campaigns: new CampaignRepository(records),
        devices: new DeviceRepository(records),
        tokens: new DeviceTokens(deviceTokenSecret(ctx.config), ctx.config.auth.deviceTokenTtlSeconds),
        publisher: new CampaignPublisher(ctx.registry, ctx.producer),
        catalogue,
        rateLimitPerMinute: ctx.config.auth.rateLimitPerMinute,
      });
      const address = await app.listen({ host: ctx.config.http.host, port: ctx.config.http.port });
      ctx.logger.info({ address, docs: `${address}/docs` }, 'api listening');
    },
    close: async () => {
      await app?.close();
      await closeRecords?.();
    },
  };
  return [feed, api];
}

/**
 * A fresh install has no API key, and PGlite cannot be shared with a second process: the first
 * start creates an admin key and writes it to `<dataDir>/admin.key` (mode 600). Its path is
 * logged, never the key.
 */
async function bootstrapAdminKey(
  ctx: ServiceContext,
  keys: ApiKeyRepository,
  records: Queryable,
): Promise<void> {
  const [{ n }] = (await records.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys')) as [
    { n: number },
  ];
  if (n > 0) return;
  const { token } = await keys.create('admin', 'bootstrap');
  const file = path.resolve(ctx.config.dataDir, 'admin.key');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  ctx.logger.warn({ file }, 'created the first admin API key; create others with POST /v1/keys');
}

/** `hexcast worker geo`: hx.locations → hx.geo-events. */
export function geoWorkerComponents(ctx: ServiceContext): Component[] {
  const redis = openRedis(ctx.config);
  const { catalogue, feed } = campaignFeed(ctx);
  const processor = new GeoProcessor({
    registry: ctx.registry,
    producer: ctx.producer,
    catalogue,
    state: deviceStateStore(redis),
    metrics: ctx.metrics,
    maxSpeedMps: ctx.config.geo.maxSpeedMps,
    stateTtlMs: ctx.config.geo.stateTtlMs,
  });
  const runner = new ConsumerRunner({
    ...ctx,
    groupId: 'hx-geo',
    topics: [TOPICS.locations.name],
    stage: 'geo',
    handler: (envelope) => processor.handle(envelope),
  });
  const components: Component[] = [feed, runner];
  if (redis !== null) components.push(redisConnection(redis));
  return components;
}
