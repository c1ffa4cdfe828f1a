import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BenchCaseResult, type Benchmark, median, quantile, WireProducer } from '@hexcast/core';
import { Admin, Consumer, MessagesStreamModes, Producer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { spawnBroker } from './broker-process.js';

/**
 * The bus's Kafka client, chosen by measurement (#24): kafkajs 2.2.4, @platformatic/kafka 1.35
 * and the project's WireProducer (with kafkajs' consumer group, as production runs it), side by
 * side against the embedded broker in its own process. 200-byte keyed records, 12 partitions,
 * idempotent producers with acks=all, consumer groups from the earliest offset.
 */

const RECORD_BYTES = 200;
const PARTITIONS = 12;
/** Sends in flight per producer: one, as the bus runs (BusProducer batches while a request is out; an idempotent producer's sequences must stay in order). */
const IN_FLIGHT = 1;
const CHUNK = 1000;

interface Client {
  name: string;
  /** Connects a producer; `send` resolves once every record is acknowledged. */
  producer(
    bootstrap: string,
  ): Promise<{ send(topic: string, values: Buffer[]): Promise<void>; close(): Promise<void> }>;
  /** Joins a group on `topic` from its beginning and calls `onRecord` with every value. */
  consumer(
    bootstrap: string,
    topic: string,
    onRecord: (value: Buffer) => void,
  ): Promise<{ close(): Promise<void> }>;
}

let keySeq = 0;
const nextKey = () => `device-${keySeq++ % 10_000}`;

function makeValue(): Buffer {
  const value = Buffer.alloc(RECORD_BYTES, 0x61);
  value.writeDoubleBE(performance.now(), 0);
  return value;
}

const kafkajs = (bootstrap: string) =>
  new Kafka({ clientId: 'bench-bus', brokers: [bootstrap], logLevel: logLevel.NOTHING });

const kafkajsConsumer: Client['consumer'] = async (bootstrap, topic, onRecord) => {
  const consumer = kafkajs(bootstrap).consumer({
    groupId: `bench-${topic}`,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) onRecord(m.value!);
    },
  });
  return { close: () => consumer.disconnect() };
};

