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
  type SessionRanker,
  silentLogger,
} from '@hexcast/core';
import { RecsModel, SessionScoringPool, trainRecs } from '@hexcast/models';
import { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';

/**
 * An engine, its sends and lookups recorded. Without a model the category's products are the
 * list; `products` replaces the catalogue's three.
 */
function engine(
  options: {
    model?: RecsModel;
    ranker?: SessionRanker;
    products?: Array<{ productId: string; available: boolean; category: string }>;
  } = {},
) {
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
  for (const product of options.products ??
    ['p1', 'p2', 'p3'].map((productId) => ({ productId, available: true, category: 'shoes' })))
    catalogue.put(product);
  const lookups: string[] = [];
  const recs = new RecsEngine({
    registry,
    producer,
    store: new MemorySessionStore({ ttlMs: 60_000, maxClicks: 20 }),
    catalogue,
    model: { current: options.model ?? null },
    ...(options.ranker === undefined ? {} : { ranker: options.ranker }),
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
  return { recs, sent, lookups, click, registry, metrics };
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

describe('RecsEngine: sessions scored on a scoring thread', () => {
  it('stores the lists it stores when scoring here (unavailable and bought products left out) and counts where each was scored', async () => {
    const items = Array.from({ length: 30 }, (_, i) => `p${i}`);
    const sessions = Array.from({ length: 200 }, (_, i) => {
      const clicked = Array.from({ length: 2 + (i % 4) }, (_, k) => items[(i * 7 + k * (1 + (i % 3))) % 30]!);
      return { id: String(i), items: clicked, times: clicked.map((_, k) => i * 100 + k) };
    });
    const model = new RecsModel(await trainRecs(sessions, { netEpochs: 0, version: 'recs-t' }));
    // p0, p7 and p14 are out of stock: dropped from every list (the filter runs on this thread).
    const products = items.map((productId, i) => ({
      productId,
      available: i % 7 !== 0,
      category: `c${i % 3}`,
    }));
    const pool = new SessionScoringPool({ batchSize: 3 });
    try {
      pool.load(await trainRecs(sessions, { netEpochs: 0, version: 'recs-t' }));
      const here = engine({ model, products });
      const threaded = engine({ model, products, ranker: pool });
      // Eight sessions of five clicks; the fourth click of each is a purchase.
      const clicks = Array.from({ length: 8 }, (_, s) =>
        Array.from({ length: 5 }, (_, k) => ({ s, productId: items[(s * 5 + k * 3) % 30]!, buy: k === 3 })),
      );
      for (const { recs, registry } of [here, threaded]) {
        for (let k = 0; k < 5; k++)
          // A session's clicks in order, the sessions at once (as the worker runs them).
          await Promise.all(
            clicks.map((c) => {
              const { s, productId, buy } = c[k]!;
              return recs.handle(
                registry.create(DeviceClick, {
                  key: `web:d${s}`,
                  source: { kind: 'api', id: 'api-1' },
                  id: `click-${s}-${k}`,
                  ts: 1_000 + k,
                  data: {
                    deviceId: `web:d${s}`,
                    sessionId: `s${s}`,
                    productId,
                    action: buy ? 'buy' : 'view',
                  },
                }),
              );
            }),
          );
      }
      const lists = (e: ReturnType<typeof engine>) =>
        new Map(
          e.sent
            .filter((x) => x.topic === 'hx.recommendations')
            .map((x) => {
              const d = x.envelope.data as { clickId: string; items: Array<{ productId: string }> };
              return [d.clickId, d.items];
            }),
        );
      const expected = lists(here);
      expect(expected.size).toBe(40);
      expect(lists(threaded)).toEqual(expected);
      const bought = new Set(
        clicks.flatMap((c) => c.filter((x) => x.buy).map((x) => `${x.s}:${x.productId}`)),
      );
      for (const [clickId, list] of expected) {
        const [, s, k] = clickId.split('-');
        expect(list.length).toBe(5);
        for (const { productId } of list) {
          expect(products.find((p) => p.productId === productId)!.available).toBe(true);
          if (Number(k) > 3) expect(bought.has(`${s}:${productId}`)).toBe(false);
        }
      }
      const scored = async (e: ReturnType<typeof engine>) =>
        (await e.metrics.text())
          .split('\n')
          .filter((l) => l.startsWith('hexcast_recs_session_scored_total{'));
      expect(await scored(threaded)).toEqual(['hexcast_recs_session_scored_total{on="thread"} 40']);
      expect(await scored(here)).toEqual(['hexcast_recs_session_scored_total{on="here"} 40']);
    } finally {
      await pool.close();
    }
  });
});
