import { brandRule, DEMO_BRANDS, Metrics, type RawPost, silentLogger, XStreamConnector } from '@hexcast/core';
import { startXStandIn } from '@hexcast/simulator';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.js';

// Against a local stand-in for X's API (simulator/src/x-standin.ts): X itself is out of reach here.
describe('X filtered stream connector (X API stand-in over HTTP)', () => {
  it('syncs one rule per brand (stale ones deleted), reads tweets line by line, skips keep-alives and malformed lines, and reconnects after a disconnect, a 429 and a stall', async () => {
    const x = await startXStandIn({ bearerToken: 'token' });
    // A stale rule of ours, and someone else's rule that must stay.
    x.rules.push(
      { id: '90', value: '(old) -is:retweet', tag: 'hexcast:brand:gone' },
      { id: '91', value: 'cats', tag: 'theirs' },
    );
    const received: RawPost[] = [];
    const metrics = new Metrics();
    const connector = new XStreamConnector({
      apiUrl: x.url,
      bearerToken: 'token',
      brands: DEMO_BRANDS.slice(0, 2),
      ingest: {
        publish: async (_channel, posts) => {
          received.push(...posts);
          return { accepted: posts.length, rejected: [] };
        },
      },
      metrics,
      logger: silentLogger(),
      stallMs: 300,
      backoff: { networkStepMs: 10, networkMaxMs: 50, httpStartMs: 20, httpMaxMs: 100, rateLimitStartMs: 30 },
    });
    try {
      await connector.start();
      await x.waitForConnections(1);
      expect(x.rules.map((r) => r.tag).sort()).toEqual([
        'hexcast:brand:delta',
        'hexcast:brand:united',
        'theirs',
      ]);
      expect(x.rules.find((r) => r.tag === 'hexcast:brand:united')!.value).toBe(
        brandRule(DEMO_BRANDS[0]!).value,
      );
      x.keepAlive();
      x.line('{not json');
      x.line('{"errors":[{"title":"operational-disconnect"}]}');
      x.tweet({
        id: '1',
        text: '@united hello',
        authorId: 'a',
        username: 'ann',
        followers: 12,
        createdAt: 1_700_000_000_000,
        likes: 3,
        retweets: 2,
        replies: 1,
        tags: ['hexcast:brand:united'],
      });
      await waitFor(() => received.length === 1, { message: 'first tweet' });
      expect(received[0]).toMatchObject({
        channel: 'x',
        postId: '1',
        author: { id: 'a', handle: 'ann', followers: 12 },
        engagement: { likes: 3, shares: 2, replies: 1 },
        brands: ['united'],
        language: 'en',
        createdAt: 1_700_000_000_000,
      });
      // X closes the stream, then answers 429 twice: the connector backs off and comes back.
      x.failNext(2, 429);
      x.disconnect();
      await waitFor(() => x.connections === 1 && x.connects === 2, {
        timeoutMs: 10_000,
        message: 'back after 429s',
      });
      x.tweet({
        id: '2',
        text: '@delta hi',
        authorId: 'b',
        username: 'bo',
        followers: 1,
        createdAt: 1_700_000_000_000,
        tags: ['hexcast:brand:delta'],
      });
      await waitFor(() => received.length === 2, { message: 'second tweet' });
      // Silence longer than the stall limit: the connector drops the connection and reconnects.
      await waitFor(() => x.connects >= 3, { timeoutMs: 10_000, message: 'reconnect after a stall' });
      const text = await metrics.text();
      expect(text).toMatch(/hexcast_x_stream_lines_total\{kind="malformed"\} 1/);
      expect(text).toMatch(/hexcast_x_stream_reconnects_total\{cause="rate-limit"\} 2/);
      expect(text).toMatch(/hexcast_x_stream_reconnects_total\{cause="stall"\} [1-9]/);
    } finally {
      await connector.close();
      await x.close();
    }
  });

  it("X's documented backoff: linear for network errors, exponential for HTTP errors, from a minute for 429", () => {
    const c = new XStreamConnector({
      apiUrl: 'http://127.0.0.1:1',
      bearerToken: 't',
      brands: [],
      ingest: { publish: async () => ({ accepted: 0, rejected: [] }) },
      metrics: new Metrics(),
      logger: silentLogger(),
    });
    expect([1, 2, 3, 100].map((n) => c.backoffMs('network', n))).toEqual([250, 500, 750, 16_000]);
    expect([1, 2, 3, 10].map((n) => c.backoffMs('http', n))).toEqual([5_000, 10_000, 20_000, 320_000]);
    expect([1, 2].map((n) => c.backoffMs('rate-limit', n))).toEqual([60_000, 120_000]);
  });
});
