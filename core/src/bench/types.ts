export interface BenchCaseResult {
  /** The case name; one case per benchmark is the baseline. */
  case: string;
  /** Medians over rounds; units in the metric name (e.g. `ops_per_s`, `p99_ms`). */
  metrics: Record<string, number>;
  /** Per-round values of the primary metric, kept in the JSON for inspection. */
  rounds?: number[];
  notes?: string;
}

export interface BenchContext {
  /** Progress line for long runs; goes to stderr so the table stays clean. */
  progress(message: string): void;
  /** `--quick` shortens rounds (smoke runs); the JSON records it. */
  quick: boolean;
}

export interface Benchmark {
  name: string;
  description: string;
  /** The case measured in the same run that every other case is compared with. */
  baseline: string;
  /** The metric the ratio column is computed on. */
  primary: { metric: string; higherIsBetter: boolean };
  run(context: BenchContext): Promise<BenchCaseResult[]>;
}
