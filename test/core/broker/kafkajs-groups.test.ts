import type { Broker } from '@hexcast/core';
import type { Consumer, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaFor, startBroker, tempDir } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait-for.js';

type Assignment = Record<string, number[]>;

function trackAssignments(consumer: Consumer): { latest: () => Assignment | undefined; joins: number } {
  const state = { current: undefined as Assignment | undefined, joins: 0 };
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    state.current = event.payload.memberAssignment;
    state.joins++;
  });
  return {
    latest: () => state.current,
    get joins() {
      return state.joins;
    },
  };
}

const count = (a: Assignment | undefined, topic: string) => a?.[topic]?.length ?? 0;

describe('consumer groups (kafkajs)', () => {
  let broker: Broker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker();
    kafka = kafkaFor(broker);
  });
  afterAll(async () => {
    await broker.close();
  });

  it('rebalances 4 partitions 4 → 2+2 → 4 as a second member joins and then leaves', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'rebalance', numPartitions: 4 }] });

    const options = {
      groupId: 'g-rebalance',
      sessionTimeout: 6000,
      heartbeatInterval: 100,
      maxWaitTimeInMs: 100,
    };
    const a = kafka.consumer(options);
    const b = kafka.consumer(options);
    const aState = trackAssignments(a);
    const bState = trackAssignments(b);
    const consumed = new Map<string, string>();
    const run = (c: Consumer, name: string) =>
      c.run({
        eachMessage: async ({ partition, message }) => {
          consumed.set(`${partition}:${message.offset}`, name);
        },
      });

    await a.connect();
    await a.subscribe({ topic: 'rebalance', fromBeginning: true });
    await run(a, 'a');
    await waitFor(() => count(aState.latest(), 'rebalance') === 4, { message: 'a owns all 4' });
    const gen1 = await admin.describeGroups(['g-rebalance']);
    expect(gen1.groups[0]?.state).toBe('Stable');
    expect(gen1.groups[0]?.members).toHaveLength(1);

    await b.connect();
    await b.subscribe({ topic: 'rebalance', fromBeginning: true });
    await run(b, 'b');
    await waitFor(
      () => count(aState.latest(), 'rebalance') === 2 && count(bState.latest(), 'rebalance') === 2,
      {
        message: '2 + 2',
        timeoutMs: 20_000,
      },
    );
    const owned = [...(aState.latest()?.rebalance ?? []), ...(bState.latest()?.rebalance ?? [])].sort();
    expect(owned).toEqual([0, 1, 2, 3]);
    await waitFor(async () => (await admin.describeGroups(['g-rebalance'])).groups[0]?.members.length === 2);

    // Messages produced now are consumed exactly once across the two members.
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < 4; p++) {
      await producer.send({ topic: 'rebalance', messages: [{ partition: p, value: `p${p}` }] });
    }
    await waitFor(() => consumed.size === 4, { message: 'four messages consumed' });
    expect(new Set(consumed.values())).toEqual(new Set(['a', 'b']));

    const joinsBefore = aState.joins;
    await b.disconnect(); // LeaveGroup
    await waitFor(() => aState.joins > joinsBefore && count(aState.latest(), 'rebalance') === 4, {
      message: 'a owns all 4 again',
      timeoutMs: 20_000,
    });
    await producer.send({ topic: 'rebalance', messages: [{ partition: 3, value: 'after' }] });
    await waitFor(() => consumed.size === 5);
    expect(consumed.get('3:1')).toBe('a');

    await producer.disconnect();
    await a.disconnect();
    const empty = await admin.describeGroups(['g-rebalance']);
    expect(empty.groups[0]?.state).toBe('Empty');
    await admin.disconnect();
  });

  it('resumes at the committed offset after the consumer restarts: no duplicates, nothing missed', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'resume',
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
    });

    const seen: string[] = [];
    const first = kafka.consumer({ groupId: 'g-resume', maxWaitTimeInMs: 100 });
    await first.connect();
    await first.subscribe({ topic: 'resume', fromBeginning: true });
    await first.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor(() => seen.length === 10);
    await first.disconnect(); // commits on stop

    await producer.send({
      topic: 'resume',
      messages: Array.from({ length: 5 }, (_, i) => ({ value: `w${i}` })),
    });
    const second = kafka.consumer({ groupId: 'g-resume', maxWaitTimeInMs: 100 });
    await second.connect();
    await second.subscribe({ topic: 'resume', fromBeginning: true });
    await second.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor(() => seen.length >= 15);
    await second.disconnect();
    await producer.disconnect();
    expect(seen).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `v${i}`),
      ...Array.from({ length: 5 }, (_, i) => `w${i}`),
    ]);
  });

  it('resets an empty group with admin.setOffsets and reports group state strings', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({
      groupId: 'g-resume',
      topic: 'resume',
      partitions: [{ partition: 0, offset: '12' }],
    });
    const [offsets] = await admin.fetchOffsets({ groupId: 'g-resume', topics: ['resume'] });
    expect(offsets?.partitions[0]?.offset).toBe('12');
    const unknown = await admin.describeGroups(['never-seen']);
    expect(unknown.groups[0]?.state).toBe('Dead');
    const { groups } = await admin.listGroups();
    expect(groups.map((g) => g.groupId)).toContain('g-resume');
    await admin.disconnect();
  });
});

describe('broker restart', () => {
  it('keeps data, topics and committed offsets across a restart', async () => {
    const data = tempDir();
    let broker = await startBroker({ dataDir: data.dir, flush: 'interval' });
    let kafka = kafkaFor(broker);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'durable',
      messages: Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    await producer.disconnect();
    const seen: string[] = [];
    const c1 = kafka.consumer({ groupId: 'g-durable', maxWaitTimeInMs: 100 });
    await c1.connect();
    await c1.subscribe({ topic: 'durable', fromBeginning: true });
    await c1.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor(() => seen.length === 6);
    await c1.disconnect();
    await broker.close();

    broker = await startBroker({ dataDir: data.dir, flush: 'interval' });
    kafka = kafkaFor(broker);
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).toContain('durable');
    const [committed] = await admin.fetchOffsets({ groupId: 'g-durable', topics: ['durable'] });
    expect(committed?.partitions[0]?.offset).toBe('6');
    await admin.disconnect();
    const p2 = kafka.producer();
    await p2.connect();
    const [sent] = await p2.send({ topic: 'durable', messages: [{ value: 'after-restart' }] });
    expect(sent?.baseOffset).toBe('6');
    await p2.disconnect();
    const c2 = kafka.consumer({ groupId: 'g-durable', maxWaitTimeInMs: 100 });
    await c2.connect();
    await c2.subscribe({ topic: 'durable', fromBeginning: true });
    await c2.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor(() => seen.length === 7);
    await c2.disconnect();
    expect(seen.at(-1)).toBe('after-restart');
    expect(seen.filter((v) => v === 'v0')).toHaveLength(1);
    await broker.close();
    data.remove();
  });
});
