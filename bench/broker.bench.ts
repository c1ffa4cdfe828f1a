import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BenchCaseResult, type Benchmark, quantile, WireProducer } from '@hexcast/core';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { spawnBroker } from './broker-process.js';

const RECORD_BYTES = 200;
const PARTITIONS = 3;

interface Transport {
  /** Sends records; each value starts with the send time (float64, performance.now()). */
  send(values: Buffer[]): Promise<void>;
  /** Starts consuming; calls onRecord with each value. */
  consume(onRecord: (value: Buffer) => void): Promise<void>;
  close(): Promise<void>;
}

function makeValue(): Buffer {
  const value = Buffer.alloc(RECORD_BYTES, 0x61);
  value.writeDoubleBE(performance.now(), 0);
  return value;
}

async function measure(transport: Transport, total: number, latencySeconds: number, rate: number) {
  let received = 0;
  let latencyPhase = false;
  const latencies: number[] = [];
  let done: () => void = () => undefined;
  let target = total;
  let reached = new Promise<void>((r) => {
    done = r;
  });
  await transport.consume((value) => {
    received++;
    if (latencyPhase) latencies.push(performance.now() - value.readDoubleBE(0));
    if (received === target) done();
  });

  // Throughput: as fast as the producer can go, a few requests in flight.
  const started = performance.now();
  const chunk = 1000;
  const inFlight = new Set<Promise<void>>();
  for (let sent = 0; sent < total; sent += chunk) {
    const values = Array.from({ length: Math.min(chunk, total - sent) }, makeValue);
    const p = transport.send(values).then(() => void inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await reached;
  const seconds = (performance.now() - started) / 1000;

  // Latency: a steady rate well under saturation, small requests.
  latencyPhase = true;
  const perTick = Math.max(1, Math.round(rate / 200));
  const ticks = Math.round(latencySeconds * 200);
  target = received + perTick * ticks;
  reached = new Promise<void>((r) => {
    done = r;
  });
  for (let t = 0; t < ticks; t++) {
    const tickStart = performance.now();
    await transport.send(Array.from({ length: perTick }, makeValue));
    const wait = 5 - (performance.now() - tickStart);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await reached;
  return {
    records_per_s: total / seconds,
    p50_ms: quantile(latencies, 0.5),
    p99_ms: quantile(latencies, 0.99),
    latency_samples: latencies.length,
  };
}

/** A kafkajs consumer group on a new topic of PARTITIONS partitions, from its beginning. */
async function kafkaConsumer(kafka: Kafka, topic: string): Promise<Pick<Transport, 'consume' | 'close'>> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
  await admin.disconnect();
  const consumer = kafka.consumer({
    groupId: `bench-${topic}`,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  return {
    async consume(onRecord) {
      await consumer.run({
        partitionsConsumedConcurrently: PARTITIONS,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) onRecord(m.value!);
        },
      });
    },
    close: () => consumer.disconnect(),
  };
}

const benchKafka = (bootstrap: string) =>
  new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });

/** kafkajs' producer and consumer group. */
async function kafkaTransport(bootstrap: string, topic: string): Promise<Transport> {
  const kafka = benchKafka(bootstrap);
  const consuming = await kafkaConsumer(kafka, topic);
  const producer = kafka.producer();
  await producer.connect();
  let next = 0;
  return {
    async send(values) {
      await producer.send({
        topic,
        acks: -1,
        messages: values.map((value) => ({ value, partition: next++ % PARTITIONS })),
      });
    },
    consume: (onRecord) => consuming.consume(onRecord),
    async close() {
      await consuming.close();
      await producer.disconnect();
    },
  };
}

/**
 * The producer Hexcast itself uses (`WireProducer`, idempotent, behind `BusProducer`), with a
 * kafkajs consumer group: the bus as production runs it.
 */
async function wireTransport(bootstrap: string, topic: string): Promise<Transport> {
  const consuming = await kafkaConsumer(benchKafka(bootstrap), topic);
  const producer = new WireProducer({ brokers: [bootstrap], clientId: 'bench-wire', idempotent: true });
  await producer.connect();
  let next = 0;
  return {
    async send(values) {
      const now = Date.now();
      await producer.send(
        new Map([[topic, values.map((value) => ({ key: `k${next++}`, value, timestamp: now }))]]),
      );
    },
    consume: (onRecord) => consuming.consume(onRecord),
    async close() {
      await producer.disconnect();
      await consuming.close();
    },
  };
}

