import {
  type Broker,
  ensureTopics,
  HexcastError,
  parseReplayFrom,
  replayGroup,
  TOPICS,
  topicCatalogue,
} from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaFor, startBroker } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('topic catalogue on the bus', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker.close();
  });

  it('creates the whole catalogue once, compacted where it should be, and verifies it after', async () => {
    const kafka = kafkaFor(broker);
    const catalogue = topicCatalogue(['eu']);
    const first = await ensureTopics(kafka, catalogue);
    expect(first.created).toHaveLength(catalogue.length);
    const second = await ensureTopics(kafka, catalogue);
    expect(second.created).toEqual([]);
    expect(broker.topics.get(TOPICS.locations.name)?.partitions).toHaveLength(TOPICS.locations.partitions);
    expect(broker.topics.get(TOPICS.campaigns.name)?.config.compacted).toBe(true);
    expect(broker.topics.get(TOPICS.offers.name)?.config.compacted).toBe(false);
    expect(broker.topics.get('hx.deliveries.eu')).toBeDefined();
  });

  it('fails with HX_BUS_TOPIC_MISMATCH when a topic has fewer partitions than the catalogue', async () => {
    const kafka = kafkaFor(broker);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'hx.deliveries.small', numPartitions: 1 }] });
    await admin.disconnect();
    const error = await ensureTopics(kafka, topicCatalogue(['small'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HexcastError);
    expect((error as HexcastError).code).toBe('HX_BUS_TOPIC_MISMATCH');
  });
});

describe('replay', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker.close();
  });

  it('parses --from', () => {
    expect(parseReplayFrom('42')).toEqual({ offset: '42' });
    expect(parseReplayFrom('2026-11-26T10:00:00Z')).toEqual({
      timestamp: Date.parse('2026-11-26T10:00:00Z'),
    });
    expect(parseReplayFrom('earliest')).toEqual({ earliest: true });
    expect(() => parseReplayFrom('yesterday')).toThrow(HexcastError);
  });

  it('rewinds an empty group to an offset or a time, and refuses while the group is active', async () => {
    const kafka = kafkaFor(broker);
    const producer = kafka.producer();
    await producer.connect();
    const base = Date.now() - 60_000;
    await producer.send({
      topic: 'replay-t',
      messages: Array.from({ length: 8 }, (_, i) => ({ value: `m${i}`, timestamp: String(base + i * 1000) })),
    });
    await producer.disconnect();

    const consumeAll = async (expected: number) => {
      const seen: string[] = [];
      const consumer = kafka.consumer({ groupId: 'g-replay', maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: 'replay-t', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
      await waitFor(() => seen.length >= expected);
      return { seen, consumer };
    };
    const run1 = await consumeAll(8);
    const busy = await replayGroup(kafka, 'g-replay', 'replay-t', { offset: '0' }).catch((e: unknown) => e);
    expect((busy as HexcastError).code).toBe('HX_BUS_GROUP_NOT_EMPTY');
    await run1.consumer.disconnect();

    await replayGroup(kafka, 'g-replay', 'replay-t', { offset: '5' });
    const run2 = await consumeAll(3);
    await run2.consumer.disconnect();
    expect(run2.seen).toEqual(['m5', 'm6', 'm7']);

    await replayGroup(kafka, 'g-replay', 'replay-t', { timestamp: base + 2500 });
    const run3 = await consumeAll(5);
    await run3.consumer.disconnect();
    expect(run3.seen).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
  });
});
