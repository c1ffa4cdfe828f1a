import { type Broker, PartitionLog } from '@hexcast/core';
import { CompressionTypes, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { kafkaFor, startBroker } from '../../helpers/broker.js';
import { metricValue } from '../../helpers/bus.js';
import { classic, RawKafkaClient } from '../../helpers/raw-kafka.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('kafkajs against the embedded broker', () => {
  let broker: Broker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker();
    kafka = kafkaFor(broker);
  });
  afterAll(async () => {
    await broker.close();
  });

  it('produces with acks 1, -1 and 0 and reads everything back in order with keys, headers, tombstones', async () => {
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'produce-acks', numPartitions: 1 }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'produce-acks', numPartitions: 1 }] })).toBe(false);
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    const r1 = await producer.send({
      topic: 'produce-acks',
      acks: 1,
      messages: [
        { key: 'a', value: 'one' },
        { key: 'b', value: 'two' },
      ],
    });
    expect(r1[0]?.baseOffset).toBe('0');
    const r2 = await producer.send({
      topic: 'produce-acks',
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: [{ key: 'c', value: 'three', headers: { trace: 'abc', empty: '' } }],
    });
    expect(r2[0]?.baseOffset).toBe('2');
    await producer.send({ topic: 'produce-acks', acks: 0, messages: [{ key: null, value: 'no-ack' }] });
    const r4 = await producer.send({
      topic: 'produce-acks',
      acks: -1,
      messages: [{ key: 'a', value: null }],
    });
    expect(r4[0]?.baseOffset).toBe('4');
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'g-acks', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'produce-acks', fromBeginning: true });
    const seen: Array<{
      offset: string;
      key: string | null;
      value: string | null;
      headers: Record<string, string>;
    }> = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
      },
    });
    await waitFor(() => seen.length >= 5, { message: 'five messages' });
    await consumer.disconnect();
    expect(seen.map((m) => m.offset)).toEqual(['0', '1', '2', '3', '4']);
    expect(seen.map((m) => m.value)).toEqual(['one', 'two', 'three', 'no-ack', null]);
    expect(seen[2]?.headers).toEqual({ trace: 'abc', empty: '' });
    expect(seen[3]?.key).toBeNull();
  });

  it('a fetch waits for minBytes across several appends, and answers at maxWait with less', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fetch-min-bytes', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const parked = () => metricValue(broker.metrics, 'hexcast_broker_fetches_waiting');
    // Three appends of ~1 KB each, each made while the fetch is parked: two stay below minBytes,
    // the third passes it. (The wait is short because disconnecting waits out the next fetch,
    // parked for minBytes too.)
    const value = 'x'.repeat(1000);
    const consumer = kafka.consumer({ groupId: 'g-min-bytes', minBytes: 3000, maxWaitTimeInMs: 2_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'fetch-min-bytes', fromBeginning: true });
    const batches: string[][] = [];
    await consumer.run({
      eachBatch: async ({ batch }) => {
        batches.push(batch.messages.map((m) => m.key?.toString() ?? ''));
      },
    });
    const reads = vi.spyOn(PartitionLog.prototype, 'read');
    try {
      for (const key of ['a', 'b', 'c']) {
        await waitFor(async () => (await parked()) === 1, { message: `a parked fetch before ${key}` });
        await producer.send({ topic: 'fetch-min-bytes', messages: [{ key, value }] });
      }
      await waitFor(() => batches.flat().length >= 3, { message: 'three messages' });
      // Before the broker honoured minBytes, the first append answered the fetch on its own.
      expect(batches[0]).toEqual(['a', 'b', 'c']);
      // The appends below minBytes were counted, not read: the log was read once, for the answer.
      expect(
        (reads.mock.contexts as PartitionLog[]).filter((log) => log.topic === 'fetch-min-bytes'),
      ).toHaveLength(1);
    } finally {
      reads.mockRestore();
    }
    await consumer.disconnect();

    // Less than minBytes, ever: the fetch answers when its wait is over.
    const patient = kafka.consumer({
      groupId: 'g-min-bytes-wait',
      minBytes: 1_000_000,
      maxWaitTimeInMs: 200,
    });
    await patient.connect();
    await patient.subscribe({ topic: 'fetch-min-bytes', fromBeginning: true });
    const seen: string[] = [];
    await patient.run({
      eachMessage: async ({ message }) => {
        seen.push(message.key?.toString() ?? '');
      },
    });
    await producer.send({ topic: 'fetch-min-bytes', messages: [{ key: 'd', value: 'small' }] });
    await waitFor(() => seen.length >= 4, { message: 'four messages, the last below minBytes' });
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    await patient.disconnect();
    await producer.disconnect();
  });

  it('closing the broker answers a fetch parked for minBytes, and it does not park again', async () => {
    const own = await startBroker();
    own.createTopic('parked-at-close', { partitions: 1 });
    const parked = () => metricValue(own.metrics, 'hexcast_broker_fetches_waiting');
    const client = await RawKafkaClient.connect(own.port);
    // Fetch v4: min_bytes 1 MB, max_wait 25 s, on an empty partition.
    const body = Buffer.concat([
      classic.i32(-1), // replica
      classic.i32(25_000), // max_wait
      classic.i32(1_000_000), // min_bytes
      classic.i32(1 << 20), // max_bytes
      classic.i8(0), // isolation
      classic.arr([
        Buffer.concat([
          classic.str('parked-at-close'),
          classic.arr([Buffer.concat([classic.i32(0), classic.i64(0), classic.i32(1 << 20)])]),
        ]),
      ]),
    ]);
    void client.request(1, 4, 1, body); // its connection closes with the broker: no answer comes
    await waitFor(async () => (await parked()) === 1, { message: 'the fetch parked' });
    await own.close();
    expect(await parked()).toBe(0);
    client.close();
  });

  it('lists offsets: earliest, latest and by timestamp', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const base = Date.now();
    await producer.send({
      topic: 'offsets-by-time',
      messages: [0, 1, 2, 3].map((i) => ({ value: `m${i}`, timestamp: String(base + i * 1000) })),
    });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchTopicOffsets('offsets-by-time');
    expect(offsets).toMatchObject({ partition: 0, low: '0', high: '4', offset: '4' });
    const [byTime] = await admin.fetchTopicOffsetsByTimestamp('offsets-by-time', base + 1500);
    expect(byTime?.offset).toBe('2');
    const [afterAll] = await admin.fetchTopicOffsetsByTimestamp('offsets-by-time', base + 99_000);
    expect(afterAll?.offset).toBe('4'); // none found: kafkajs falls back to the high watermark
    await admin.disconnect();
  });

  it('creates, lists and deletes topics through the admin client', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'admin-x', numPartitions: 4 }] });
    const meta = await admin.fetchTopicMetadata({ topics: ['admin-x'] });
    expect(meta.topics[0]?.partitions).toHaveLength(4);
    expect(await admin.listTopics()).toContain('admin-x');
    await admin.deleteTopics({ topics: ['admin-x'] });
    expect(await admin.listTopics()).not.toContain('admin-x');
    await admin.disconnect();
  });
});
