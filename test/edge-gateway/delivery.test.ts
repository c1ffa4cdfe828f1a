import { type Broker, type Envelope, TOPICS } from '@hexcast/core';
import { type DeliveryQueue, type InboxMessage, MemoryDeliveryQueue } from '@hexcast/edge-gateway';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prng } from '../fixtures/random-fences.js';
import { startBroker } from '../helpers/broker.js';
import { metricValue } from '../helpers/bus.js';
import {
  collectTopic,
  type GatewayFixture,
  inboxOf,
  produceItem,
  receiptsBarrier,
  startGateway,
} from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait-for.js';

const REGION = 'eu';

interface Receipt {
  itemId: string;
  status: string;
  where?: string;
  reason?: string;
  channel?: string;
}

/**
 * A device that withholds its PUBACKs until `release()` (mqtt.js sends the PUBACK when
 * handleMessage calls back, and reads nothing else meanwhile: a stuck device).
 */
function withholdAcks(client: MqttClient): { release(): void; count(): number } {
  const held: Array<() => void> = [];
  client.handleMessage = (packet, callback) => {
    if (packet.qos === 0) return callback();
    held.push(() => callback());
  };
  return {
    release: () => {
      for (const ack of held.splice(0)) ack();
    },
    count: () => held.length,
  };
}

