import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Table from 'cli-table3';
import type { BenchCaseResult, Benchmark } from './types.js';

export interface BenchReport {
  benchmark: string;
  description: string;
  startedAt: string;
  quick: boolean;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    platform: string;
    loadavg: number[];
  };
  baseline: string;
  primary: Benchmark['primary'];
  cases: Array<BenchCaseResult & { ratio: number }>;
}

/** Runs one benchmark, prints its table, writes `<outDir>/<name>.json`; returns the report. */
export async function runBenchmark(
  bench: Benchmark,
  options: { outDir: string; quick?: boolean; write?: (line: string) => void },
): Promise<BenchReport> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const startedAt = new Date().toISOString();
  const cases = await bench.run({
    quick: options.quick ?? false,
    progress: (message) => process.stderr.write(`[bench ${bench.name}] ${message}\n`),
  });
  const base = cases.find((c) => c.case === bench.baseline);
  const baseValue = base?.metrics[bench.primary.metric];
  const withRatio = cases.map((c) => {
    const value = c.metrics[bench.primary.metric];
    const ratio =
      value === undefined || baseValue === undefined || baseValue === 0 ? Number.NaN : value / baseValue;
    return { ...c, ratio };
  });
  const report: BenchReport = {
    benchmark: bench.name,
    description: bench.description,
    startedAt,
    quick: options.quick ?? false,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadavg: os.loadavg(),
    },
    baseline: bench.baseline,
    primary: bench.primary,
    cases: withRatio,
  };
  write(formatTable(report));
  await mkdir(options.outDir, { recursive: true });
  const file = path.join(options.outDir, `${bench.name}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  write(`wrote ${file}`);
  return report;
}

export function formatTable(report: BenchReport): string {
  const metricNames = [...new Set(report.cases.flatMap((c) => Object.keys(c.metrics)))];
  const table = new Table({
    head: ['case', ...metricNames, `ratio (${report.primary.metric} vs ${report.baseline})`],
    style: { head: [], border: [] },
  });
  for (const c of report.cases) {
    table.push([
      c.case === report.baseline ? `${c.case} (baseline)` : c.case,
      ...metricNames.map((m) => formatNumber(c.metrics[m])),
      Number.isNaN(c.ratio) ? '-' : `${c.ratio.toFixed(2)}x`,
    ]);
  }
  return `${report.benchmark}: ${report.description}\n${table.toString()}`;
}

function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}
