/** What a slot holds: anything with a version (a scorer, a model). */
export interface Versioned {
  readonly version: string;
}

export interface ModelSlotOptions<M extends Versioned> {
  /** The key on `hx.models` this slot follows. */
  name: string;
  /** Turns a published artifact into a model; throws if it is not one this slot can use. */
  load(artifact: unknown): Promise<M>;
  /** Frees a model swapped out (called after the swap: decisions in flight finish on it). */
  dispose?(model: M): void;
  /** What the slot answers with before a model is loaded, and after one is withdrawn. */
  fallback: M;
  /** An empty slot is normal (a shadow candidate): no warning at start. */
  optional?: boolean;
  /** What running on the fallback means, for the start-up warning ("offers are ranked by the heuristic"). */
  fallbackMeans?: string;
  /** The command that publishes this slot's models, for the start-up warning (`hexcast model publish`). */
  publishCommand?: string;
}

/**
 * One model of a worker, swapped atomically: `current` is read once per decision, and a swap is
 * one reference assignment, so a decision in flight finishes on the model it started with and
 * none waits or is dropped. `ModelFeed` fills slots from `hx.models` by name.
 */
export class ModelSlot<M extends Versioned> {
  readonly name: string;
  current: M;
  readonly #o: ModelSlotOptions<M>;

  constructor(options: ModelSlotOptions<M>) {
    this.#o = options;
    this.name = options.name;
    this.current = options.fallback;
  }

  get publishCommand(): string {
    return this.#o.publishCommand ?? 'hexcast model publish';
  }

  get fallbackMeans(): string {
    return this.#o.fallbackMeans ?? `running on ${this.#o.fallback.version}`;
  }

  get optional(): boolean {
    return this.#o.optional ?? false;
  }

  get onFallback(): boolean {
    return this.current === this.#o.fallback;
  }

  load(artifact: unknown): Promise<M> {
    return this.#o.load(artifact);
  }

  /** Puts `next` in (the fallback when null) and frees the model it replaces. Returns the old one's version. */
  swap(next: M | null): string {
    const previous = this.current;
    this.current = next ?? this.#o.fallback;
    if (previous !== this.#o.fallback && previous !== this.current) this.#o.dispose?.(previous);
    return previous.version;
  }
}
