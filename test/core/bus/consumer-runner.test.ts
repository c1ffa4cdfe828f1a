import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type Broker,
  createEventRegistry,
  DeadLetter,
  DeviceClick,
  type Envelope,
  HexcastError,
  inKeyOrder,
  PartitionLog,
  TOPICS,
} from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { type BusFixture, busFor, metricValue } from '../../helpers/bus.js';
import { waitFor } from '../../helpers/wait-for.js';

const source = { kind: 'test', id: 'runner-test' };

function click(registry: BusFixture['registry'], deviceId: string, n: number, extra: Partial<Envelope> = {}) {
  return {
    ...registry.create(DeviceClick, {
      key: deviceId,
      source,
      data: { deviceId, sessionId: 's', productId: `p${n}`, action: 'view' },
    }),
    ...extra,
  };
}

async function readDlq(bus: BusFixture, groupId: string, count: number) {
  const letters: Envelope[] = [];
  const consumer = bus.kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.dlq.name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => void letters.push(bus.registry.decode(message.value)),
  });
  await waitFor(() => letters.length >= count, { message: `${count} dead letters` });
  await consumer.disconnect();
  return letters;
}

// Every behaviour holds for both ways a runner consumes: kafkajs over TCP (a worker of its own,
// KAFKA_BROKERS) and in the broker's process (`hexcast dev`).
describe.each(['kafkajs', 'in-process'] as const)('consumer runner (%s)', (mode) => {
  let broker: Broker;
  let bus: BusFixture;
  beforeAll(async () => {
    broker = await startBroker({ defaultPartitions: 2 });
    bus = await busFor(broker, mode);
  });
  afterAll(async () => {
    await bus.close();
    await broker.close();
  });
  const deadLettered = (stage: string, code: string) =>
    metricValue(bus.metrics, 'hexcast_bus_dead_lettered_total', { stage, code });

  it('keeps per-key order under concurrency, dead-letters invalid records with a code, drops expired ones', async () => {
    const topic = 'runner-main';
    const seen = new Map<string, number[]>();
    const runner = bus.runner({
      groupId: 'g-runner-main',
      topics: [topic],
      stage: 'main',
      concurrency: 8,
      handler: async (env) => {
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        const data = env.data as { deviceId: string; productId: string };
        seen.set(data.deviceId, [...(seen.get(data.deviceId) ?? []), Number(data.productId.slice(1))]);
      },
    });
    await runner.start();
    const sends: Promise<void>[] = [];
    for (let n = 0; n < 20; n++)
      for (const d of ['d1', 'd2', 'd3', 'd4'])
        sends.push(bus.producer.send(topic, click(bus.registry, d, n)));
    await Promise.all(sends);
    const expired = click(bus.registry, 'd-old', 0, {
      ts: Date.now() - 10_000,
      expiresAt: Date.now() - 5_000,
    });
    await bus.producer.send(topic, expired);
    // Raw producer for records the typed producer would refuse to send.
    const raw = bus.kafka.producer();
    await raw.connect();
    await raw.send({
      topic,
      messages: [
        { key: 'bad-1', value: 'not json' },
        { key: 'bad-2', value: JSON.stringify({ v: 1, id: 'x' }) },
      ],
    });
    await raw.disconnect();

    await waitFor(() => [...seen.values()].reduce((n, l) => n + l.length, 0) === 80, {
      message: '80 handled',
    });
    for (const d of ['d1', 'd2', 'd3', 'd4'])
      expect(seen.get(d)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(seen.has('d-old')).toBe(false);
    await waitFor(
      async () => (await metricValue(bus.metrics, 'hexcast_stale_dropped_total', { stage: 'main' })) === 1,
    );
    const letters = await readDlq(bus, 'g-dlq-reader-1', 2);
    const codes = letters.map((l) => (l.data as { code: string }).code).sort();
    expect(codes).toEqual(['HX_ENVELOPE_INVALID', 'HX_ENVELOPE_MALFORMED']);
    expect(letters.every((l) => l.type === DeadLetter.type)).toBe(true);
    const malformed = letters.find((l) => (l.data as { code: string }).code === 'HX_ENVELOPE_MALFORMED')!;
    expect(Buffer.from((malformed.data as { raw: string }).raw, 'base64').toString()).toBe('not json');
    await runner.close();
  });

  it('retries a failing handler, then dead-letters; non-retriable errors go straight to the DLQ', async () => {
    const topic = 'runner-fail';
    const attempts = new Map<string, number>();
    const runner = bus.runner({
      groupId: 'g-runner-fail',
      topics: [topic],
      stage: 'fail',
      handler: async (env) => {
        attempts.set(env.id, (attempts.get(env.id) ?? 0) + 1);
        const product = (env.data as { productId: string }).productId;
        if (product === 'p1') throw new Error('downstream down');
        if (product === 'p2') throw new HexcastError('HX_ENVELOPE_DATA_INVALID', 'business rule says no');
      },
    });
    await runner.start();
    const flaky = click(bus.registry, 'f', 1);
    const fatal = click(bus.registry, 'f', 2);
    const fine = click(bus.registry, 'f', 3);
    await Promise.all([flaky, fatal, fine].map((e) => bus.producer.send(topic, e)));
    await waitFor(() => attempts.get(fine.id) === 1);
    expect(attempts.get(flaky.id)).toBe(3); // 1 + 2 retries
    expect(attempts.get(fatal.id)).toBe(1);
    await waitFor(
      async () =>
        (await metricValue(bus.metrics, 'hexcast_bus_dead_lettered_total', { stage: 'fail' })) === 2,
    );
    expect(
      await metricValue(bus.metrics, 'hexcast_bus_dead_lettered_total', {
        stage: 'fail',
        code: 'HX_BUS_HANDLER_FAILED',
      }),
    ).toBe(1);
    await runner.close();
  });

  it('commits only after the effect: a worker killed mid-effect loses nothing, its successor re-delivers the record', async () => {
    const topic = 'runner-commit';
    const groupId = 'g-commit';
    const envelopes = Array.from({ length: 30 }, (_, n) => click(bus.registry, `c${n % 5}`, n));
    await Promise.all(envelopes.map((e) => bus.producer.send(topic, e)));
    const victim = envelopes[12]!;
    const child = fork(
      fileURLToPath(new URL('../../helpers/crashing-consumer.ts', import.meta.url)),
      [broker.bootstrap, topic, groupId, victim.id],
      { execArgv: ['--conditions=source', '--import', 'tsx'], stdio: 'ignore' },
    );
    const started = new Set<string>();
    child.on('message', (m: { started?: string }) => {
      if (m.started !== undefined) started.add(m.started);
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // The victim's effect has begun (and will never finish): the worker dies there, without closing.
    await waitFor(() => started.has(victim.id), { message: 'the victim record reached the handler' });
    child.kill('SIGKILL');
    await exited;

    const effects: string[] = [];
    const successor = bus.runner({
      groupId,
      topics: [topic],
      stage: 'commit',
      handler: async (env) => void effects.push(env.id),
    });
    await successor.start();
    // At least once: whatever the dead worker committed is past its effect; the victim comes again.
    await waitFor(() => effects.includes(victim.id), { message: 'the victim was re-delivered' });
    await waitFor(() => envelopes.every((e) => effects.includes(e.id) || wasCommittedBefore(e.id)));
    await successor.close();
    expect(effects).toContain(victim.id);

    function wasCommittedBefore(id: string): boolean {
      return started.has(id) && !effects.includes(id) && id !== victim.id;
    }
  }, 60_000);

  it('pauses and resumes fetching', async () => {
    const topic = 'runner-pause';
    const handled: string[] = [];
    const runner = bus.runner({
      groupId: 'g-pause',
      topics: [topic],
      stage: 'pause',
      handler: async (e) => void handled.push(e.id),
    });
    await runner.start();
    const a = click(bus.registry, 'p', 1);
    await bus.producer.send(topic, a);
    await waitFor(() => handled.length === 1);
    runner.pause();
    expect(runner.paused).toBe(true);
    const b = click(bus.registry, 'p', 2);
    await bus.producer.send(topic, b);
    // The record is in the log and the member stays alive (heartbeats) for a while, yet nothing is handled.
    await waitFor(() => broker.topics.get(topic)!.partitions.reduce((n, p) => n + p.highWatermark, 0) === 2);
    const before = await bus.heartbeats();
    await waitFor(async () => (await bus.heartbeats()) >= before + 3, { message: 'heartbeats while paused' });
    expect(handled).toEqual([a.id]);
    runner.resume();
    await waitFor(() => handled.length === 2);
    await runner.close();
  });

  it('commits settled offsets together, at most once an interval, and what is settled when it closes', async () => {
    const topic = 'runner-commit-interval';
    const groupId = 'g-commit-interval';
    const handled: string[] = [];
    let calls = 0;
    const runner = bus.runner({
      groupId,
      topics: [topic],
      stage: 'commit-interval',
      handler: async () => {},
      batchHandler: async (records) => {
        calls++;
        for (const r of records) handled.push(r.envelope.id);
      },
      // Longer than the test: only the first settled batch and the close may commit.
      commitIntervalMs: 600_000,
    });
    await runner.start();
    const commits = () => bus.commits();
    const before = await commits();
    // One record at a time, each handled before the next is sent: one batch (and, with kafkajs'
    // auto-commit, one OffsetCommit) per record.
    const sent: string[] = [];
    for (let n = 0; n < 6; n++) {
      const e = click(bus.registry, `ci${n}`, n);
      sent.push(e.id);
      await bus.producer.send(topic, e);
      await waitFor(() => handled.includes(e.id), { message: `record ${n} handled` });
    }
    expect(calls).toBeGreaterThanOrEqual(6);
    expect((await commits()) - before).toBeLessThanOrEqual(1);

    await runner.close();
    // Closing committed every settled record: the group's offsets are the partitions' ends.
    const admin = bus.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const ends = broker.topics.get(topic)!.partitions.map((p) => p.highWatermark);
      expect(committed!.partitions.map((p) => Number(p.offset)).sort((a, b) => a - b)).toEqual(
        ends.map((end) => (end === 0 ? -1 : end)).sort((a, b) => a - b),
      );
    } finally {
      await admin.disconnect();
    }
    expect(handled).toEqual(sent);
  });

  it('commits, without closing, a record settled while a commit was in flight once the stream is quiet', async () => {
    const topic = 'runner-commit-quiet';
    const groupId = 'g-commit-quiet';
    // The runner's first offset commit is held until the test lets it go.
    const { kafka, started, release } = bus.holdingFirstCommit();
    const handled: string[] = [];
    const runner = bus.runner({
      kafka,
      groupId,
      topics: [topic],
      stage: 'commit-quiet',
      handler: async () => {},
      batchHandler: async (records) => {
        for (const r of records) handled.push(r.envelope.id);
      },
      commitIntervalMs: 1,
    });
    await runner.start();
    const a = click(bus.registry, 'cq', 1);
    await bus.producer.send(topic, a);
    await started; // a's commit is in flight
    const b = click(bus.registry, 'cq', 2);
    await bus.producer.send(topic, b);
    await waitFor(() => handled.includes(b.id), { message: 'b handled while a commit is in flight' });
    release();
    // Nothing more arrives: b's offset must still be committed.
    const admin = bus.kafka.admin();
    await admin.connect();
    try {
      const partition = broker.topics.get(topic)!.partitions.findIndex((p) => p.highWatermark === 2);
      expect(partition).toBeGreaterThanOrEqual(0);
      await waitFor(
        async () => {
          const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return committed!.partitions.find((p) => p.partition === partition)?.offset === '2';
        },
        { message: "b's offset committed" },
      );
    } finally {
      await admin.disconnect();
      await runner.close();
    }
  });

  it('batch mode: a fetched batch reaches the batch handler at once, in offset order per key; invalid and expired records never do', async () => {
    const topic = 'runner-batch';
    const seen = new Map<string, number[]>();
    const sizes: number[] = [];
    const runner = bus.runner({
      groupId: 'g-runner-batch',
      topics: [topic],
      stage: 'batch',
      maxBatch: 16,
      handler: async () => {
        throw new Error('the record handler runs only when a batch fails');
      },
      batchHandler: async (records) => {
        sizes.push(records.length);
        for (const { envelope } of records) {
          const data = envelope.data as { deviceId: string; productId: string };
          seen.set(data.deviceId, [...(seen.get(data.deviceId) ?? []), Number(data.productId.slice(1))]);
        }
      },
    });
    // Produced before the runner starts: its first fetches hold many records each.
    const sends: Promise<void>[] = [];
    for (let n = 0; n < 40; n++)
      for (const d of ['b1', 'b2', 'b3']) sends.push(bus.producer.send(topic, click(bus.registry, d, n)));
    sends.push(
      bus.producer.send(
        topic,
        click(bus.registry, 'b-old', 0, { ts: Date.now() - 10_000, expiresAt: Date.now() - 5_000 }),
      ),
    );
    await Promise.all(sends);
    const raw = bus.kafka.producer();
    await raw.connect();
    await raw.send({ topic, messages: [{ key: 'b1', value: 'not json' }] });
    await raw.disconnect();
    await runner.start();

    await waitFor(() => [...seen.values()].reduce((n, l) => n + l.length, 0) === 120, {
      message: '120 handled',
    });
    for (const d of ['b1', 'b2', 'b3']) expect(seen.get(d)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(seen.has('b-old')).toBe(false);
    expect(Math.max(...sizes)).toBe(16);
    expect(sizes.length).toBeLessThan(120);
    await waitFor(
      async () => (await metricValue(bus.metrics, 'hexcast_stale_dropped_total', { stage: 'batch' })) === 1,
    );
    await waitFor(async () => (await deadLettered('batch', 'HX_ENVELOPE_MALFORMED')) === 1);
    expect(await metricValue(bus.metrics, 'hexcast_bus_batch_fallbacks_total', { stage: 'batch' })).toBe(0);
    await runner.close();
  });

  it('minBytes: records appended while a fetch waits reach the handler together, and the log is not read once per append', async () => {
    const topic = 'runner-min-bytes';
    // One record's batch, as the bus producer writes it (same lengths: only the ids differ).
    await bus.producer.send('runner-min-bytes-probe', click(bus.registry, 'm', 0));
    const batchBytes = broker.topics
      .get('runner-min-bytes-probe')!
      .partitions.reduce((n, l) => n + l.sizeBytes, 0);
    broker.createTopic(topic, { partitions: 1 });
    const batches: number[][] = [];
    const runner = bus.runner({
      groupId: 'g-runner-min-bytes',
      topics: [topic],
      stage: 'min-bytes',
      fromBeginning: true,
      minBytes: 6 * batchBytes - 1,
      // Long enough for the six appends; closing (kafkajs) waits out the next fetch's wait.
      maxWaitTimeMs: 5_000,
      handler: async () => {
        throw new Error('the record handler runs only when a batch fails');
      },
      batchHandler: async (records) => {
        batches.push(
          records.map(({ envelope }) => Number((envelope.data as { productId: string }).productId.slice(1))),
        );
      },
    });
    await runner.start();
    const parked = () => metricValue(broker.metrics, 'hexcast_broker_fetches_waiting');
    const reads = vi.spyOn(PartitionLog.prototype, 'read');
    try {
      for (let n = 0; n < 6; n++) {
        await waitFor(async () => (await parked()) >= 1, { message: `a parked fetch before append ${n}` });
        await bus.producer.send(topic, click(bus.registry, 'm', n));
      }
      await waitFor(() => batches.flat().length === 6, { message: 'six records handled' });
      expect(batches).toEqual([[0, 1, 2, 3, 4, 5]]);
      // Once for the answer (and once more if the fetch began after the first append): a read per
      // append below minBytes was the cost the index check removes.
      expect(
        (reads.mock.contexts as PartitionLog[]).filter((log) => log.topic === topic).length,
      ).toBeLessThanOrEqual(2);
    } finally {
      reads.mockRestore();
      await runner.close();
    }
  });

  it('batch mode: a batch that keeps failing is handled record by record, and only its bad record is dead-lettered', async () => {
    const topic = 'runner-batch-poison';
    const handled: string[] = [];
    let batchCalls = 0;
    const poison = click(bus.registry, 'q', 7);
    const check = (env: Envelope) => {
      if (env.id === poison.id) throw new HexcastError('HX_ENVELOPE_DATA_INVALID', 'business rule says no');
    };
    const runner = bus.runner({
      groupId: 'g-runner-batch-poison',
      topics: [topic],
      stage: 'poison',
      retry: { retries: 1, initialMs: 1 },
      handler: async (env) => {
        check(env);
        handled.push(env.id);
      },
      batchHandler: async (records) => {
        batchCalls++;
        for (const { envelope } of records) check(envelope);
        for (const { envelope } of records) handled.push(envelope.id);
      },
    });
    const envelopes = Array.from({ length: 12 }, (_, n) => (n === 7 ? poison : click(bus.registry, 'q', n)));
    for (const e of envelopes) await bus.producer.send(topic, e);
    await runner.start();
    await waitFor(async () => (await deadLettered('poison', 'HX_ENVELOPE_DATA_INVALID')) === 1, {
      message: 'the poison record dead-lettered',
    });
    await waitFor(() => envelopes.every((e) => e === poison || handled.includes(e.id)), {
      message: '11 handled',
    });
    expect(handled).not.toContain(poison.id);
    expect(batchCalls).toBeGreaterThan(0);
    expect(
      await metricValue(bus.metrics, 'hexcast_bus_batch_fallbacks_total', { stage: 'poison' }),
    ).toBeGreaterThan(0);
    await runner.close();
  });

  it('refuses to send an invalid envelope', async () => {
    const bad = { ...click(createEventRegistry(), 'x', 1), ts: -5 };
    expect(() => bus.producer.send('runner-main', bad)).toThrow(HexcastError);
  });
});

describe('one group, in-process and kafkajs members together', () => {
  let broker: Broker;
  let wire: BusFixture;
  let inProcess: BusFixture;
  beforeAll(async () => {
    broker = await startBroker({ defaultPartitions: 4 });
    wire = await busFor(broker, 'kafkajs');
    inProcess = await busFor(broker, 'in-process');
  });
  afterAll(async () => {
    await Promise.all([wire.close(), inProcess.close()]);
    await broker.close();
  });

  // Either member may lead the group and assign: each must read the other's encoding.
  it.each([
    ['the in-process member leads', ['in-process', 'kafkajs']],
    ['the kafkajs member leads', ['kafkajs', 'in-process']],
  ] as const)(
    'share the partitions and hand them over when one leaves (%s)',
    async (_, order) => {
      const topic = `runner-mixed-${order[0]}`;
      const groupId = `g-mixed-${order[0]}`;
      const byMember = { kafkajs: new Set<number>(), 'in-process': new Set<number>() };
      const handled = new Set<string>();
      const start = async (mode: 'kafkajs' | 'in-process') => {
        const fixture = mode === 'kafkajs' ? wire : inProcess;
        const runner = fixture.runner({
          groupId,
          topics: [topic],
          stage: `mixed-${mode}`,
          handler: async (env, context) => {
            byMember[mode].add(context.partition);
            handled.add(env.id);
          },
        });
        await runner.start();
        return runner;
      };
      const first = await start(order[0]);
      const second = await start(order[1]);
      const sent: string[] = [];
      // Keys over all four partitions, until each member has handled records of a partition of its own.
      for (let n = 0; byMember.kafkajs.size === 0 || byMember['in-process'].size === 0; n++) {
        const e = click(inProcess.registry, `m${n % 16}`, n);
        sent.push(e.id);
        await inProcess.producer.send(topic, e);
        await waitFor(() => handled.has(e.id), { message: `record ${n} handled` });
        if (n > 400) throw new Error('one member never got a partition');
      }
      expect([...byMember.kafkajs].some((p) => byMember['in-process'].has(p))).toBe(false);

      // The first member leaves: the second takes every partition, nothing sent is left unhandled.
      await first.close();
      const stayed = order[1];
      byMember[stayed].clear();
      for (let n = 0; byMember[stayed].size < 4; n++) {
        const e = click(inProcess.registry, `after${n % 16}`, n);
        sent.push(e.id);
        await inProcess.producer.send(topic, e);
        await waitFor(() => handled.has(e.id), { message: `record ${n} handled after the leave` });
        if (n > 400) throw new Error('the remaining member never took every partition');
      }
      expect(sent.every((id) => handled.has(id))).toBe(true);
      await second.close();
    },
    60_000,
  );

  /** A started kafkajs member that heartbeats rarely: it learns of a rebalance only at its next beat. */
  async function slowMember(
    options: Parameters<BusFixture['runner']>[0],
    heartbeatIntervalMs: number,
    sessionTimeoutMs: number,
  ) {
    const runner = wire.runner({ ...options, heartbeatIntervalMs, sessionTimeoutMs });
    await runner.start();
    return runner;
  }

  it('a member closing while its rejoin waits on another member leaves at once instead of waiting out the rebalance', async () => {
    const topic = 'runner-parked';
    const groupId = 'g-parked';
    const options = { groupId, topics: [topic], handler: async () => {} };
    const local = inProcess.runner({ ...options, stage: 'parked-local' });
    await local.start();
    const slow = await slowMember({ ...options, stage: 'parked-slow' }, 20_000, 60_000);
    await waitFor(() => broker.groups.describe(groupId).state === 'Stable', {
      message: 'two members, stable',
    });
    // A third member joins: the group waits for both members to rejoin; the slow one will not for a while.
    const joins = inProcess.localJoins();
    const late = wire.runner({ ...options, stage: 'parked-late' });
    const lateStarted = late.start();
    await waitFor(() => inProcess.localJoins() > joins, { message: 'the in-process member rejoins' });
    expect(broker.groups.describe(groupId).state).toBe('PreparingRebalance');
    const wireJoins = () =>
      metricValue(broker.metrics, 'hexcast_broker_requests_total', { api: 'JoinGroup' });
    const before = await wireJoins();
    await local.close();
    // Closed before the slow member rejoined (it would have, at its next heartbeat).
    expect(await wireJoins()).toBe(before);
    expect(broker.groups.describe(groupId).state).toBe('PreparingRebalance');
    await slow.close();
    await lateStarted;
    await late.close();
  }, 60_000);

  it('a member closed during its first join leaves the group once the join ends, instead of staying on as a member nobody runs', async () => {
    const groupId = 'g-first-join';
    const options = { groupId, topics: ['runner-first-join'], handler: async () => {} };
    // It learns of the rebalance the newcomer causes only at its next heartbeat.
    const slow = await slowMember({ ...options, stage: 'first-join-slow' }, 2_000, 10_000);
    const joins = inProcess.localJoins();
    const local = inProcess.runner({ ...options, stage: 'first-join-local' });
    const started = local.start();
    await waitFor(() => inProcess.localJoins() > joins, { message: 'the in-process member is joining' });
    await local.close();
    await started; // the join completes once the slow member rejoins
    const members = broker.groups.describe(groupId).members.map((m) => m.clientId);
    expect(members).not.toContain('first-join-local');
    expect(members).toHaveLength(1);
    await slow.close();
  }, 60_000);
});

describe('inKeyOrder', () => {
  it("runs each key's records in order and the keys at once", async () => {
    const registry = createEventRegistry();
    const records = Array.from({ length: 12 }, (_, n) => ({
      envelope: click(registry, `k${n % 3}`, n),
      context: { topic: 't', partition: 0, offset: String(n) },
    }));
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const handled = inKeyOrder(async (env) => {
      const n = Number((env.data as { productId: string }).productId.slice(1));
      running++;
      most = Math.max(most, running);
      // Later records of a key finish first if nothing orders them: record n yields 12 − n times.
      for (let tick = 0; tick < 12 - n; tick++) await Promise.resolve();
      running--;
      log.push(`${env.key}:${n}`);
    })(records);
    await handled;
    for (const key of ['k0', 'k1', 'k2'])
      expect(log.filter((l) => l.startsWith(`${key}:`))).toEqual(
        records.filter((r) => r.envelope.key === key).map((r) => `${key}:${Number(r.context.offset)}`),
      );
    expect(most).toBe(3);
  });
});
