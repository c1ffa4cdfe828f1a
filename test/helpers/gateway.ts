import {
  type Broker,
  BusProducer,
  type BusProducerOptions,
  type Clock,
  createEventRegistry,
  DELIVERY_EVENTS,
  DeliveryItemEvent,
  DeliveryReceipt,
  DeviceTokens,
  deliveriesTopic,
  type Envelope,
  type EventRegistry,
  ensureTopics,
  type HexcastConfig,
  loadConfig,
  Metrics,
  silentLogger,
  TOPICS,
  topicCatalogue,
} from '@hexcast/core';
import {
  type DeliveryQueue,
  Gateway,
  type GatewayOptions,
  type InboxMessage,
  LocalWakeBus,
  MemoryDeliveryQueue,
  MemoryPushRegistry,
  type PushRegistry,
  type PushSender,
  RedisDeliveryQueue,
  RedisPushRegistry,
  RedisWakeBus,
} from '@hexcast/edge-gateway';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { kafkaFor } from './broker.js';
import { waitFor } from './wait-for.js';

export const TEST_SECRET = 'test-device-token-secret-0123456789abcdef';

export interface GatewayFixtureOptions {
  broker: Broker;
  /** A kafkajs client to use instead of one on the broker (e.g. through a fault proxy). */
  kafka?: Kafka;
  /** Producer settings to use instead of the broker's (e.g. through a fault proxy). */
  producer?: Pick<BusProducerOptions, 'brokers' | 'wire'>;
  region?: string;
  clock?: Clock;
  gateway?: Partial<HexcastConfig['gateway']>;
  /** Shared queue state: Redis with this prefix, else a fresh memory queue. */
  redis?: { client: Redis; prefix: string };
  queue?: DeliveryQueue;
  push?: { senders: PushSender[]; registry?: PushRegistry; vapidPublicKey?: string };
  consume?: boolean;
  dropQueuedOnClose?: boolean;
  gatewayId?: string;
}

export interface GatewayFixture {
  gateway: Gateway;
  kafka: Kafka;
  registry: EventRegistry;
  metrics: Metrics;
  producer: BusProducer;
  tokens: DeviceTokens;
  queue: DeliveryQueue;
  pushRegistry: PushRegistry;
  config: Readonly<HexcastConfig>;
  tokenFor(deviceId: string, region?: string, now?: number): Promise<string>;
  /** An mqtt.js client for a device, connected (or rejected: see `connectRaw`). */
  connect(deviceId: string, options?: IClientOptions & { transport?: 'tcp' | 'ws' }): Promise<MqttClient>;
  close(): Promise<void>;
}

export function gatewayRegistry(): EventRegistry {
  const registry = createEventRegistry();
  for (const e of DELIVERY_EVENTS) registry.register(e);
  return registry;
}

export async function startGateway(options: GatewayFixtureOptions): Promise<GatewayFixture> {
  const region = options.region ?? 'test';
  const config = loadConfig({
    env: {},
    overrides: {
      region,
      gateway: { mqttPort: 0, httpPort: 0, purgeIntervalMs: 50, ...options.gateway },
    },
  });
  const kafka = options.kafka ?? kafkaFor(options.broker);
  // As `hexcast gateway` does at start: the topics exist before anyone subscribes.
  await ensureTopics(kafka, topicCatalogue([region]));
  const registry = gatewayRegistry();
  const metrics = new Metrics();
  const producer = new BusProducer({
    ...(options.producer ?? { brokers: [options.broker.bootstrap] }),
    registry,
    metrics,
  });
  await producer.start();
  const tokens = new DeviceTokens(TEST_SECRET, 900);
  const queue =
    options.queue ??
    (options.redis
      ? new RedisDeliveryQueue({
          redis: options.redis.client,
          prefix: options.redis.prefix,
          namespace: region,
        })
      : new MemoryDeliveryQueue(config.gateway.queueMaxPerDevice));
  const wake = options.redis
    ? new RedisWakeBus(options.redis.client, region, options.redis.prefix)
    : new LocalWakeBus();
  const pushRegistry =
    options.push?.registry ??
    (options.redis
      ? new RedisPushRegistry(options.redis.client, options.redis.prefix)
      : new MemoryPushRegistry());
  const gatewayOptions: GatewayOptions = {
    config,
    logger: silentLogger(),
    metrics,
    kafka,
    registry,
    producer,
    tokens,
    queue,
    wake,
    push: {
      registry: pushRegistry,
      senders: options.push?.senders ?? [],
      ...(options.push?.vapidPublicKey ? { vapidPublicKey: options.push.vapidPublicKey } : {}),
    },
    consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 200, maxWaitTimeMs: 50 },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.consume === undefined ? {} : { consume: options.consume }),
    ...(options.dropQueuedOnClose === undefined ? {} : { dropQueuedOnClose: options.dropQueuedOnClose }),
    ...(options.gatewayId ? { gatewayId: options.gatewayId } : {}),
  };
  const gateway = new Gateway(gatewayOptions);
  await gateway.start();
  const clients: MqttClient[] = [];
  const fixture: GatewayFixture = {
    gateway,
    kafka,
    registry,
    metrics,
    producer,
    tokens,
    queue,
    pushRegistry,
    config,
    tokenFor: async (deviceId, tokenRegion = region, now = options.clock?.() ?? Date.now()) =>
      (await tokens.issue(deviceId, tokenRegion, now)).token,
    async connect(deviceId, connectOptions = {}) {
      const { transport = 'tcp', ...rest } = connectOptions;
      const url = transport === 'ws' ? gateway.wsUrl() : gateway.mqttUrl();
      const client = mqtt.connect(url, {
        clientId: deviceId,
        username: deviceId,
        password: await fixture.tokenFor(deviceId),
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...rest,
      });
      clients.push(client);
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
        client.once('close', () => reject(new Error('closed before CONNACK')));
      });
      return client;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.endAsync(true)));
      await gateway.close();
      await producer.close();
    },
  };
  return fixture;
}