async function redisTransport(url: string, stream: string): Promise<Transport> {
  const writer = new Redis(url);
  const reader = new Redis(url);
  await writer.del(stream);
  let running = true;
  let loop: Promise<void> = Promise.resolve();
  return {
    async send(values) {
      const pipeline = writer.pipeline();
      for (const v of values) pipeline.xadd(stream, '*', 'v', v);
      await pipeline.exec();
    },
    async consume(onRecord) {
      let last = '0-0';
      loop = (async () => {
        while (running) {
          const res = (await reader.xreadBuffer(
            'COUNT',
            5000,
            'BLOCK',
            100,
            'STREAMS',
            stream,
            last,
          )) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
          for (const [, entries] of res ?? []) {
            for (const [id, fields] of entries) {
              onRecord(fields[1]!);
              last = id.toString();
            }
          }
        }
      })();
    },
    async close() {
      running = false;
      await loop;
      await writer.del(stream);
      writer.disconnect();
      reader.disconnect();
    },
  };
}

const bench: Benchmark = {
  name: 'broker',
  description: `producer → kafkajs consumer group over loopback, ${RECORD_BYTES}-byte records, broker in its own process; the project's own producer (WireProducer) and kafkajs' side by side`,
  baseline: 'redis-streams',
  primary: { metric: 'records_per_s', higherIsBetter: true },
  async run(context) {
    const total = context.quick ? 50_000 : 200_000;
    const latencySeconds = context.quick ? 2 : 5;
    const rate = 5_000;
    const rounds = context.quick ? 1 : 3;
    const results: BenchCaseResult[] = [];
    const median = (xs: number[]) => quantile(xs, 0.5);
    const collect = async (
      name: string,
      make: (round: number) => Promise<{ transport: Transport; stop: () => Promise<void> }>,
    ) => {
      const samples: Array<Awaited<ReturnType<typeof measure>>> = [];
      for (let round = 0; round < rounds; round++) {
        context.progress(`${name}: round ${round + 1}/${rounds}`);
        const { transport, stop } = await make(round);
        samples.push(await measure(transport, total, latencySeconds, rate));
        await transport.close();
        await stop();
      }
      results.push({
        case: name,
        metrics: {
          records_per_s: median(samples.map((s) => s.records_per_s)),
          p50_ms: median(samples.map((s) => s.p50_ms)),
          p99_ms: median(samples.map((s) => s.p99_ms)),
        },
        rounds: samples.map((s) => s.records_per_s),
        notes: `${total} records per round for throughput; latency at ${rate}/s for ${latencySeconds}s`,
      });
    };

    const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
    const probe = new Redis(redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const redisUp = await probe.connect().then(
      () => true,
      () => false,
    );
    probe.disconnect();
    if (redisUp) {
      await collect('redis-streams', async (round) => ({
        transport: await redisTransport(redisUrl, `hx:bench:stream:${process.pid}:${round}`),
        stop: async () => undefined,
      }));
    } else context.progress('redis not reachable: no baseline this run');

    for (const [name, args, transport] of [
      ['hexcast-broker (disk, flush 200ms), kafkajs producer', ['--port', '0'], kafkaTransport],
      ['hexcast-broker (disk, flush 200ms), WireProducer (production)', ['--port', '0'], wireTransport],
      [
        'hexcast-broker (in-memory), WireProducer (production)',
        ['--port', '0', '--in-memory'],
        wireTransport,
      ],
    ] as const) {
      await collect(name, async (round) => {
        const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-bench-broker-'));
        const broker = await spawnBroker([...args], { HX_DATA_DIR: dataDir });
        return {
          transport: await transport(broker.bootstrap, `bench-${round}`),
          stop: async () => {
            await broker.stop();
            rmSync(dataDir, { recursive: true, force: true });
          },
        };
      });
    }
    return results;
  },
};

export default bench;
