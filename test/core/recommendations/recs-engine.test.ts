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
  type RecsEngineOptions,
  type SessionRanker,
  silentLogger,
} from '@hexcast/core';
import { RecsModel, SessionScoringPool, trainRecs } from '@hexcast/models';
import { cellToParent, gridDisk, latLngToCell } from 'h3-js';
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
    products?: Array<{ productId: string; available: boolean; category: string; stockedIn?: string[] }>;
    nearby?: RecsEngineOptions['nearby'];
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
    ...(options.nearby === undefined ? {} : { nearby: options.nearby }),
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

/** A model trained on 200 sessions over p0…p29, each stepping through the items: many items ranked. */
async function thirtyItems() {
  const items = Array.from({ length: 30 }, (_, i) => `p${i}`);
  const sessions = Array.from({ length: 200 }, (_, i) => {
    const clicked = Array.from({ length: 2 + (i % 4) }, (_, k) => items[(i * 7 + k * (1 + (i % 3))) % 30]!);
    return { id: String(i), items: clicked, times: clicked.map((_, k) => i * 100 + k) };
  });
  const artifact = await trainRecs(sessions, { netEpochs: 0, version: 'recs-t' });
  return { items, artifact, model: new RecsModel(artifact) };
}

describe('RecsEngine: sessions scored on a scoring thread', () => {
  it('stores the lists it stores when scoring here (unavailable and bought products left out) and counts where each was scored', async () => {
    const { items, artifact, model } = await thirtyItems();
    // p0, p7 and p14 are out of stock: dropped from every list (the filter runs on this thread).
    const products = items.map((productId, i) => ({
      productId,
      available: i % 7 !== 0,
      category: `c${i % 3}`,
    }));
    const pool = new SessionScoringPool({ batchSize: 3 });
    try {
      pool.load(artifact);
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

describe('RecsEngine: products stocked near the user', () => {
  it("boosts a product a store near the app user's last location stocks, marks it nearby, and leaves web visitors, old positions and far stores alone", async () => {
    const { items, model } = await thirtyItems();
    const clicked = ['p3', 'p10'];
    // A product the session's list does not hold without the boost, but its ranking does further down.
    const plain = engine({
      model,
      products: items.map((productId) => ({ productId, available: true, category: 'c' })),
    });
    const without = plain.recs.recommend(
      clicked.map((productId, i) => ({ id: `c${i}`, productId, action: 'view' as const, at: i })),
      5,
    );
    const candidate = model
      .forSession(clicked, 15)
      .find((r) => !without.some((w) => w.productId === r.item))!.item;
    const here = latLngToCell(48.8566, 2.3522, 9); // the device's cell (the gateway's resolution)
    const beside = gridDisk(here, 1).find((c) => c !== here)!;
    const far = latLngToCell(40.7128, -74.006, 9);
    const run = async (stockedIn: string[], deviceId: string, ageMs = 0) => {
      const e = engine({
        model,
        products: items.map((productId) => ({
          productId,
          available: true,
          category: 'c',
          ...(productId === candidate ? { stockedIn } : {}),
        })),
        nearby: {
          positionOf: async (id) => (id === 'd1' ? { h3: here, ts: Date.now() - ageMs } : null),
          boost: 100,
          rings: 1,
          maxAgeMs: 60_000,
        },
      });
      await e.recs.handle(
        e.registry.create(DeviceClick, {
          key: deviceId,
          source: { kind: 'api', id: 'api-1' },
          data: { deviceId, sessionId: 's1', productId: clicked[0]!, action: 'view' },
        }),
      );
      await e.recs.handle(
        e.registry.create(DeviceClick, {
          key: deviceId,
          source: { kind: 'api', id: 'api-1' },
          data: { deviceId, sessionId: 's1', productId: clicked[1]!, action: 'view' },
        }),
      );
      const lists = e.sent.filter((x) => x.topic === 'hx.recommendations');
      const list = (lists.at(-1)!.envelope.data as { items: Array<{ productId: string; nearby?: true }> })
        .items;
      const boosted = (await e.metrics.text())
        .split('\n')
        .find((l) => l.startsWith('hexcast_recs_lists_nearby_total '));
      return { list, boosted };
    };
    // A store in the next cell, one in the district (resolution 7) and one in a finer cell inside
    // the device's: near. The product comes first (its score × 101), marked nearby.
    for (const store of [beside, cellToParent(here, 7), `${latLngToCell(48.8566, 2.3522, 11)}`]) {
      const { list, boosted } = await run([far, store], 'd1');
      expect(list[0]).toMatchObject({ productId: candidate, nearby: true });
      expect(list.filter((i) => i.nearby).length).toBe(1);
      expect(boosted).toBe('hexcast_recs_lists_nearby_total 1');
    }
    // A web visitor (no position), a position older than allowed, a store far away: no boost.
    for (const [stores, device, age] of [
      [[beside], 'web:v1', 0],
      [[beside], 'd1', 120_000],
      [[far], 'd1', 0],
    ] as const) {
      const { list, boosted } = await run([...stores], device, age);
      expect(list.map((i) => i.productId)).not.toContain(candidate);
      expect(list.some((i) => i.nearby)).toBe(false);
      expect(boosted).toBe('hexcast_recs_lists_nearby_total 0');
    }
  });
});
