/**
 * Metrics for per-message paths. prom-client's `inc` and `observe` hash a labels object and
 * allocate on every call (a closure per observation for histograms); at tens of thousands of
 * messages per second that showed as ~3% of the gateway's CPU. These keep plain numbers (label
 * values bound once, up front) and build prom-client's exposition only when scraped. They
 * register in a prom-client `Registry` like any metric and read the same in `/metrics`.
 */

/** What prom-client's registry reads from a metric when it is scraped (`metric.get()`). */
export interface MetricExposition {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;
}

/** One label set's count: `inc` is an addition. */
export class HotCount {
  value = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}

  inc(by = 1): void {
    this.value += by;
  }
}

export class HotCounter<L extends string = string> {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly #children = new Map<string, HotCount>();
  readonly #labelNames: readonly L[];

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly L[] = [],
  ) {
    this.#labelNames = labelNames;
  }

  /** The count for these label values (one per label name, in order); bind it once, `inc` it often. */
  labels(...values: string[]): HotCount {
    if (values.length !== this.#labelNames.length) {
      throw new TypeError(`${this.name} takes ${this.#labelNames.length} label values, got ${values.length}`);
    }
    const key = values.join('\u0000');
    let child = this.#children.get(key);
    if (child === undefined) {
      child = new HotCount(Object.fromEntries(this.#labelNames.map((name, i) => [name, values[i]!])));
      this.#children.set(key, child);
    }
    return child;
  }

  get(): MetricExposition {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...this.#children.values()].map((c) => ({ labels: { ...c.labels }, value: c.value })),
    };
  }

  reset(): void {
    for (const child of this.#children.values()) child.value = 0;
  }
}

export class HotHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: Float64Array;
  /** Per bucket, not cumulative; the last one is +Inf. */
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
  ) {
    this.#bounds = Float64Array.from([...buckets].sort((a, b) => a - b));
    this.#counts = new Float64Array(this.#bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`${this.name}: not a finite number: ${value}`);
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.#counts[i]!++;
    this.#sum += value;
    this.#count++;
  }

  get(): MetricExposition {
    const values: MetricExposition['values'] = [];
    let cumulative = 0;
    for (let i = 0; i < this.#bounds.length; i++) {
      cumulative += this.#counts[i]!;
      values.push({ labels: { le: this.#bounds[i]! }, value: cumulative, metricName: `${this.name}_bucket` });
    }
    values.push({ labels: { le: '+Inf' }, value: this.#count, metricName: `${this.name}_bucket` });
    values.push({ labels: {}, value: this.#sum, metricName: `${this.name}_sum` });
    values.push({ labels: {}, value: this.#count, metricName: `${this.name}_count` });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#counts.fill(0);
    this.#sum = 0;
    this.#count = 0;
  }
}
