import { type Broker, type Envelope, TOPICS } from '@hexcast/core';
import type { InboxMessage } from '@hexcast/edge-gateway';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
import { hasService, type RedisFixture, useRedis } from '../helpers/services.js';
import { waitFor } from '../helpers/wait-for.js';

const REGION = 'eu';

interface Receipt {
  itemId: string;
  status: string;
  where?: string;
  gateway: string;
}

describe.skipIf(!hasService('redis'))('delivery with queues in Redis', () => {
  let broker: Broker;
  let redis: RedisFixture;
  let offset = 0;
  const clock = () => Date.now() + offset;
  const opened: GatewayFixture[] = [];
  let receipts: { envelopes: Envelope[]; close(): Promise<void> };
  const terminal = () =>
    receipts.envelopes
      .map((e) => e.data as Receipt)
      .filter((r) => ['delivered', 'expired', 'rejected'].includes(r.status));

  const gateway = async (gatewayId: string, consume = true) => {
    const gw = await startGateway({
      broker,
      region: REGION,
      clock,
      redis: { client: redis.client, prefix: redis.prefix },
      consume,
      gatewayId,
      gateway: { purgeIntervalMs: 60_000 },
    });
    opened.push(gw);
    return gw;
  };
  const subscribe = async (gw: GatewayFixture, deviceId: string) => {
    const client = await gw.connect(deviceId);
    const inbox = inboxOf(client);
    await client.subscribeAsync(`hx/d/${deviceId}/inbox`, { qos: 1 });
    return { client, inbox };
  };
  const offers = (inbox: InboxMessage[]) =>
    inbox.filter((m) => m.type === 'offer').map((m) => (m as { id: string }).id);

  beforeEach(async () => {
    offset = 0;
    broker = await startBroker();
    redis = await useRedis();
  });
  afterEach(async () => {
    await receipts?.close();
    for (const gw of opened.splice(0)) await gw.close().catch(() => undefined);
    await redis.cleanup();
    await broker.close();
  });

  it('a restarted gateway loses nothing: what was queued is delivered or expires, and receipts add up', async () => {
    const first = await gateway('gw-1');
    receipts = await collectTopic(first.kafka, first.registry, TOPICS.receipts.name);
    const lasting: string[] = [];
    const brief: string[] = [];
    for (let i = 0; i < 5; i++) lasting.push(await produceItem(first, REGION, 'phone', clock() + 600_000));
    for (let i = 0; i < 3; i++) brief.push(await produceItem(first, REGION, 'phone', clock() + 2_000));
    await waitFor(async () => (await first.queue.size('phone')) === 8);
    await first.close();
    opened.splice(opened.indexOf(first), 1);

    offset += 3_000; // the brief ones die while no gateway runs
    const second = await gateway('gw-2');
    await second.gateway.dispatcher.purgeNow();
    const { inbox } = await subscribe(second, 'phone');
    await waitFor(() => terminal().length === 8);
    expect(offers(inbox)).toEqual(lasting);
    const outcome = new Map(terminal().map((r) => [r.itemId, `${r.status}:${r.where ?? ''}`]));
    for (const id of lasting) expect(outcome.get(id)).toBe('delivered:');
    for (const id of brief) expect(outcome.get(id)).toBe('expired:queue');
    expect(terminal()).toHaveLength(8); // exactly one each
    // A replayed record (same envelope id) after delivery is a duplicate, not a second item.
    await produceItem(second, REGION, 'phone', clock() + 600_000, { id: lasting[0]! });
    await waitFor(async () => (await metricValue(second.metrics, 'hexcast_delivery_duplicates_total')) === 1);
    expect(terminal()).toHaveLength(8);
    expect(offers(inbox)).toEqual(lasting);
  }, 60_000);

  it('two gateways in a region share the work: a device on A gets an item consumed by B', async () => {
    const a = await gateway('gw-a', false); // serves devices only
    const b = await gateway('gw-b', true); // the region's only consumer
    receipts = await collectTopic(b.kafka, b.registry, TOPICS.receipts.name);
    const { inbox } = await subscribe(a, 'watch');
    const id = await produceItem(b, REGION, 'watch', clock() + 60_000);
    await waitFor(() => terminal().length === 1);
    expect(offers(inbox)).toEqual([id]);
    expect(terminal()[0]).toMatchObject({ itemId: id, status: 'delivered', gateway: 'gw-a' });
    // And when the device moves to B, B serves it from the same queue.
    const later = await produceItem(b, REGION, 'tablet', clock() + 60_000);
    await waitFor(async () => (await b.queue.size('tablet')) === 1);
    const moved = await subscribe(b, 'tablet');
    await waitFor(() => terminal().length === 2);
    expect(offers(moved.inbox)).toEqual([later]);
  }, 60_000);

  it('with both gateways consuming and devices on both, every item ends exactly once', async () => {
    const a = await gateway('gw-a');
    const b = await gateway('gw-b');
    receipts = await collectTopic(a.kafka, a.registry, TOPICS.receipts.name);
    const devices = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
    const inboxes = new Map<string, InboxMessage[]>();
    for (const [i, d] of devices.entries()) inboxes.set(d, (await subscribe(i % 2 === 0 ? a : b, d)).inbox);
    const ids: string[] = [];
    for (let i = 0; i < 60; i++)
      ids.push(
        await produceItem(i % 2 === 0 ? a : b, REGION, devices[i % devices.length]!, clock() + 60_000),
      );
    await waitFor(() => terminal().length >= 60, { timeoutMs: 30_000 });
    await receiptsBarrier(a.kafka, a.registry, receipts);
    expect(
      terminal()
        .map((r) => r.itemId)
        .sort(),
    ).toEqual([...ids].sort());
    expect(terminal().every((r) => r.status === 'delivered')).toBe(true);
    const received = [...inboxes.values()].flatMap(offers);
    expect(received.sort()).toEqual([...ids].sort()); // no device got an item twice
  }, 60_000);
});
