import path from 'node:path';
import { type Benchmark, HexcastError, runBenchmark } from '@hexcast/core';

/** Benchmarks by name; each issue that names a benchmark registers it here. */
const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  envelope: async () => (await import('./envelope.bench.js')).default,
  broker: async () => (await import('./broker.bench.js')).default,
  bus: async () => (await import('./bus.bench.js')).default,
  rebalance: async () => (await import('./rebalance.bench.js')).default,
  geofence: async () => (await import('./geofence.bench.js')).default,
  'geo-start': async () => (await import('./geo-start.bench.js')).default,
  ingest: async () => (await import('./ingest.bench.js')).default,
  offers: async () => (await import('./offers.bench.js')).default,
  e2e: async () => (await import('./e2e.bench.js')).default,
  fraud: async () => (await import('./fraud.bench.js')).default,
  sentiment: async () => (await import('./sentiment.bench.js')).default,
  recs: async () => (await import('./recs.bench.js')).default,
  console: async () => (await import('./console.bench.js')).default,
};

async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => !a.startsWith('--'));
  const quick = argv.includes('--quick');
  const name = args[0];
  if (name === undefined || BENCHMARKS[name] === undefined) {
    const error = new HexcastError(
      'HX_BENCH_UNKNOWN',
      `usage: npm run bench -- <${Object.keys(BENCHMARKS).join('|')}> [--quick]`,
    );
    console.error(`${error.code}: ${error.message}`);
    return 2;
  }
  const bench = await BENCHMARKS[name]();
  await runBenchmark(bench, { outDir: path.resolve('bench-results'), quick });
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
