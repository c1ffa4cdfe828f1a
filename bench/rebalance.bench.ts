import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type BenchCaseResult,
  type Benchmark,
  BusProducer,
  ConsumerRunner,
  createEventRegistry,
  DeviceClick,
  Metrics,
  median,
  silentLogger,
} from '@hexcast/core';
import { Kafka, logLevel } from 'kafkajs';
import { spawnBroker } from './broker-process.js';

/**
 * What a worker joining or leaving a 12-partition group costs the workers already there (#24):
 * the bus's ConsumerRunner with its production settings (kafkajs, eager rebalancing, session
 * 30 s, heartbeat 3 s), a steady keyed stream, the embedded broker in its own process. The
 * stall is the longest gap in the first worker's records around the change; the bound asked for
 * is one session timeout.
 */

const PARTITIONS = 12;
const RATE = 1_000;
const SESSION_TIMEOUT_MS = 30_000;

const bench: Benchmark = {
  name: 'rebalance',
  description: `a worker joining then leaving a ${PARTITIONS}-partition group (ConsumerRunner: kafkajs, eager; session ${SESSION_TIMEOUT_MS / 1000} s, heartbeat 3 s) while ${RATE} records/s flow: the others' longest stall`,
  baseline: 'join',
  primary: { metric: 'stall_ms', higherIsBetter: false },
  async run(context) {
    const rounds = context.quick ? 1 : 3;
    const samples: Record<'join' | 'leave', Array<Record<string, number>>> = { join: [], leave: [] };
    for (let round = 0; round < rounds; round++) {
      context.progress(`round ${round + 1}/${rounds}`);
      const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-bench-rebalance-'));
      const broker = await spawnBroker(['--port', '0', '--data-dir', dataDir]);
      const registry = createEventRegistry();
      const metrics = new Metrics();
      const kafka = new Kafka({
        clientId: 'bench-rebalance',
        brokers: [broker.bootstrap],
        logLevel: logLevel.NOTHING,
      });
      const producer = new BusProducer({ brokers: [broker.bootstrap], registry, metrics });
      const topic = `rebalance-${round}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
      await admin.disconnect();
      await producer.start();

      // Arrival times per worker, and every record seen (nothing lost across the changes).
      const arrivals: [number[], number[]] = [[], []];
      const seen = new Set<string>();
      const worker = (index: 0 | 1) =>
        new ConsumerRunner({
          kafka,
          registry,
          metrics,
          logger: silentLogger(),
          producer,
          groupId: `rebalance-${round}`,
          topics: [topic],
          stage: `w${index}`,
          fromBeginning: true,
          handler: async (envelope) => {
            arrivals[index].push(performance.now());
            seen.add(envelope.id);
          },
        });
      let sent = 0;
      let producing = true;
      const stream = (async () => {
        while (producing) {
          const tick = performance.now();
          const batch = Array.from({ length: RATE / 100 }, () => {
            const deviceId = `d${sent++ % 500}`;
            return producer.send(
              topic,
              registry.create(DeviceClick, {
                key: deviceId,
                source: { kind: 'bench', id: 'rebalance' },
                data: { deviceId, sessionId: 's', productId: 'p', action: 'view' },
              }),
            );
          });
          await Promise.all(batch);
          const wait = 10 - (performance.now() - tick);
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      })();
      const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const waitFor = async (check: () => boolean, limitMs = 120_000) => {
        const deadline = performance.now() + limitMs;
        while (!check()) {
          if (performance.now() > deadline) throw new Error('rebalance bench: timed out waiting');
          await settle(20);
        }
      };

      const first = worker(0);
      await first.start();
      await waitFor(() => arrivals[0].length > RATE); // steady state
      const longestGap = (times: number[], from: number, to: number) => {
        let gap = 0;
        let last = from;
        for (const t of times) {
          if (t < from) continue;
          if (t > to) break;
          gap = Math.max(gap, t - last);
          last = t;
        }
        return Math.max(gap, to - last);
      };

      // Join: the second worker starts; both must be consuming again.
      const joinAt = performance.now();
      const second = worker(1);
      await second.start();
      await waitFor(() => arrivals[1].length > 0 && arrivals[0].at(-1)! > arrivals[1][0]!);
      const joinedAt = Math.max(arrivals[1][0]!, performance.now());
      await settle(2_000);
      samples.join.push({
        stall_ms: longestGap(arrivals[0], joinAt, joinedAt),
        new_worker_first_record_ms: arrivals[1][0]! - joinAt,
      });

      // Leave: the second worker closes (LeaveGroup); the first takes every partition back.
      const leaveAt = performance.now();
      const before = arrivals[0].length;
      await second.close();
      const closedAt = performance.now();
      await waitFor(() => arrivals[0].length > before + RATE / 2);
      samples.leave.push({
        stall_ms: longestGap(arrivals[0], leaveAt, performance.now()),
        leave_call_ms: closedAt - leaveAt,
      });

      producing = false;
      await stream;
      await waitFor(() => seen.size >= sent);
      await first.close();
      await producer.close();
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (seen.size !== sent) throw new Error(`lost records: ${sent - seen.size}`);
    }
    return (['join', 'leave'] as const).map(
      (name): BenchCaseResult => ({
        case: name,
        metrics: {
          ...Object.fromEntries(
            Object.keys(samples[name][0]!).map((k) => [k, median(samples[name].map((s) => s[k]!))]),
          ),
          session_timeout_ms: SESSION_TIMEOUT_MS,
        },
        rounds: samples[name].map((s) => s.stall_ms!),
        notes: `${RATE} records/s keyed over 500 devices; every record handled once or more, none lost`,
      }),
    );
  },
};

export default bench;
