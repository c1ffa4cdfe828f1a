import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Benchmark, median, quantile, runBenchmark } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

describe('bench runner', () => {
  it('computes ratios against the baseline, prints a table and writes JSON with machine info', async () => {
    const bench: Benchmark = {
      name: 'sample',
      description: 'fixed numbers to check the arithmetic',
      baseline: 'slow',
      primary: { metric: 'ops_per_s', higherIsBetter: true },
      async run() {
        return [
          { case: 'slow', metrics: { ops_per_s: 100 } },
          { case: 'fast', metrics: { ops_per_s: 250 } },
        ];
      },
    };
    const outDir = mkdtempSync(path.join(tmpdir(), 'hx-bench-'));
    const printed: string[] = [];
    const report = await runBenchmark(bench, { outDir, write: (l) => printed.push(l) });
    expect(report.cases.find((c) => c.case === 'fast')?.ratio).toBe(2.5);
    expect(printed.join('\n')).toContain('2.50x');
    const json = JSON.parse(readFileSync(path.join(outDir, 'sample.json'), 'utf8'));
    expect(json.machine.cpus).toBeGreaterThan(0);
    expect(json.baseline).toBe('slow');
  });

  it('takes medians and quantiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.99)).toBeCloseTo(4.96);
    expect(Number.isNaN(median([]))).toBe(true);
  });
});
