import { type BusProducer, Feed, type FeedOptions } from '../bus/index.js';
import { type EventRegistry, TOPICS } from '../envelope/index.js';
import type { Component } from '../lifecycle/index.js';
import type { Campaign } from './campaign.js';
import { CampaignChanged } from './events.js';
import type { FenceCatalogue } from './fence-catalogue.js';

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

export interface CampaignFeedOptions extends FeedOptions {
  catalogue: FenceCatalogue;
  /** How often schedules are re-checked (ms). */
  refreshMs?: number;
}

/**
 * Keeps a process's fence catalogue in step with `hx.campaigns`: each process reads the whole
 * compacted topic in a consumer group of its own, so every process sees every campaign, and a
 * change reaches all of them within the consumer's poll interval. `start` returns once the
 * catalogue holds every campaign the topic held (`ready()`).
 */
export class CampaignFeed implements Component {
  readonly name = 'campaign-feed';
  readonly #feed: Feed;
  readonly #catalogue: FenceCatalogue;
  readonly #refreshMs: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: CampaignFeedOptions) {
    this.#catalogue = options.catalogue;
    this.#refreshMs = options.refreshMs ?? 1000;
    this.#feed = new Feed(options, {
      name: 'campaign-feed',
      topic: TOPICS.campaigns.name,
      handler: async (envelope) => {
        if (envelope.type !== CampaignChanged.type) return;
        const { campaign, deleted } = envelope.data as { campaign: Campaign; deleted: boolean };
        this.#catalogue.apply(campaign, deleted);
      },
    });
  }

  ready(): boolean {
    return this.#feed.ready();
  }

  async start(): Promise<void> {
    await this.#feed.start();
    this.#timer = setInterval(() => this.#catalogue.refresh(), this.#refreshMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#feed.close();
  }
}
