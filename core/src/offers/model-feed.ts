import { type PropensityArtifact, TfPropensityScorer } from '@hexcast/models';
import { Feed, type FeedOptions } from '../bus/index.js';
import { TOPICS } from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import type { Component } from '../lifecycle/index.js';
import { ModelPublished } from './events.js';
import type { ScorerSlot } from './offer-engine.js';

export interface ModelFeedOptions extends FeedOptions {
  slot: ScorerSlot;
  /** How long `start` waits to load what `hx.models` holds before carrying on not ready (ms). */
  startTimeoutMs?: number;
}

/**
 * Keeps an offer worker's scorer on the latest propensity model: reads the compacted `hx.models`
 * from the beginning in a group of its own, loads each `propensity` artifact and swaps it in —
 * one reference assignment, so decisions in flight finish on the model they started with and
 * none waits or is dropped. An artifact that does not load is counted and logged
 * (`HX_MODEL_INVALID`); the worker keeps the model it has. `start` returns once every artifact
 * the topic held has been tried (`ready()`); with none loaded it says it runs on the heuristic.
 */
export class ModelFeed implements Component {
  readonly name = 'model-feed';
  readonly #o: ModelFeedOptions;
  readonly #feed: Feed;
  readonly #m;

  constructor(options: ModelFeedOptions) {
    this.#o = options;
    this.#m = {
      swaps: options.metrics.counter({
        name: 'offers_model_swaps_total',
        help: 'propensity models swapped in',
      }),
      rejected: options.metrics.counter({
        name: 'offers_model_rejected_total',
        help: 'model artifacts that did not load (HX_MODEL_INVALID)',
      }),
      heuristic: options.metrics.gauge({
        name: 'offers_scorer_heuristic',
        help: '1 while offers are ranked by the heuristic (no trained model loaded)',
      }),
    };
    this.#m.heuristic.set(options.slot.current.kind === 'heuristic' ? 1 : 0);
    this.#feed = new Feed(options, {
      name: 'model-feed',
      topic: TOPICS.models.name,
      handler: async (envelope) => {
        if (envelope.type !== ModelPublished.type) return;
        const { name, artifact } = envelope.data as { name: string; artifact: PropensityArtifact };
        if (name === 'propensity') await this.#swap(artifact);
      },
      catchUpTimeoutMs: options.startTimeoutMs ?? 15_000,
    });
  }

  ready(): boolean {
    return this.#feed.ready();
  }

  async start(): Promise<void> {
    await this.#feed.start();
    const current = this.#o.slot.current;
    if (current.kind === 'heuristic')
      this.#o.logger.warn(
        { scorer: current.version },
        'no propensity model loaded: offers are ranked by the heuristic (publish one: hexcast model publish)',
      );
    else this.#o.logger.info({ version: current.version }, 'propensity model loaded');
  }

  async close(): Promise<void> {
    await this.#feed.close();
  }

  async #swap(artifact: PropensityArtifact): Promise<void> {
    let next: TfPropensityScorer;
    try {
      next = await TfPropensityScorer.load(artifact);
    } catch (cause) {
      this.#m.rejected.inc();
      const error = new HexcastError('HX_MODEL_INVALID', `model not loaded: ${(cause as Error).message}`, {
        cause,
      });
      this.#o.logger.error(
        { err: error, code: error.code },
        'model artifact rejected; keeping the current model',
      );
      return;
    }
    const previous = this.#o.slot.current;
    this.#o.slot.current = next;
    this.#m.swaps.inc();
    this.#m.heuristic.set(0);
    this.#o.logger.info({ version: next.version, previous: previous.version }, 'propensity model swapped in');
    // Calls already waiting for the old model's next batch are scored by it, then it is freed.
    if (previous instanceof TfPropensityScorer) previous.dispose();
  }
}
