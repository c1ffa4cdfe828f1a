import type { Broker } from '@hexcast/core';
import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../helpers/broker.js';

/**
 * @platformatic/kafka (pure TypeScript, maintained) speaks only the flexible versions (KIP-482) of
 * most APIs: Metadata v9+, Fetch v12+, JoinGroup v6+, OffsetFetch v8 (several groups at once),
 * FindCoordinator v4 (several keys), CreateTopics v7, InitProducerId v3+. It is the newest-version
 * client of these tests, kafkajs the oldest, kcat (librdkafka) in between.
 */
describe('@platformatic/kafka 1.35 against the embedded broker (flexible versions)', () => {
  let broker: Broker;
  const clientOptions = () => ({ clientId: 'plat-test', bootstrapBrokers: [broker.bootstrap] });

  beforeAll(async () => {
    broker = await startBroker({ defaultPartitions: 3, autoCreateTopics: false });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('administers topics: create (v7), list (Metadata v12), delete (v6), groups', async () => {
    const admin = new Admin(clientOptions());
    try {
      const created = await admin.createTopics({
        topics: ['plat-admin', 'plat-gone'],
        partitions: 4,
        replicas: 1,
      });
      expect(created.map((t) => [t.name, t.partitions])).toEqual([
        ['plat-admin', 4],
        ['plat-gone', 4],
      ]);
      await expect(
        admin.createTopics({ topics: ['plat-admin'], partitions: 1, replicas: 1 }),
      ).rejects.toThrow();
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(['plat-admin', 'plat-gone']));
      await admin.deleteTopics({ topics: ['plat-gone'] });
      expect(broker.topics.get('plat-gone')).toBeUndefined();
      expect(broker.topics.get('plat-admin')!.partitions).toHaveLength(4);
    } finally {
      await admin.close();
    }
  });

  it('produces idempotently, consumes in a group with commits, and resumes from the committed offsets', async () => {
    const admin = new Admin(clientOptions());
    await admin.createTopics({ topics: ['plat-flow'], partitions: 3, replicas: 1 });
    await admin.close();

    const producer = new Producer({ ...clientOptions(), serializers: stringSerializers, idempotent: true });
    const sent = Array.from({ length: 60 }, (_, i) => ({
      topic: 'plat-flow',
      key: `k${i % 9}`,
      value: `v${i}`,
    }));
    await producer.send({ messages: sent.slice(0, 40) });

    const consumer = new Consumer({
      ...clientOptions(),
      groupId: 'plat-group',
      deserializers: stringDeserializers,
      maxWaitTime: 100,
      autocommit: false,
    });
    const seen: string[] = [];
    const stream = await consumer.consume({ topics: ['plat-flow'], mode: MessagesStreamModes.EARLIEST });
    for await (const message of stream) {
      seen.push(message.value);
      await message.commit();
      if (seen.length === 40) break;
    }
    await stream.close();
    await consumer.close();
    expect(new Set(seen)).toEqual(new Set(sent.slice(0, 40).map((m) => m.value)));
    // Per-key order within a partition.
    const byKey = new Map<string, number[]>();
    for (const v of seen) {
      const i = Number(v.slice(1));
      byKey.set(`k${i % 9}`, [...(byKey.get(`k${i % 9}`) ?? []), i]);
    }
    for (const order of byKey.values()) expect(order).toEqual([...order].sort((a, b) => a - b));

    await producer.send({ messages: sent.slice(40) });
    await producer.close();
    const again = new Consumer({
      ...clientOptions(),
      groupId: 'plat-group',
      deserializers: stringDeserializers,
      maxWaitTime: 100,
    });
    const rest: string[] = [];
    const resumed = await again.consume({ topics: ['plat-flow'], mode: MessagesStreamModes.COMMITTED });
    for await (const message of resumed) {
      rest.push(message.value);
      if (rest.length === 20) break;
    }
    await resumed.close();
    await again.close();
    expect(new Set(rest)).toEqual(new Set(sent.slice(40).map((m) => m.value)));
  });
});
