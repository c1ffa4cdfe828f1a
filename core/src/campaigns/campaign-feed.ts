import type { Kafka } from 'kafkajs';
import { type ConsumerRunner, feedRunner } from '../bus/consumer-runner.js';
import type { BusProducer } from '../bus/producer.js';
import { type EventRegistry, TOPICS } from '../envelope/index.js';
import { CampaignChanged } from '../geo/events.js';
import type { FenceCatalogue } from '../geo/fence-catalogue.js';
import type { Component } from '../lifecycle/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { Campaign } from './campaign.js';

/** Publishes every campaign change to the compacted `hx.campaigns` topic (key = campaign id). */
export class CampaignPublisher {
  constructor(
    readonly registry: EventRegistry,
    readonly producer: BusProducer,
  ) {}

  async publish(campaign: Campaign, deleted = false): Promise<void> {
    const envelope = this.registry.create(CampaignChanged, {
      key: campaign.id,
      source: { kind: 'api', id: 'campaigns' },
      data: { campaign, deleted },
    });
    await this.producer.send(TOPICS.campaigns, envelope);
  }
}

export interface CampaignFeedOptions {
  kafka: Kafka;
  registry: EventRegistry;
  producer: BusProducer;
  metrics: Metrics;
  logger: Logger;
  catalogue: FenceCatalogue;
  /** How often schedules are re-checked (ms). */
  refreshMs?: number;
}

/**
 * Keeps a worker's fence catalogue in step with `hx.campaigns`: each worker reads the whole
 * compacted topic in a consumer group of its own, so every worker sees every campaign, and a
 * change reaches all of them within the consumer's poll interval.
 */
export class CampaignFeed implements Component {
  readonly name = 'campaign-feed';
  readonly #runner: ConsumerRunner;
  readonly #catalogue: FenceCatalogue;
  readonly #refreshMs: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: CampaignFeedOptions) {
    this.#catalogue = options.catalogue;
    this.#refreshMs = options.refreshMs ?? 1000;
    this.#runner = feedRunner(options, {
      name: 'campaign-feed',
      topic: TOPICS.campaigns.name,
      handler: async (envelope) => {
        if (envelope.type !== CampaignChanged.type) return;
        const { campaign, deleted } = envelope.data as { campaign: Campaign; deleted: boolean };
        this.#catalogue.apply(campaign, deleted);
      },
    });
  }

  async start(): Promise<void> {
    await this.#runner.start();
    this.#timer = setInterval(() => this.#catalogue.refresh(), this.#refreshMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#runner.close();
  }
}
