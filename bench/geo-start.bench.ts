import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type BenchCaseResult,
  type Benchmark,
  BusProducer,
  CAMPAIGN_EVENTS,
  type Campaign,
  CampaignChanged,
  createEventRegistry,
  Metrics,
  median,
  TOPICS,
} from '@hexcast/core';
import { METRO_MIX, PARIS_REGION, randomFences } from '../test/fixtures/random-fences.js';
import { spawnBroker } from './broker-process.js';
import { spawnHexcast } from './processes.js';

/**
 * How long a geo worker takes from its start to serving with 100,000 live fences (#23): the
 * campaigns wait in `hx.campaigns` on the broker (own process), `hexcast worker geo` starts in
 * its own process and is timed until its campaign feed has caught up (the fence index holds every
 * fence; the worker then consumes locations). The target is 10 s.
 */

const bench: Benchmark = {
  name: 'geo-start',
  description:
    '`hexcast worker geo` from spawn to serving, with 100,000 fences in hx.campaigns (greater Paris mix)',
  baseline: 'worker geo start',
  primary: { metric: 'ready_s', higherIsBetter: false },
  async run(context) {
    const count = context.quick ? 20_000 : 100_000;
    const rounds = context.quick ? 1 : 3;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-bench-geo-start-'));
    const broker = await spawnBroker(['--port', '0', '--data-dir', dataDir]);
    const registry = createEventRegistry();
    for (const e of CAMPAIGN_EVENTS) registry.register(e);
    const producer = new BusProducer({ brokers: [broker.bootstrap], registry, metrics: new Metrics() });
    await producer.start();
    try {
      context.progress(`publishing ${count} campaigns`);
      const now = new Date();
      const fences = randomFences(count, 42, PARIS_REGION, METRO_MIX);
      for (let i = 0; i < fences.length; i += 2000) {
        await Promise.all(
          fences.slice(i, i + 2000).map((fence) => {
            const campaign: Campaign = {
              id: `c-${fence.id}`,
              version: 1,
              name: fence.id,
              status: 'active',
              fence: fence.shape,
              dwellSeconds: 60,
              exitDebounceSeconds: 30,
              startsAt: new Date(now.getTime() - 3600_000).toISOString(),
              endsAt: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
              timezone: 'Europe/Paris',
              updatedAt: now.toISOString(),
            };
            return producer.send(
              TOPICS.campaigns,
              registry.create(CampaignChanged, {
                key: campaign.id,
                source: { kind: 'bench', id: 'geo-start' },
                data: { campaign, deleted: false },
              }),
            );
          }),
        );
      }
      const samples: Array<{ ready_s: number; cpu_s: number; rss_mib: number }> = [];
      for (let round = 0; round < rounds; round++) {
        context.progress(`worker geo: round ${round + 1}/${rounds}`);
        const workerDir = mkdtempSync(path.join(tmpdir(), 'hx-bench-geo-worker-'));
        const started = performance.now();
        const worker = await spawnHexcast(['worker', 'geo'], '"component":"campaign-feed","msg":"started"', {
          KAFKA_BROKERS: broker.bootstrap,
          HX_DATA_DIR: workerDir,
          HX_LOG_FORMAT: 'json',
        });
        samples.push({
          ready_s: (performance.now() - started) / 1000,
          cpu_s: worker.cpuMs() / 1000,
          rss_mib: worker.rssBytes() / 2 ** 20,
        });
        await worker.stop();
        rmSync(workerDir, { recursive: true, force: true });
      }
      const result: BenchCaseResult = {
        case: 'worker geo start',
        metrics: {
          ready_s: median(samples.map((s) => s.ready_s)),
          cpu_s: median(samples.map((s) => s.cpu_s)),
          rss_mib: median(samples.map((s) => s.rss_mib)),
          fences: count,
        },
        rounds: samples.map((s) => s.ready_s),
        notes:
          'spawn → campaign feed caught up (every fence indexed); includes Node start and the topic catalogue check',
      };
      return [result];
    } finally {
      await producer.close();
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

export default bench;
