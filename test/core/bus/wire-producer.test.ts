import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  type Broker,
  decodeRecords,
  encodeRecordBatch,
  murmur2,
  murmur2Text,
  WireProducer,
  type WireProducerOptions,
} from '@hexcast/core';
import type { Kafka } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kafkaFor, startBroker } from '../../helpers/broker.js';
import { startStallProxy } from '../../helpers/stall-proxy.js';
import { waitFor } from '../../helpers/wait-for.js';

const run = promisify(execFile);

describe('WireProducer pieces', () => {
  it('hashes keys exactly as kafkajs / Java murmur2 does', async () => {
    // kafkajs ships the Java-compatible murmur2 its default partitioner uses.
    const { default: reference } = (await import(
      // @ts-expect-error: kafkajs ships no types for its internals
      'kafkajs/src/producer/partitioners/default/murmur2.js'
    )) as { default: (key: Buffer) => number };
    const keys = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      'device-42',
      'ünïcödé-✓',
      ...Array.from({ length: 500 }, (_, i) => `dev-${i * 7919}`),
    ];
    for (const key of keys) {
      expect(murmur2(Buffer.from(key)), key).toBe(reference(Buffer.from(key)));
      expect(murmur2Text(key), key).toBe(reference(Buffer.from(key)));
    }
    const long = 'x'.repeat(2000);
    expect(murmur2Text(long)).toBe(reference(Buffer.from(long)));
  });

  it('encodes a record batch the broker decodes: keys, values, timestamps (deltas past 2^31 too), offsets', () => {
    const records = [
      { key: 'k1', value: Buffer.from('v1'), timestamp: 1_700_000_000_000 },
      { key: '', value: Buffer.alloc(300, 7), timestamp: 1_700_000_000_005 },
      { key: 'k3', value: '{"x":"é"}', timestamp: 1_700_000_000_000 + 2 ** 33 },
      { key: 'ключ', value: 'text ✓', timestamp: 1_700_000_000_001 },
    ];
    const batch = encodeRecordBatch(records, 77, 3, 12);
    const decoded = decodeRecords(batch);
    expect(decoded).not.toBeNull();
    expect(decoded!.map((r) => [r.offset, r.key?.toString(), r.value?.length, r.timestamp])).toEqual([
      [0, 'k1', 2, 1_700_000_000_000],
      [1, '', 300, 1_700_000_000_005],
      [2, 'k3', 10, 1_700_000_000_000 + 2 ** 33],
      [3, 'ключ', 8, 1_700_000_000_001],
    ]);
    expect(decoded![2]!.value!.toString()).toBe('{"x":"é"}');
    expect(batch.readInt32BE(53)).toBe(12); // base sequence
    expect(Number(batch.readBigInt64BE(43))).toBe(77); // producer id
  });
});