const CLIENTS: Client[] = [
  {
    name: 'kafkajs 2.2.4',
    async producer(bootstrap) {
      const producer = kafkajs(bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      return {
        async send(topic, values) {
          await producer.send({
            topic,
            acks: -1,
            messages: values.map((value) => ({ key: nextKey(), value })),
          });
        },
        close: () => producer.disconnect(),
      };
    },
    consumer: kafkajsConsumer,
  },
  {
    name: '@platformatic/kafka 1.35',
    async producer(bootstrap) {
      const producer = new Producer({
        clientId: 'bench-bus',
        bootstrapBrokers: [bootstrap],
        idempotent: true,
        acks: -1,
      });
      return {
        async send(topic, values) {
          await producer.send({
            messages: values.map((value) => ({ topic, key: Buffer.from(nextKey()), value })),
          });
        },
        close: () => producer.close(),
      };
    },
    async consumer(bootstrap, topic, onRecord) {
      const consumer = new Consumer({
        clientId: 'bench-bus',
        bootstrapBrokers: [bootstrap],
        groupId: `bench-${topic}`,
        maxWaitTime: 100,
        maxBytesPerPartition: 4 * 1024 * 1024,
      });
      const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
      stream.on('data', (message: { value: Buffer }) => onRecord(message.value));
      return {
        async close() {
          await stream.close();
          await consumer.close();
        },
      };
    },
  },
  {
    name: 'WireProducer + kafkajs consumer (today)',
    async producer(bootstrap) {
      const producer = new WireProducer({ brokers: [bootstrap], clientId: 'bench-bus', idempotent: true });
      await producer.connect();
      return {
        async send(topic, values) {
          const now = Date.now();
          await producer.send(
            new Map([[topic, values.map((value) => ({ key: nextKey(), value, timestamp: now }))]]),
          );
        },
        close: () => producer.disconnect(),
      };
    },
    consumer: kafkajsConsumer,
  },
];

async function createTopic(bootstrap: string, topic: string): Promise<void> {
  const admin = new Admin({ clientId: 'bench-bus', bootstrapBrokers: [bootstrap] });
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
  await admin.close();
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Produce-only: `total` records, `IN_FLIGHT` sends of `CHUNK` at a time. */
async function produceOnly(
  client: Client,
  bootstrap: string,
  topic: string,
  total: number,
  brokerCpu: () => number,
) {
  const producer = await client.producer(bootstrap);
  await producer.send(topic, [makeValue()]); // connected, metadata known
  const [cpu0, broker0, t0] = [cpuMs(), brokerCpu(), performance.now()];
  const inFlight = new Set<Promise<void>>();
  for (let sent = 0; sent < total; sent += CHUNK) {
    const values = Array.from({ length: Math.min(CHUNK, total - sent) }, makeValue);
    const p = producer.send(topic, values).then(() => void inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - t0) / 1000;
  const result = {
    records_per_s: total / seconds,
    client_cpu_us: ((cpuMs() - cpu0) * 1000) / total,
    broker_cpu_us: ((brokerCpu() - broker0) * 1000) / total,
  };
  await producer.close();
  return result;
}

/** Consume-only: a new group reads the `total + 1` records a produce-only run left in `topic`. */
async function consumeOnly(
  client: Client,
  bootstrap: string,
  topic: string,
  total: number,
  brokerCpu: () => number,
) {
  let received = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const [cpu0, broker0, t0] = [cpuMs(), brokerCpu(), performance.now()];
  const consumer = await client.consumer(bootstrap, topic, () => {
    if (++received === total) done();
  });
  await all;
  const seconds = (performance.now() - t0) / 1000;
  const result = {
    records_per_s: total / seconds,
    client_cpu_us: ((cpuMs() - cpu0) * 1000) / total,
    broker_cpu_us: ((brokerCpu() - broker0) * 1000) / total,
  };
  await consumer.close();
  return result;
}

/** Produce → consume latency at a steady `rate` for `seconds`: small sends every 5 ms. */
async function latency(client: Client, bootstrap: string, topic: string, rate: number, seconds: number) {
  const latencies: number[] = [];
  let warm = false;
  let ready: () => void = () => undefined;
  const first = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const consumer = await client.consumer(bootstrap, topic, (value) => {
    if (!warm) {
      warm = true;
      ready();
      return;
    }
    latencies.push(performance.now() - value.readDoubleBE(0));
  });
  const producer = await client.producer(bootstrap);
  // The group is assigned and reading once the first record comes back.
  await producer.send(topic, [makeValue()]);
  await first;
  const perTick = Math.max(1, Math.round(rate / 200));
  const ticks = Math.round(seconds * 200);
  const expected = perTick * ticks;
  for (let t = 0; t < ticks; t++) {
    const tickStart = performance.now();
    await producer.send(topic, Array.from({ length: perTick }, makeValue));
    const wait = 5 - (performance.now() - tickStart);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const deadline = performance.now() + 30_000;
  while (latencies.length < expected && performance.now() < deadline)
    await new Promise((r) => setImmediate(r));
  await producer.close();
  await consumer.close();
  return {
    p50_ms: quantile(latencies, 0.5),
    p99_ms: quantile(latencies, 0.99),
    received: latencies.length,
    expected,
  };
}

const bench: Benchmark = {
  name: 'bus',
  description: `Kafka clients for the bus against the embedded broker (own process): ${RECORD_BYTES}-byte keyed records, ${PARTITIONS} partitions, idempotent acks=all producers, consumer groups`,
  baseline: 'kafkajs 2.2.4',
  primary: { metric: 'produce_records_per_s', higherIsBetter: true },
  async run(context) {
    const total = context.quick ? 50_000 : 200_000;
    const rounds = context.quick ? 1 : 3;
    const rate = 5_000;
    const latencySeconds = context.quick ? 2 : 5;
    const samples = new Map<string, Array<Record<string, number>>>();
    for (let round = 0; round < rounds; round++) {
      // Clients take turns within a round, so a noisy minute hits them alike.
      for (const client of CLIENTS) {
        context.progress(`${client.name}: round ${round + 1}/${rounds}`);
        const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-bench-bus-'));
        const broker = await spawnBroker(['--port', '0', '--data-dir', dataDir]);
        try {
          const topic = `bus-${round}`;
          await createTopic(broker.bootstrap, topic);
          const produced = await produceOnly(client, broker.bootstrap, topic, total, broker.cpuMs);
          const consumed = await consumeOnly(client, broker.bootstrap, topic, total + 1, broker.cpuMs);
          await createTopic(broker.bootstrap, `${topic}-latency`);
          const timed = await latency(client, broker.bootstrap, `${topic}-latency`, rate, latencySeconds);
          if (timed.received < timed.expected)
            throw new Error(`${client.name}: ${timed.received} of ${timed.expected} records came back`);
          const sample = {
            produce_records_per_s: produced.records_per_s,
            produce_client_cpu_us: produced.client_cpu_us,
            produce_broker_cpu_us: produced.broker_cpu_us,
            consume_records_per_s: consumed.records_per_s,
            consume_client_cpu_us: consumed.client_cpu_us,
            consume_broker_cpu_us: consumed.broker_cpu_us,
            p50_ms: timed.p50_ms,
            p99_ms: timed.p99_ms,
          };
          samples.set(client.name, [...(samples.get(client.name) ?? []), sample]);
        } finally {
          await broker.stop();
          rmSync(dataDir, { recursive: true, force: true });
        }
      }
    }
    return CLIENTS.map((client): BenchCaseResult => {
      const rows = samples.get(client.name)!;
      const metrics = Object.fromEntries(
        Object.keys(rows[0]!).map((metric) => [metric, median(rows.map((r) => r[metric]!))]),
      );
      return {
        case: client.name,
        metrics,
        rounds: rows.map((r) => r.produce_records_per_s!),
        notes: `${total} records produced then consumed per round; latency at ${rate}/s for ${latencySeconds}s; medians of ${rounds}`,
      };
    });
  },
};

export default bench;
