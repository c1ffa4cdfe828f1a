import {
  type Broker,
  CareAlerts,
  createEventRegistry,
  migrate,
  PgliteRecords,
  type Queryable,
  type Records,
  RecordsPostStore,
  SENTIMENT_EVENTS,
  SentimentEngine,
  type SocialPost,
  SocialPostReceived,
  sentimentSlot,
  silentLogger,
  TOPICS,
} from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { type BusFixture, busFor } from '../../helpers/bus.js';
import { collectTopic } from '../../helpers/gateway.js';
import { waitFor } from '../../helpers/wait-for.js';

const post = (brand: string, postId: string, text: string): SocialPost => ({
  channel: 'x',
  postId,
  brand,
  matchedBrands: [brand],
  matchedRules: [brand],
  author: { id: `author-${postId}`, handle: `h${postId}`, followers: 50_000 },
  text,
  createdAt: Date.now(),
  engagement: { likes: 0, shares: 0, replies: 0 },
});

/** The records, counting the statements that store posts. */
function counting(records: Records): { records: Records; upserts(): number } {
  let upserts = 0;
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => {
      if (sql.trimStart().startsWith('INSERT INTO social_posts')) upserts++;
      return q.query(sql, params);
    },
  });
  return {
    records: {
      engine: records.engine,
      query: wrap(records).query,
      transaction: (fn) => records.transaction((tx) => fn(wrap(tx))),
      close: () => records.close(),
    },
    upserts: () => upserts,
  };
}

describe('sentiment engine (embedded broker, PGlite)', () => {
  let broker: Broker;
  let bus: BusFixture;
  let pglite: PgliteRecords;
  beforeAll(async () => {
    pglite = await PgliteRecords.open(null);
    await migrate(pglite);
    broker = await startBroker();
    bus = await busFor(broker);
    for (const e of SENTIMENT_EVENTS) bus.registry.register(e);
  });
  afterAll(async () => {
    await bus.close();
    await broker.close();
    await pglite.close();
  });

  it('stores the batches of partitions handled at once in one statement, and announces every post and each alert', async () => {
    const { records, upserts } = counting(pglite);
    const engine = new SentimentEngine({
      registry: bus.registry,
      producer: bus.producer,
      store: new RecordsPostStore(records),
      alerts: new CareAlerts(records),
      scorer: sentimentSlot(),
      metrics: bus.metrics,
      logger: silentLogger(),
      alertMinInfluence: 1,
    });
    const registry = createEventRegistry();
    for (const e of SENTIMENT_EVENTS) registry.register(e);
    const batch = (brand: string) =>
      [
        post(brand, `${brand}-1`, `${brand} lost my bag, worst service ever, terrible`),
        post(brand, `${brand}-2`, `thanks ${brand}, great crew and a lovely flight`),
        post(brand, `${brand}-3`, `${brand} flight 12 boarding at gate 4`),
      ].map((data) => ({
        envelope: registry.create(SocialPostReceived, {
          key: brand,
          source: { kind: 'test', id: 't' },
          data,
        }),
      }));
    const scores = await collectTopic(bus.kafka, bus.registry, TOPICS.sentiment.name);
    const alerts = await collectTopic(bus.kafka, bus.registry, TOPICS.alerts.name);
    try {
      // Two partitions' batches in hand at once, as the consumer runs them.
      await Promise.all([engine.handleBatch(batch('delta')), engine.handleBatch(batch('united'))]);
      expect(upserts()).toBe(1);
      await waitFor(() => scores.envelopes.length === 6 && alerts.envelopes.length === 2);
      const scored = scores.envelopes.map((e) => (e.data as { postId: string }).postId).sort();
      expect(scored).toEqual(['delta-1', 'delta-2', 'delta-3', 'united-1', 'united-2', 'united-3']);
      const negative = alerts.envelopes.map((e) => (e.data as { post: { postId: string } }).post.postId);
      expect(negative.sort()).toEqual(['delta-1', 'united-1']);
    } finally {
      await scores.close();
      await alerts.close();
    }
  });
});