describe('WireProducer against the embedded broker over TCP', () => {
  let broker: Broker;
  let kafka: Kafka;

  beforeEach(async () => {
    broker = await startBroker();
    kafka = kafkaFor(broker);
  });
  afterEach(async () => {
    await broker.close();
  });

  /** A producer whose every socket goes through the fault proxy (the proxy helper's settings). */
  function viaProxy(
    proxy: Awaited<ReturnType<typeof startStallProxy>>,
    clientId: string,
    overrides: Partial<WireProducerOptions>,
  ): WireProducer {
    const { brokers, wire } = proxy.producerVia(broker);
    return new WireProducer({ ...wire, brokers, clientId, retryBackoffMs: 20, ...overrides });
  }

  /** Every record on the topic: read until the consumer has as many as the log's end offsets say. */
  async function readAll(topic: string) {
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const onLog = offsets.reduce((n, o) => n + Number(o.high), 0);
    const consumer = kafka.consumer({ groupId: `read-${topic}-${Math.random()}`, maxWaitTimeInMs: 100 });
    const seen: Array<{ partition: number; key: string; value: string }> = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.push({ partition, key: message.key!.toString(), value: message.value!.toString() });
      },
    });
    await waitFor(() => seen.length >= onLog, { timeoutMs: 15_000 });
    await consumer.disconnect();
    return seen;
  }

  it('lands every record once, on the partition kafkajs would pick, in per-key order; kcat reads them', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'wire-a', numPartitions: 4 },
        { topic: 'wire-b', numPartitions: 1 },
      ],
    });
    await admin.disconnect();
    const producer = new WireProducer({ brokers: [broker.bootstrap], clientId: 'wire-test' });
    await producer.connect();
    for (let round = 0; round < 5; round++) {
      await producer.send(
        new Map([
          [
            'wire-a',
            Array.from({ length: 40 }, (_, i) => ({
              key: `dev-${i % 10}`,
              value: Buffer.from(`${round}:${i}`),
              timestamp: Date.now(),
            })),
          ],
          ['wire-b', [{ key: 'only', value: Buffer.from(`b${round}`), timestamp: Date.now() }]],
        ]),
      );
    }
    await producer.disconnect();
    const a = await readAll('wire-a');
    expect(a).toHaveLength(200);
    expect(new Set(a.map((r) => r.value)).size).toBe(200);
    for (const r of a) expect(r.partition).toBe((murmur2(Buffer.from(r.key)) & 0x7fffffff) % 4);
    for (let d = 0; d < 10; d++) {
      const order = a.filter((r) => r.key === `dev-${d}`).map((r) => r.value);
      const sorted = [...order].sort((x, y) => {
        const [rx, ix] = x.split(':').map(Number);
        const [ry, iy] = y.split(':').map(Number);
        return rx! - ry! || ix! - iy!;
      });
      expect(order).toEqual(sorted);
    }
    expect((await readAll('wire-b')).map((r) => r.value)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
    const { stdout } = await run('kcat', [
      '-C',
      '-b',
      broker.bootstrap,
      '-t',
      'wire-b',
      '-e',
      '-q',
      '-f',
      '%k=%s\\n',
    ]);
    expect(stdout.trim().split('\n')).toEqual(['only=b0', 'only=b1', 'only=b2', 'only=b3', 'only=b4']);
  });

  it('retries a request whose response was lost with the same sequence: the broker keeps one copy', async () => {
    const proxy = await startStallProxy({ host: '127.0.0.1', port: broker.port });
    try {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'wire-retry', numPartitions: 1 }] });
      await admin.disconnect();
      const producer = viaProxy(proxy, 'wire-retry', { requestTimeoutMs: 500 });
      await producer.connect();
      await producer.send(
        new Map([['wire-retry', [{ key: 'k', value: Buffer.from('first'), timestamp: Date.now() }]]]),
      );
      // The next request reaches the broker (and is written) but its response is held: the request
      // times out, the producer reconnects (a new connection at the proxy) and sends the same batch again.
      const connections = proxy.connections;
      proxy.hold();
      const second = producer.send(
        new Map([['wire-retry', [{ key: 'k', value: Buffer.from('second'), timestamp: Date.now() }]]]),
      );
      await waitFor(() => proxy.connections > connections, { timeoutMs: 10_000 });
      proxy.release();
      await second;
      await producer.send(
        new Map([['wire-retry', [{ key: 'k', value: Buffer.from('third'), timestamp: Date.now() }]]]),
      );
      await producer.disconnect();
      expect((await readAll('wire-retry')).map((r) => r.value)).toEqual(['first', 'second', 'third']);
    } finally {
      proxy.release();
      await proxy.close();
    }
  });

  it('rejects with a coded, retriable error when no broker answers, and works again after', async () => {
    const proxy = await startStallProxy({ host: '127.0.0.1', port: broker.port });
    try {
      const producer = viaProxy(proxy, 'wire-cut', { retries: 2 });
      await producer.connect();
      await producer.send(
        new Map([['wire-cut', [{ key: 'k', value: Buffer.from('a'), timestamp: Date.now() }]]]),
      );
      proxy.cut();
      await expect(
        producer.send(
          new Map([['wire-cut', [{ key: 'k', value: Buffer.from('b'), timestamp: Date.now() }]]]),
        ),
      ).rejects.toMatchObject({ code: 'HX_BUS_PRODUCE_FAILED', retriable: true });
      proxy.restore();
      await producer.send(
        new Map([['wire-cut', [{ key: 'k', value: Buffer.from('c'), timestamp: Date.now() }]]]),
      );
      await producer.disconnect();
      const values = (await readAll('wire-cut')).map((r) => r.value);
      expect(values[0]).toBe('a');
      expect(values.at(-1)).toBe('c');
    } finally {
      await proxy.close();
    }
  });
});