describe('delivery with TTL (memory queue, injected clock)', () => {
  let broker: Broker;
  let gw: GatewayFixture;
  let offset = 0;
  const clock = () => Date.now() + offset;
  let receipts: { envelopes: Envelope[]; close(): Promise<void> };
  const terminal = () =>
    receipts.envelopes
      .map((e) => e.data as Receipt)
      .filter((r) => ['delivered', 'expired', 'rejected'].includes(r.status));

  beforeEach(async () => {
    offset = 0;
    broker = await startBroker();
    gw = await startGateway({
      broker,
      region: REGION,
      clock,
      gateway: { queueMaxPerDevice: 5, purgeIntervalMs: 60_000 },
    });
    receipts = await collectTopic(gw.kafka, gw.registry, TOPICS.receipts.name);
  });
  afterEach(async () => {
    await receipts.close();
    await gw.close();
    await broker.close();
  });

  async function online(deviceId: string): Promise<{ client: MqttClient; inbox: InboxMessage[] }> {
    const client = await gw.connect(deviceId);
    const inbox = inboxOf(client);
    await client.subscribeAsync(`hx/d/${deviceId}/inbox`, { qos: 1 });
    return { client, inbox };
  }
  const items = (inbox: InboxMessage[]) => inbox.filter((m) => m.type === 'offer');

  it('publishes to a connected device in order and writes delivered on PUBACK', async () => {
    const { inbox } = await online('d1');
    await waitFor(() => inbox.some((m) => m.type === 'hello'));
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(await produceItem(gw, REGION, 'd1', clock() + 60_000, { content: { n: i } }));
    await waitFor(() => terminal().length === 4);
    expect(items(inbox).map((m) => (m as { id: string }).id)).toEqual(ids);
    expect(terminal().map((r) => [r.itemId, r.status, r.channel])).toEqual(
      ids.map((id) => [id, 'delivered', 'mqtt']),
    );
    const first = items(inbox)[0] as { expiresAt: number; sentAt: number; content: unknown };
    expect(first.content).toEqual({ n: 0 });
    expect(first.expiresAt - first.sentAt).toBeGreaterThan(50_000);
    expect(inbox[0]).toMatchObject({ type: 'hello', region: REGION });
  });

  it('holds items for an offline device and sends them when it connects', async () => {
    const id = await produceItem(gw, REGION, 'd2', clock() + 60_000);
    await waitFor(async () => (await gw.queue.size('d2')) === 1);
    const { inbox } = await online('d2');
    await waitFor(() => terminal().length === 1);
    expect(items(inbox).map((m) => (m as { id: string }).id)).toEqual([id]);
  });

  it('never publishes an item after its deadline: expired in the queue, purged without the device', async () => {
    const id = await produceItem(gw, REGION, 'd3', clock() + 10_000);
    await waitFor(async () => (await gw.queue.size('d3')) === 1);
    offset += 10_000; // the deadline, to the millisecond
    await gw.gateway.dispatcher.purgeNow();
    expect(await gw.queue.size('d3')).toBe(0); // memory reclaimed while the device is away
    await waitFor(() => terminal().length === 1);
    expect(terminal()[0]).toMatchObject({ itemId: id, status: 'expired', where: 'queue' });
    const { inbox } = await online('d3');
    // Items reach a device in queue order: once a later one arrives, the expired one never will.
    const later = await produceItem(gw, REGION, 'd3', clock() + 60_000);
    await waitFor(() => items(inbox).length > 0);
    expect(items(inbox).map((m) => (m as { id: string }).id)).toEqual([later]);
  });

  it('an item whose deadline passes after it was sent but before the PUBACK ends expired in flight; the late PUBACK is ignored', async () => {
    const { client, inbox } = await online('d4');
    const acks = withholdAcks(client);
    const id = await produceItem(gw, REGION, 'd4', clock() + 5_000);
    await waitFor(() => items(inbox).length === 1 && acks.count() === 1);
    offset += 5_001;
    await gw.gateway.dispatcher.purgeNow();
    acks.release();
    await waitFor(async () => (await metricValue(gw.metrics, 'hexcast_delivery_late_acks_total')) === 1);
    await waitFor(() => terminal().length === 1);
    expect(terminal()).toEqual([
      expect.objectContaining({ itemId: id, status: 'expired', where: 'in-flight' }),
    ]);
  });

  it('an item already past its deadline when the gateway consumes it expires in transit', async () => {
    const id = await produceItem(gw, REGION, 'd5', clock() - 1, { ts: clock() - 1000 });
    await waitFor(() => terminal().length === 1);
    expect(terminal()[0]).toMatchObject({ itemId: id, status: 'expired', where: 'transit' });
  });

  it('rejects beyond the per-device bound, and a replayed record is not a second item', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await produceItem(gw, REGION, 'd6', clock() + 60_000));
    await waitFor(() => terminal().length === 2);
    expect(terminal().map((r) => [r.itemId, r.status, r.reason])).toEqual([
      [ids[5], 'rejected', 'queue-full'],
      [ids[6], 'rejected', 'queue-full'],
    ]);
    // The same envelope again (a producer retry or a replay).
    await produceItem(gw, REGION, 'd6', clock() + 60_000, { id: ids[0]! });
    await waitFor(async () => (await metricValue(gw.metrics, 'hexcast_delivery_duplicates_total')) === 1);
    expect(await gw.queue.size('d6')).toBe(5);
  });

  it('a device that reconnects gets unacknowledged items again, ahead of newer ones', async () => {
    const first = await online('d7');
    const acks = withholdAcks(first.client);
    const a = await produceItem(gw, REGION, 'd7', clock() + 60_000);
    await waitFor(() => acks.count() === 1);
    await first.client.endAsync(true);
    const b = await produceItem(gw, REGION, 'd7', clock() + 60_000);
    await waitFor(async () => (await gw.queue.size('d7')) === 2);
    const second = await online('d7');
    await waitFor(() => terminal().length === 2);
    expect(items(second.inbox).map((m) => (m as { id: string }).id)).toEqual([a, b]);
  });

  it('accounts for every item exactly once under random traffic, including a graceful stop', async () => {
    const rand = prng(11);
    const produced: string[] = [];
    const devices = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];
    const connected = new Map<string, { client: MqttClient; acks: ReturnType<typeof withholdAcks> | null }>();
    for (let step = 0; step < 80; step++) {
      const device = devices[Math.floor(rand() * devices.length)]!;
      const roll = rand();
      if (roll < 0.55) {
        produced.push(await produceItem(gw, REGION, device, clock() + 500 + Math.floor(rand() * 20_000)));
      } else if (roll < 0.7 && !connected.has(device)) {
        const { client } = await online(device);
        connected.set(device, { client, acks: rand() < 0.3 ? withholdAcks(client) : null });
      } else if (roll < 0.8 && connected.has(device)) {
        await connected.get(device)!.client.endAsync(true);
        connected.delete(device);
      } else if (roll < 0.9) {
        offset += Math.floor(rand() * 4000);
        await gw.gateway.dispatcher.purgeNow();
      } else {
        for (const c of connected.values()) c.acks?.release();
      }
    }
    await waitFor(
      async () =>
        (await metricValue(gw.metrics, 'hexcast_bus_processed_total', { stage: 'gateway-delivery' })) ===
        produced.length,
    );
    for (const c of connected.values()) await c.client.endAsync(true);
    // A graceful stop of a memory-queue gateway ends what is left as rejected (gateway-stopped).
    await gw.gateway.dispatcher.rejectAll('gateway-stopped');
    await waitFor(() => terminal().length >= produced.length);
    await receiptsBarrier(gw.kafka, gw.registry, receipts);
    const byItem = new Map<string, Receipt[]>();
    for (const r of terminal()) byItem.set(r.itemId, [...(byItem.get(r.itemId) ?? []), r]);
    expect([...byItem.keys()].sort()).toEqual([...produced].sort());
    for (const [id, list] of byItem) expect(list, id).toHaveLength(1);
    const statuses = new Set(terminal().map((r) => `${r.status}:${r.where ?? r.reason ?? r.channel}`));
    // The traffic exercised several outcomes, not one.
    expect(statuses.size).toBeGreaterThanOrEqual(3);
  }, 60_000);
});

