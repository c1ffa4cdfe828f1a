import {
  ApiKeyRepository,
  buildApi,
  CareAlerts,
  Metrics,
  migrate,
  PgliteRecords,
  RecordsPostStore,
  SentimentSummary,
  sentimentRoutes,
  silentLogger,
  WebhookOutbox,
} from '@hexcast/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sse } from '../../helpers/sse.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('GET /v1/sentiment/stream: the live summary as Server-Sent Events', () => {
  let records: PgliteRecords;
  let app: FastifyInstance;
  let base: string;
  let care: string;
  const listeners = new Set<(brand: string, channel: string) => void>();
  const summary = new SentimentSummary({
    spikeMinPosts: 100,
    spikeMargin: 0.3,
    onChange: (b, c) => {
      for (const l of listeners) l(b, c);
    },
  });
  const post = (postId: string, brand: string, label: 'negative' | 'positive') =>
    summary.add({
      brand,
      channel: 'x',
      postId,
      compound: label === 'negative' ? -0.7 : 0.7,
      label,
      hashtags: [],
      terms: [],
      createdAt: Date.now(),
    });

  beforeAll(async () => {
    records = await PgliteRecords.open(null);
    await migrate(records);
    const keys = new ApiKeyRepository(records);
    care = (await keys.create('care', 'agent')).token;
    app = await buildApi({
      logger: silentLogger(),
      metrics: new Metrics(),
      keys,
      routes: [
        sentimentRoutes({
          summary,
          onChange: (listener) => {
            listeners.add(listener);
            return () => listeners.delete(listener);
          },
          posts: new RecordsPostStore(records),
          alerts: new CareAlerts(records),
          webhooks: new WebhookOutbox(records),
          alertLeaseMs: 60_000,
        }),
      ],
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await records.close();
  });

  it('sends every current view first, then the series that changed; a reconnect continues the ids; closing unsubscribes', async () => {
    post('p1', 'delta', 'negative');
    const first = sse(`${base}/v1/sentiment/stream`, { authorization: `Bearer ${care}` });
    expect(await first.opened).toBe(200);
    await waitFor(() => first.events.length === 1);
    expect(first.events[0]).toMatchObject({ id: 1, event: 'summary', data: { brand: 'delta', volume: 1 } });
    await waitFor(() => listeners.size === 1);
    post('p2', 'united', 'positive');
    await waitFor(() => first.events.length === 2, { timeoutMs: 5_000 });
    expect(first.events[1]).toMatchObject({ id: 2, data: { brand: 'united', volume: 1 } });
    first.close();
    await waitFor(() => listeners.size === 0, { message: 'the closed stream unsubscribed' });

    const again = sse(`${base}/v1/sentiment/stream?brand=delta`, {
      authorization: `Bearer ${care}`,
      'last-event-id': '2',
    });
    await waitFor(() => again.events.length === 1);
    expect(again.events[0]).toMatchObject({ id: 3, data: { brand: 'delta' } });
    again.close();
  });
});
