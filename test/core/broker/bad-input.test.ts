import type { Broker } from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaFor, startBroker } from '../../helpers/broker.js';
import { frame, RawKafkaClient } from '../../helpers/raw-kafka.js';

describe('broker under bad input', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ maxFrameBytes: 64 * 1024, autoCreateTopics: false });
  });
  afterAll(async () => {
    await broker.close();
  });

  async function stillServes(): Promise<void> {
    const client = await RawKafkaClient.connect(broker.port);
    const res = await client.request(18, 2, 7, Buffer.alloc(0));
    expect(res.readInt32BE(0)).toBe(7);
    expect(res.readInt16BE(4)).toBe(0);
    client.close();
  }

  it('answers ApiVersions v0–v3, and a too-new version with error 35 and its own range', async () => {
    const client = await RawKafkaClient.connect(broker.port);
    const v0 = await client.request(18, 0, 1, Buffer.alloc(0));
    expect(v0.readInt16BE(4)).toBe(0);
    const count = v0.readInt32BE(6);
    const apis = Array.from({ length: count }, (_, i) => ({
      key: v0.readInt16BE(10 + i * 6),
      min: v0.readInt16BE(12 + i * 6),
      max: v0.readInt16BE(14 + i * 6),
    }));
    expect(apis.every((a) => a.min === 0)).toBe(true);
    expect(apis.find((a) => a.key === 0)?.max).toBe(10);
    expect(apis.find((a) => a.key === 1)?.max).toBe(16);
    const tooNew = await client.request(18, 9, 2, Buffer.alloc(0));
    expect(tooNew.readInt16BE(4)).toBe(35);
    expect([
      tooNew.readInt32BE(6),
      tooNew.readInt16BE(10),
      tooNew.readInt16BE(12),
      tooNew.readInt16BE(14),
    ]).toEqual([1, 18, 0, 3]);
    client.close();
  });

  it.each([
    ['an oversize frame', Buffer.from([0x40, 0, 0, 0, 0, 0])], // declares 1 GiB; nothing is allocated for it
    ['a frame shorter than a header', frame(Buffer.from([0, 18, 0]))],
    ['an unknown API key', frame(Buffer.from([0x7f, 0x7f, 0, 0, 0, 0, 0, 1, 0xff, 0xff]))],
    ['an unsupported Produce version', frame(Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff]))],
    ['a truncated Metadata body', frame(Buffer.from([0, 3, 0, 6, 0, 0, 0, 1, 0xff, 0xff, 0, 0]))],
    [
      'an absurd array length',
      frame(Buffer.from([0, 3, 0, 6, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 1])),
    ],
    [
      'a negative string length',
      frame(Buffer.from([0, 19, 0, 3, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 1, 0x80, 0x00])),
    ],
  ])('closes the connection on %s and keeps serving others', async (_name, bytes) => {
    const client = await RawKafkaClient.connect(broker.port);
    client.write(bytes as Buffer);
    await client.closed;
    await stillServes();
  });

  it('rejects a produced batch with a wrong CRC (CORRUPT_MESSAGE) without closing', async () => {
    const { encodeBatch } = await import('@hexcast/core');
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'crc', numPartitions: 1 }] });
    await admin.disconnect();
    const batch = encodeBatch({
      baseOffset: 0,
      records: [{ timestamp: 1, key: null, value: Buffer.from('x'), headers: [] }],
    });
    batch[batch.length - 1]! ^= 0xff;
    const topic = Buffer.from('crc');
    const body = Buffer.concat([
      Buffer.from([0xff, 0xff]), // transactional_id null
      Buffer.from([0xff, 0xff]), // acks -1
      Buffer.from([0, 0, 0x75, 0x30]), // timeout
      Buffer.from([0, 0, 0, 1, 0, topic.length]),
      topic,
      Buffer.from([0, 0, 0, 1, 0, 0, 0, 0]), // one partition: 0
      Buffer.from([
        (batch.length >>> 24) & 0xff,
        (batch.length >>> 16) & 0xff,
        (batch.length >>> 8) & 0xff,
        batch.length & 0xff,
      ]),
      batch,
    ]);
    const client = await RawKafkaClient.connect(broker.port);
    const res = await client.request(0, 7, 11, body);
    // correlation(4) topics(4) name(2+3) partitions(4) index(4) error(2)
    expect(res.readInt16BE(4 + 4 + 2 + 3 + 4 + 4)).toBe(2);
    expect(broker.topics.get('crc')!.partitions[0]!.highWatermark).toBe(0);
    client.close();
  });

  it('does not auto-create when disabled, and answers out-of-range fetches so clients reset', async () => {
    const kafka = kafkaFor(broker, { retry: { retries: 1, initialRetryTime: 10 } });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await expect(producer.send({ topic: 'does-not-exist', messages: [{ value: 'x' }] })).rejects.toThrow();
    await producer.disconnect();
    expect(broker.topics.get('does-not-exist')).toBeUndefined();

    const { KafkaError } = await import('@hexcast/core');
    const log = broker.topics.get('crc')!.partitions[0]!;
    const topic = Buffer.from('crc');
    const fetchBody = Buffer.concat([
      Buffer.from([0xff, 0xff, 0xff, 0xff]), // replica -1
      Buffer.from([0, 0, 0, 0]), // max_wait 0
      Buffer.from([0, 0, 0, 1]), // min_bytes
      Buffer.from([0, 0x10, 0, 0]), // max_bytes
      Buffer.from([1]), // isolation
      Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), // session id, epoch
      Buffer.from([0, 0, 0, 1, 0, topic.length]),
      topic,
      Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), // partition 0, leader epoch
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 99]), // fetch offset 99 > HWM
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from([0, 0x10, 0, 0]),
      Buffer.from([0, 0, 0, 0]), // forgotten topics
      Buffer.from([0, 0]), // rack
    ]);
    const client = await RawKafkaClient.connect(broker.port);
    const res = await client.request(1, 11, 12, fetchBody);
    // corr(4) throttle(4) error(2) session(4) topics(4) name(2+3) partitions(4) index(4) error(2)
    expect(res.readInt16BE(4 + 4 + 2 + 4 + 4 + 5 + 4 + 4)).toBe(KafkaError.OFFSET_OUT_OF_RANGE);
    expect(log.highWatermark).toBe(0);
    client.close();
  });
});
