export { median, opsPerSecond, quantile } from './measure.js';
export { type BenchReport, formatTable, runBenchmark } from './runner.js';
export type { BenchCaseResult, BenchContext, Benchmark } from './types.js';
