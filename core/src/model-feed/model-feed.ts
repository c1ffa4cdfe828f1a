import { Feed, type FeedOptions } from '../bus/index.js';
import { TOPICS } from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import type { Component } from '../lifecycle/index.js';
import { ArtifactParts } from './artifact-parts.js';
import { ModelPart, ModelPublished, ModelWithdrawn } from './events.js';
import type { ModelSlot, Versioned } from './model-slot.js';

export interface ModelFeedOptions extends FeedOptions {
  /** The slots this worker keeps current, by name. */
  slots: readonly ModelSlot<Versioned>[];
  /** How long `start` waits to load what `hx.models` holds before carrying on not ready (ms). */
  startTimeoutMs?: number;
}

/**
 * Keeps a worker's model slots on the latest published models: reads the compacted `hx.models`
 * from the beginning in a group of its own, and for each `model.published` whose name is one of
 * its slots loads the artifact and swaps it in (`model.withdrawn` puts the slot back on its
 * fallback). An artifact that does not load is counted and logged (`HX_MODEL_INVALID`); the slot
 * keeps the model it has. `start` returns once every record the topic held has been tried
 * (`ready()`), saying which slots run on their fallback.
 */
export class ModelFeed implements Component {
  readonly name = 'model-feed';
  readonly #o: ModelFeedOptions;
  readonly #feed: Feed;
  readonly #slots: Map<string, ModelSlot<Versioned>>;
  readonly #parts = new ArtifactParts();
  readonly #m;

  constructor(options: ModelFeedOptions) {
    this.#o = options;
    this.#slots = new Map(options.slots.map((s) => [s.name, s]));
    this.#m = {
      swaps: options.metrics.counter<'model'>({
        name: 'model_swaps_total',
        help: 'models swapped in, by slot',
        labelNames: ['model'],
      }),
      rejected: options.metrics.counter<'model'>({
        name: 'model_rejected_total',
        help: 'model artifacts that did not load (HX_MODEL_INVALID), by slot',
        labelNames: ['model'],
      }),
      fallback: options.metrics.gauge<'model'>({
        name: 'model_fallback',
        help: '1 while a slot answers with its fallback (no model loaded)',
        labelNames: ['model'],
      }),
    };
    for (const slot of options.slots) this.#m.fallback.set({ model: slot.name }, slot.onFallback ? 1 : 0);
    this.#feed = new Feed(options, {
      name: 'model-feed',
      topic: TOPICS.models.name,
      handler: async (envelope) => {
        const slot = this.#slots.get(String((envelope.data as { name?: unknown }).name));
        if (slot === undefined) return;
        if (envelope.type === ModelPart.type)
          this.#parts.add(envelope.data as { name: string; version: string; index: number; data: string });
        else if (envelope.type === ModelPublished.type) {
          const data = envelope.data as {
            version: string;
            artifact?: unknown;
            parts?: { count: number; sha256: string };
          };
          if (data.parts === undefined) await this.#swap(slot, () => data.artifact);
          else await this.#swap(slot, () => this.#parts.take(slot.name, data.version, data.parts!));
        } else if (envelope.type === ModelWithdrawn.type) this.#withdraw(slot);
      },
      catchUpTimeoutMs: options.startTimeoutMs ?? 15_000,
    });
  }

  ready(): boolean {
    return this.#feed.ready();
  }

  async start(): Promise<void> {
    await this.#feed.start();
    for (const slot of this.#slots.values()) {
      if (slot.onFallback && slot.optional)
        this.#o.logger.info({ model: slot.name }, 'no model in this optional slot');
      else if (slot.onFallback)
        this.#o.logger.warn(
          { model: slot.name, fallback: slot.current.version },
          `no ${slot.name} model loaded: ${slot.fallbackMeans} (publish one: ${slot.publishCommand})`,
        );
      else this.#o.logger.info({ model: slot.name, version: slot.current.version }, 'model loaded');
    }
  }

  async close(): Promise<void> {
    await this.#feed.close();
  }

  async #swap(slot: ModelSlot<Versioned>, artifact: () => unknown): Promise<void> {
    let next: Versioned;
    try {
      next = await slot.load(artifact());
    } catch (cause) {
      this.#m.rejected.inc({ model: slot.name });
      const error = new HexcastError('HX_MODEL_INVALID', `model not loaded: ${(cause as Error).message}`, {
        cause,
      });
      this.#o.logger.error(
        { err: error, code: error.code, model: slot.name },
        'model artifact rejected; keeping the current model',
      );
      return;
    }
    const previous = slot.swap(next);
    this.#m.swaps.inc({ model: slot.name });
    this.#m.fallback.set({ model: slot.name }, 0);
    this.#o.logger.info({ model: slot.name, version: next.version, previous }, 'model swapped in');
  }

  #withdraw(slot: ModelSlot<Versioned>): void {
    const previous = slot.swap(null);
    this.#m.fallback.set({ model: slot.name }, 1);
    this.#o.logger.info({ model: slot.name, previous, fallback: slot.current.version }, 'model withdrawn');
  }
}
