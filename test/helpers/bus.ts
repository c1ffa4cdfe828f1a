import {
  type Broker,
  BusProducer,
  CampaignFeed,
  ConsumerRunner,
  type ConsumerRunnerOptions,
  createEventRegistry,
  type EventRegistry,
  type FenceCatalogue,
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
  /** A started campaign feed into `catalogue`, closed with the fixture. */
  campaignFeed(catalogue: FenceCatalogue): Promise<CampaignFeed>;
  close(): Promise<void>;
}

export async function busFor(broker: Broker): Promise<BusFixture> {
  const kafka = kafkaFor(broker);
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
