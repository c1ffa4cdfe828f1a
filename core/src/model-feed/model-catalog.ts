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
  /** `settled` calls waiting for the next record read. */
  readonly #waiting = new Set<() => void>();
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
        for (const wake of this.#waiting) wake();
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

  /** Resolves true once the catalogue has read `name` at `version` (null: withdrawn), false after `timeoutMs`. */
  async settled(name: string, version: string | null, timeoutMs = 5_000): Promise<boolean> {
    const holds = () => (this.#models.get(name)?.version ?? null) === version;
    if (holds()) return true;
    return new Promise((resolve) => {
      const done = (result: boolean) => {
        clearTimeout(timer);
        this.#waiting.delete(check);
        resolve(result);
      };
      const check = () => {
        if (holds()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#waiting.add(check);
    });
  }

  async close(): Promise<void> {
    if (this.#started === undefined) return;
    await this.#started.catch(() => undefined);
    await this.#feed.close();
  }
}