describe('delivery to a device connected here: queued and claimed in one step (memory queue)', () => {
  let broker: Broker;
  let gw: GatewayFixture;
  let receipts: { envelopes: Envelope[]; close(): Promise<void> };
  const calls: string[] = [];
  /** Held enqueue-and-claims: `open()` lets them through. */
  let gate: Promise<void> | null = null;
  let open = () => {};
  /** `base` with every call logged in `calls`, and enqueue-and-claims held while `gate` is set. */
  const watched = (base: DeliveryQueue): DeliveryQueue =>
    new Proxy(base, {
      get(target, name: keyof DeliveryQueue) {
        const method = target[name];
        if (typeof method !== 'function') return method;
        return async (...args: unknown[]) => {
          calls.push(name);
          if (name === 'enqueueAndClaim' && gate !== null) await gate;
          return (method as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const delivered = () =>
    receipts.envelopes
      .filter((e) => (e.data as Receipt).status === 'delivered')
      .map((e) => (e.data as Receipt).itemId);

  beforeEach(async () => {
    calls.length = 0;
    gate = null;
    broker = await startBroker();
    gw = await startGateway({
      broker,
      region: REGION,
      queue: watched(new MemoryDeliveryQueue(5)),
      gateway: { purgeIntervalMs: 60_000 },
    });
    receipts = await collectTopic(gw.kafka, gw.registry, TOPICS.receipts.name);
  });
  afterEach(async () => {
    // A test that failed while a claim was held: let it go, or the gateway's close waits on it.
    open();
    await receipts.close();
    await gw.close();
    await broker.close();
  });

  it('an item for a connected, idle device is sent after one queue call (not enqueue, then claim)', async () => {
    const client = await gw.connect('c1');
    const inbox = inboxOf(client);
    await client.subscribeAsync('hx/d/c1/inbox', { qos: 1 });
    await waitFor(() => inbox.some((m) => m.type === 'hello'));
    calls.length = 0;
    const id = await produceItem(gw, REGION, 'c1', Date.now() + 60_000);
    await waitFor(() => delivered().includes(id));
    expect(inbox.filter((m) => m.type === 'offer').map((m) => (m as { id: string }).id)).toEqual([id]);
    // Before the device's PUBACK (which makes room, so a claim follows it): one call.
    const beforeAck = calls.filter((c) => c !== 'purgeExpired');
    expect(beforeAck.slice(0, beforeAck.indexOf('ack'))).toEqual(['enqueueAndClaim']);
  });

  it('a device that leaves while its item is being claimed gets it when it comes back: handed back, not lost', async () => {
    const first = await gw.connect('c2');
    await first.subscribeAsync('hx/d/c2/inbox', { qos: 1 });
    await waitFor(async () => (await metricValue(gw.metrics, 'hexcast_gateway_inbox_sessions')) === 1);
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const id = await produceItem(gw, REGION, 'c2', Date.now() + 60_000);
    await waitFor(() => calls.includes('enqueueAndClaim'));
    await first.endAsync(true);
    await waitFor(async () => (await metricValue(gw.metrics, 'hexcast_gateway_inbox_sessions')) === 0);
    open();
    gate = null;
    // Claimed for a session that is gone: back in the queue, not in flight for nobody.
    await waitFor(() => calls.includes('release'));
    const second = await gw.connect('c2');
    const inbox = inboxOf(second);
    await second.subscribeAsync('hx/d/c2/inbox', { qos: 1 });
    await waitFor(() => delivered().includes(id));
    expect(inbox.filter((m) => m.type === 'offer').map((m) => (m as { id: string }).id)).toEqual([id]);
  });
});
