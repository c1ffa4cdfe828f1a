import { Counter, collectDefaultMetrics, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import { HotCounter, HotHistogram } from './hot-metrics.js';

export const METRIC_PREFIX = 'hexcast_';

interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/**
 * A prom-client registry whose metrics all carry the `hexcast_` prefix. Asking twice for the
 * same metric returns the same instance, so components can share a registry freely.
 */
export class Metrics {
  readonly registry: Registry;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
  }

  /**
   * Adds the Node.js process metrics (event-loop delay, GC, heap, CPU; `hexcast_nodejs_*`,
   * `hexcast_process_*`). Services call it once; libraries and tests do not need it.
   */
  withProcessMetrics(): this {
    collectDefaultMetrics({
      register: this.registry,
      prefix: METRIC_PREFIX,
      eventLoopMonitoringPrecision: 10,
    });
    return this;
  }

  counter<L extends string = string>(options: MetricOptions<L>): Counter<L> {
    return this.#getOrCreate(options.name, () => new Counter<L>({ ...this.#base(options) }));
  }

  /** `collect`: sets the gauge when it is scraped (for values cheaper to read than to track). */
  gauge<L extends string = string>(
    options: MetricOptions<L> & { collect?: (gauge: Gauge<L>) => void },
  ): Gauge<L> {
    const { collect } = options;
    return this.#getOrCreate(
      options.name,
      () =>
        new Gauge<L>({
          ...this.#base(options),
          ...(collect
            ? {
                collect: function (this: Gauge<L>) {
                  collect(this);
                },
              }
            : {}),
        }),
    );
  }

  histogram<L extends string = string>(options: MetricOptions<L> & { buckets?: number[] }): Histogram<L> {
    return this.#getOrCreate(
      options.name,
      () =>
        new Histogram<L>({
          ...this.#base(options),
          ...(options.buckets ? { buckets: options.buckets } : {}),
        }),
    );
  }

  /** A counter for per-message paths (`hot-metrics.ts`): bind label values once with `labels(…)`. */
  hotCounter<L extends string = string>(options: MetricOptions<L>): HotCounter<L> {
    return this.#getOrRegister(
      options.name,
      () => new HotCounter<L>(prefixed(options.name), options.help, options.labelNames),
    );
  }

  /** A histogram for per-message paths (`hot-metrics.ts`); no labels. */
  hotHistogram(options: Omit<MetricOptions<never>, 'labelNames'> & { buckets: number[] }): HotHistogram {
    return this.#getOrRegister(
      options.name,
      () => new HotHistogram(prefixed(options.name), options.help, options.buckets),
    );
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  #base<L extends string>(options: MetricOptions<L>) {
    return {
      name: prefixed(options.name),
      help: options.help,
      labelNames: (options.labelNames ?? []) as L[],
      registers: [this.registry],
    };
  }

  #getOrRegister<M extends HotCounter | HotHistogram>(name: string, make: () => M): M {
    const existing = this.registry.getSingleMetric(prefixed(name)) as unknown;
    if (existing !== undefined) {
      if (!(existing instanceof HotCounter || existing instanceof HotHistogram)) {
        throw new TypeError(`metric ${prefixed(name)} is already registered as a prom-client metric`);
      }
      return existing as M;
    }
    const metric = make();
    this.registry.registerMetric(metric as unknown as Metric);
    return metric;
  }

  #getOrCreate<M>(name: string, make: () => M): M {
    const existing = this.registry.getSingleMetric(prefixed(name));
    return (existing as M | undefined) ?? make();
  }
}

function prefixed(name: string): string {
  return name.startsWith(METRIC_PREFIX) ? name : `${METRIC_PREFIX}${name}`;
}
