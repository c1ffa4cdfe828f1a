import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import { buildApi } from '../api/index.js';
import { ApiKeyRepository } from '../auth/index.js';
import { BusProducer, ConsumerRunner, createKafka, ensureTopics, kafkaBrokers } from '../bus/index.js';
import { CampaignFeed, CampaignPublisher, CampaignRepository } from '../campaigns/index.js';
import type { HexcastConfig } from '../config/index.js';
import { DELIVERY_EVENTS } from '../delivery/index.js';
import { DeviceRepository, DeviceTokens } from '../devices/index.js';
import {
  deviceStateStore,
  deviceTokenSecret,
  offerCodeSecret,
  openRecords,
  openRedis,
  redisConnection,
} from '../engines.js';
import { createEventRegistry, type EventRegistry, TOPICS, topicCatalogue } from '../envelope/index.js';
import { FenceCatalogue, GEO_EVENTS, GeoProcessor, MemoryFenceIndex } from '../geo/index.js';
import type { Component } from '../lifecycle/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import {
  CachedDevices,
  MemoryEligibilityStore,
  MemoryProfileStore,
  ModelFeed,
  neutralSignals,
  OFFER_EVENTS,
  OfferEngine,
  OfferFeedback,
  OfferLedger,
  RedisEligibilityStore,
  RedisProfileStore,
  ScorerSlot,
} from '../offers/index.js';
import type { Queryable, Records } from '../records/index.js';

/** What every service of one process shares. */
export interface ServiceContext {
  config: Readonly<HexcastConfig>;
  logger: Logger;
  metrics: Metrics;
  kafka: Kafka;
  registry: EventRegistry;
  producer: BusProducer;
  /** Where this process's services listen (`api`, `mqtt`, `ws`, …), filled in as they start. */
  addresses: Map<string, string>;
  /** The records database, opened on first use and shared by every service of the process (PGlite allows one opener). */
  records: SharedRecords;
}

/** One records connection per process, opened lazily; its component closes it (list it first so it closes last). */
export class SharedRecords {
  #opening: Promise<Records> | undefined;

  constructor(
    readonly config: Readonly<HexcastConfig>,
    readonly logger: Logger,
  ) {}

  get(): Promise<Records> {
    this.#opening ??= openRecords(this.config, this.logger);
    return this.#opening;
  }

  component(): Component {
    return {
      name: 'records',
      start: async () => undefined,
      close: async () => {
        const opening = this.#opening;
        this.#opening = undefined;
        if (opening !== undefined) await (await opening).close();
      },
    };
  }
}

export function serviceContext(
  config: Readonly<HexcastConfig>,
  logger: Logger,
  metrics: Metrics,
  embeddedBootstrap?: string,
): ServiceContext {
  const bootstrap = embeddedBootstrap ? { embeddedBootstrap } : {};
  const kafka = createKafka({ config, logger, ...bootstrap });
  const registry = createEventRegistry();
  for (const e of [...GEO_EVENTS, ...DELIVERY_EVENTS, ...OFFER_EVENTS]) registry.register(e);
  return {
    config,
    logger,
    metrics,
    kafka,
    registry,
    producer: new BusProducer({
      brokers: kafkaBrokers({ config, ...bootstrap }),
      clientId: config.kafka.clientId,
      registry,
      metrics,
    }),
    records: new SharedRecords(config, logger),
    addresses: new Map(),
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
  const api: Component = {
    name: 'api',
    start: async () => {
      const records = await ctx.records.get();
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
        ledger: new OfferLedger(records),
        rateLimitPerMinute: ctx.config.auth.rateLimitPerMinute,
      });
      const address = await app.listen({ host: ctx.config.http.host, port: ctx.config.http.port });
      ctx.addresses.set('api', address);
      ctx.logger.info({ address, docs: `${address}/docs` }, 'api listening');
    },
    close: async () => {
      await app?.close();
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

/**
 * `hexcast worker offers`: hx.geo-events → coupons (hx.offers + hx.deliveries.<region>), with the
 * ledger and profiles fed back from hx.receipts and hx.clicks, and the scorer from hx.models.
 */
export function offerWorkerComponents(ctx: ServiceContext): Component[] {
  const redis = openRedis(ctx.config);
  const { catalogue, feed } = campaignFeed(ctx);
  const slot = new ScorerSlot();
  const profiles = redis === null ? new MemoryProfileStore() : new RedisProfileStore(redis);
  const eligibility = redis === null ? new MemoryEligibilityStore() : new RedisEligibilityStore(redis);
  let engine: OfferEngine | undefined;
  let feedback: OfferFeedback | undefined;
  const ready: Component = {
    name: 'offer-engine',
    start: async () => {
      const records = await ctx.records.get();
      const ledger = new OfferLedger(records);
      engine = new OfferEngine({
        registry: ctx.registry,
        producer: ctx.producer,
        catalogue,
        eligibility,
        profiles,
        devices: new CachedDevices(new DeviceRepository(records), ctx.config.offers.deviceCacheMs),
        ledger,
        signals: neutralSignals,
        scorer: slot,
        metrics: ctx.metrics,
        logger: ctx.logger.child({ component: 'offers' }),
        codeSecret: offerCodeSecret(ctx.config),
        maxDecisionLagMs: ctx.config.offers.maxDecisionLagMs,
      });
      feedback = new OfferFeedback(ledger, profiles);
    },
    close: async () => undefined,
  };
  const decisions = new ConsumerRunner({
    ...ctx,
    groupId: 'hx-offers',
    topics: [TOPICS.geoEvents.name],
    stage: 'offers',
    concurrency: ctx.config.offers.concurrency,
    handler: (envelope) => engine!.handle(envelope),
  });
  const feedbackRunner = new ConsumerRunner({
    ...ctx,
    groupId: 'hx-offers-feedback',
    topics: [TOPICS.receipts.name, TOPICS.clicks.name],
    stage: 'offers-feedback',
    handler: (envelope) => feedback!.handle(envelope),
  });
  const models = new ModelFeed({ ...ctx, slot });
  const components: Component[] = [ready, feed, models, feedbackRunner, decisions];
  if (redis !== null) components.unshift(redisConnection(redis));
  return components;
}