/** Produces a delivery item for a device on the region's deliveries topic. */
export async function produceItem(
  fixture: Pick<GatewayFixture, 'registry' | 'producer'>,
  region: string,
  deviceId: string,
  expiresAt: number,
  extra: { id?: string; notification?: { title: string; body: string }; content?: unknown; ts?: number } = {},
): Promise<string> {
  const envelope = fixture.registry.create(DeliveryItemEvent, {
    ...(extra.id ? { id: extra.id } : {}),
    key: deviceId,
    ts: extra.ts ?? Math.min(Date.now(), expiresAt - 1),
    expiresAt,
    source: { kind: 'test', id: 'offers' },
    data: {
      deviceId,
      kind: 'offer',
      content: extra.content ?? { title: 'coffee', code: 'HX-1' },
      ...(extra.notification ? { notification: extra.notification } : {}),
    },
  });
  await fixture.producer.send(deliveriesTopic(region), envelope);
  return envelope.id;
}

/** Collects every envelope on a topic from the beginning (its own consumer group). */
export async function collectTopic(
  kafka: Kafka,
  registry: EventRegistry,
  topic: string,
): Promise<{ envelopes: Envelope[]; close(): Promise<void> }> {
  const consumer = kafka.consumer({
    groupId: `collect-${topic}-${Math.random().toString(36).slice(2)}`,
    maxWaitTimeInMs: 50,
    sessionTimeout: 6000,
    heartbeatInterval: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const envelopes: Envelope[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => void envelopes.push(registry.decode(message.value)),
  });
  return { envelopes, close: () => consumer.disconnect() };
}

/**
 * A barrier on `hx.receipts`: one marker receipt (status `received`, never terminal) on every
 * partition, then waits until `collected` holds them all. Whatever was written to the topic before
 * the call has then been read: "nothing more arrived" without a fixed sleep.
 */
export async function receiptsBarrier(
  kafka: Kafka,
  registry: EventRegistry,
  collected: { envelopes: Envelope[] },
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const partitions = (await admin.fetchTopicOffsets(TOPICS.receipts.name)).map((o) => o.partition);
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const ids: string[] = [];
  for (const partition of partitions) {
    const marker = registry.create(DeliveryReceipt, {
      key: 'barrier',
      source: { kind: 'test', id: 'barrier' },
      data: { itemId: `barrier-${partition}`, deviceId: 'barrier', status: 'received', gateway: 'barrier' },
    });
    ids.push(marker.id);
    await producer.send({
      topic: TOPICS.receipts.name,
      messages: [{ partition, key: 'barrier', value: registry.encodeText(marker) }],
    });
  }
  await producer.disconnect();
  await waitFor(() => ids.every((id) => collected.envelopes.some((e) => e.id === id)), {
    message: 'the receipts barrier was read on every partition',
  });
}

/** The inbox messages a device receives, parsed. */
export function inboxOf(client: MqttClient): InboxMessage[] {
  const messages: InboxMessage[] = [];
  client.on('message', (_topic, payload) => messages.push(JSON.parse(payload.toString()) as InboxMessage));
  return messages;
}
