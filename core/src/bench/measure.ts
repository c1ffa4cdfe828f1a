import { performance } from 'node:perf_hooks';

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile of an unsorted sample; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const low = sorted[lo]!;
  const high = sorted[hi]!;
  return low + (high - low) * (pos - lo);
}

/**
 * Operations per second of a synchronous function: `rounds` rounds of at least `minTimeMs`,
 * after one warm-up round. Returns every round so the caller can take the median.
 */
export function opsPerSecond(
  fn: () => void,
  options: { rounds?: number; minTimeMs?: number } = {},
): number[] {
  const rounds = options.rounds ?? 7;
  const minTimeMs = options.minTimeMs ?? 200;
  const results: number[] = [];
  for (let round = -1; round < rounds; round++) {
    let ops = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < minTimeMs) {
      for (let i = 0; i < 100; i++) fn();
      ops += 100;
      elapsed = performance.now() - start;
    }
    if (round >= 0) results.push((ops * 1000) / elapsed);
  }
  return results;
}
