import { Feed, type FeedOptions } from '../bus/index.js';
import { TOPICS } from '../envelope/index.js';
import { ModelPublished, ModelWithdrawn } from './events.js';

export interface PublishedModel {
  name: string;
  version: string;
  artifact: unknown;
  publishedAt: number;
}

/**
 * What `hx.models` holds now, per slot name, artifacts unloaded: for the API to say which models
 * are live and to promote or roll back by republishing one under another name. It starts reading
 * on first use (`open`), so a process that never asks never connects.
 */
export class ModelCatalog {
  readonly #models = new Map<string, PublishedModel>();
  readonly #feed: Feed;

  constructor(options: FeedOptions) {
    this.#feed = new Feed(options, {
      name: 'model-catalog',
      topic: TOPICS.models.name,
      handler: async (envelope) => {
        const data = envelope.data as { name: string; version?: string; artifact?: unknown };
        if (envelope.type === ModelPublished.type)
          this.#models.set(data.name, {
            name: data.name,
            version: data.version!,
            artifact: data.artifact,
            publishedAt: envelope.ts,
          });
        else if (envelope.type === ModelWithdrawn.type) this.#models.delete(data.name);
      },
    });
  }

  #started: Promise<void> | undefined;

  /** Starts reading on the first call; resolves once caught up with what the topic held. */
  open(): Promise<void> {
    this.#started ??= this.#feed.start();
    return this.#started;
  }

  get(name: string): PublishedModel | null {
    return this.#models.get(name) ?? null;
  }

  /** Resolves once the catalogue has read `name` at `version` (null: withdrawn), or after `timeoutMs`. */
  async settled(name: string, version: string | null, timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while ((this.#models.get(name)?.version ?? null) !== version) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.#started === undefined) return;
    await this.#started.catch(() => undefined);
    await this.#feed.close();
  }
}
