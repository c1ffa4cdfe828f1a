import {
  type BusProducer,
  Catalogue,
  createEventRegistry,
  DELIVERY_EVENTS,
  DeviceClick,
  deliveriesTopic,
  type Envelope,
  MemorySessionStore,
  Metrics,
  RECS_EVENTS,
  RecsEngine,
  silentLogger,
} from '@hexcast/core';
import { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';

/** An engine without a model (the category's products are the list), its sends and lookups recorded. */
function engine() {
  const registry = createEventRegistry();
  for (const event of [...RECS_EVENTS, ...DELIVERY_EVENTS]) registry.register(event);
  const sent: Array<{ topic: string; envelope: Envelope }> = [];
  const producer = {
    send: async (topic: string | { name: string }, envelope: Envelope) => {
      sent.push({ topic: typeof topic === 'string' ? topic : topic.name, envelope });
    },
  } as unknown as BusProducer;
  const metrics = new Metrics();
  // The catalogue's feed is never started: its client never connects.
  const kafka = new Kafka({ clientId: 'recs-engine-test', brokers: ['127.0.0.1:9'] });
  const catalogue = new Catalogue({ kafka, registry, metrics, logger: silentLogger(), producer });
  for (const productId of ['p1', 'p2', 'p3'])
    catalogue.put({ productId, available: true, category: 'shoes' });
  const lookups: string[] = [];
  const recs = new RecsEngine({
    registry,
    producer,
    store: new MemorySessionStore({ ttlMs: 60_000, maxClicks: 20 }),
    catalogue,
    model: { current: null },
    regionOf: async (deviceId) => {
      lookups.push(deviceId);
      return 'eu';
    },
    metrics,
    listSize: 5,
    pushTtlMs: 60_000,
  });
  const click = (source: Envelope['source'], deviceId: string, n: number) =>
    registry.create(DeviceClick, {
      key: deviceId,
      source,
      data: { deviceId, sessionId: `s-${deviceId}`, productId: 'p1', action: 'view' },
      id: `click-${deviceId}-${n}`,
    });
  return { recs, sent, lookups, click };
}

describe('RecsEngine: where a list is pushed', () => {
  it("a click through a gateway is pushed to that gateway's region without a lookup; other clicks look the device up", async () => {
    const { recs, sent, lookups, click } = engine();
    await recs.handle(click({ kind: 'gateway', id: 'gw-us-1', region: 'us' }, 'd1', 1));
    const pushes = () => sent.filter((s) => s.topic.startsWith('hx.deliveries.'));
    expect(pushes().map((s) => [s.topic, s.envelope.key])).toEqual([[deliveriesTopic('us').name, 'd1']]);
    expect(lookups).toEqual([]);

    await recs.handle(click({ kind: 'api', id: 'api-1' }, 'd2', 1));
    expect(lookups).toEqual(['d2']);
    expect(pushes().map((s) => [s.topic, s.envelope.key])).toEqual([
      [deliveriesTopic('us').name, 'd1'],
      [deliveriesTopic('eu').name, 'd2'],
    ]);
  });
});
