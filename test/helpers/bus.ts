import {
  attachLocalBus,
  type Broker,
  BusProducer,
  CampaignFeed,
  ConsumerRunner,
  type ConsumerRunnerOptions,
  createEventRegistry,
  type EventRegistry,
  type FenceCatalogue,
  type LocalBus,
  Metrics,
  silentLogger,
} from '@hexcast/core';
import type { Kafka } from 'kafkajs';
import { kafkaFor } from './broker.js';

export interface BusFixture {
  kafka: Kafka;
  registry: EventRegistry;
  metrics: Metrics;
  producer: BusProducer;
  runner(
    options: Pick<ConsumerRunnerOptions, 'groupId' | 'topics' | 'stage' | 'handler'> &
      Partial<ConsumerRunnerOptions>,
  ): ConsumerRunner;
  /** How the fixture's runners consume: kafkajs over TCP, or in the broker's process (`LocalConsumer`). */
  mode: ConsumeMode;
  /** Heartbeats the runners' members sent (requests over TCP, calls in-process). */
  heartbeats(): Promise<number>;
  /** JoinGroup calls of in-process runners. */
  localJoins(): number;
  /** Offset commits the runners sent (requests over TCP, calls in-process). */
  commits(): Promise<number>;
  /** A client whose runners' first offset commit waits until `release` (`started` once it is held). */
  holdingFirstCommit(): { kafka: Kafka; started: Promise<void>; release(): void };
  /** A started campaign feed into `catalogue`, closed with the fixture. */
  campaignFeed(catalogue: FenceCatalogue): Promise<CampaignFeed>;
  close(): Promise<void>;
}

export type ConsumeMode = 'kafkajs' | 'in-process';

/**
 * The broker seen as a `LocalBus`, counting the calls a wire client would send as requests, with
 * an optional gate on offset commits.
 */
function countingLocalBus(broker: Broker, gate?: () => Promise<void>) {
  const calls = { heartbeats: 0, commits: 0, joins: 0 };
  const groups = broker.groups;
  const bus: LocalBus = {
    topics: broker.topics,
    topicOrAutoCreate: (name) => broker.topicOrAutoCreate(name),
    waitForAppend: (partitions, timeoutMs, minBytes) => broker.waitForAppend(partitions, timeoutMs, minBytes),
    groups: {
      join: (request) => {
        calls.joins++;
        return groups.join(request);
      },
      sync: (groupId, generationId, memberId, assignments) =>
        groups.sync(groupId, generationId, memberId, assignments),
      heartbeat: (groupId, generationId, memberId) => {
        calls.heartbeats++;
        return groups.heartbeat(groupId, generationId, memberId);
      },
      leave: (groupId, memberId) => groups.leave(groupId, memberId),
      commit: async (groupId, generationId, memberId, entries) => {
        calls.commits++;
        await gate?.();
        return groups.commit(groupId, generationId, memberId, entries);
      },
      fetchOffset: (groupId, topic, partition) => groups.fetchOffset(groupId, topic, partition),
    },
  };
  return { bus, calls };
}

export async function busFor(broker: Broker, mode: ConsumeMode = 'kafkajs'): Promise<BusFixture> {
  const kafka = kafkaFor(broker);
  const local = countingLocalBus(broker);
  if (mode === 'in-process') attachLocalBus(kafka, local.bus);
  const requests = (api: string) => metricValue(broker.metrics, 'hexcast_broker_requests_total', { api });
  const held = () => {
    let started!: () => void;
    const startedP = new Promise<void>((resolve) => {
      started = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first = true;
    const gate = async () => {
      if (!first) return;
      first = false;
      started();
      await released;
    };
    const client: Kafka = Object.create(kafka);
    if (mode === 'in-process') attachLocalBus(client, countingLocalBus(broker, gate).bus);
    else
      client.consumer = (config) => {
        const consumer = kafka.consumer(config);
        const commit = consumer.commitOffsets;
        consumer.commitOffsets = async (offsets) => {
          await gate();
          return commit(offsets);
        };
        return consumer;
      };
    return { kafka: client, started: startedP, release };
  };
  const registry = createEventRegistry();
  const metrics = new Metrics();
  const producer = new BusProducer({ brokers: [broker.bootstrap], registry, metrics });
  await producer.start();
  const runners: ConsumerRunner[] = [];
  const feeds: CampaignFeed[] = [];
  return {
    kafka,
    registry,
    metrics,
    producer,
    mode,
    heartbeats: async () => (mode === 'in-process' ? local.calls.heartbeats : requests('Heartbeat')),
    commits: async () => (mode === 'in-process' ? local.calls.commits : requests('OffsetCommit')),
    holdingFirstCommit: held,
    localJoins: () => local.calls.joins,
    runner(options) {
      const runner = new ConsumerRunner({
        kafka,
        registry,
        metrics,
        logger: silentLogger(),
        producer,
        maxWaitTimeMs: 100,
        heartbeatIntervalMs: 200,
        sessionTimeoutMs: 6000,
        retry: { retries: 2, initialMs: 5, maxMs: 20 },
        ...options,
      });
      runners.push(runner);
      return runner;
    },
    async campaignFeed(catalogue) {
      const feed = new CampaignFeed({
        kafka,
        registry,
        producer,
        metrics,
        logger: silentLogger(),
        catalogue,
      });
      await feed.start();
      feeds.push(feed);
      return feed;
    },
    async close() {
      await Promise.allSettled([...runners, ...feeds].map((r) => r.close()));
      await producer.close();
    },
  };
}

export async function metricValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))
    .reduce((sum, v) => sum + v.value, 0);
}
