import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkWebhookSignature, webhookSignature } from '@hexcast/core';
import { startXStandIn, type XStandIn } from '@hexcast/simulator';
import { afterAll, describe, expect, it } from 'vitest';
import { type DevProcess, startDev } from '../helpers/dev.js';
import { waitFor } from '../helpers/wait-for.js';

const SECRET = 'trustpilot-secret-0123456789';
const APP_SECRET = 'graph-app-secret';
const BEARER = 'x-bearer-e2e';
const CARE_SECRET = 'care-system-secret-e2e';

describe('social sentiment end to end on hexcast dev (X stand-in, signed webhooks)', () => {
  let dev: DevProcess | undefined;
  let x: XStandIn | undefined;
  let careSystem: Server | undefined;
  afterAll(async () => {
    await dev?.stop();
    await x?.close();
    careSystem?.close();
  });

  it('posts from the X stream stand-in, the generic webhook and Graph webhooks are stored, scored and summarised; influential negatives raise one alert each and a burst one spike alert; bad input is coded and counted', async () => {
    x = await startXStandIn({ bearerToken: BEARER });
    // The care system's endpoint (a stand-in for a helpdesk): every alert arrives there, signed.
    const atCare: Array<{ type: string; data: { id: string; kind: string } }> = [];
    careSystem = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const sig = req.headers['hexcast-signature'] as string | undefined;
        if (checkWebhookSignature(CARE_SECRET, sig, body, Math.floor(Date.now() / 1000)) !== null) {
          res.writeHead(401).end();
          return;
        }
        atCare.push(JSON.parse(body.toString()));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => careSystem!.listen(0, '127.0.0.1', () => resolve()));
    dev = await startDev({
      HX_CARE_WEBHOOK_URL: `http://127.0.0.1:${(careSystem.address() as AddressInfo).port}/hexcast`,
      HX_CARE_WEBHOOK_SECRET: CARE_SECRET,
      HX_SOCIAL_WEBHOOK_SECRETS: `trustpilot=${SECRET}`,
      HX_GRAPH_APP_SECRET: APP_SECRET,
      HX_GRAPH_VERIFY_TOKEN: 'verify-me',
      HX_X_BEARER_TOKEN: BEARER,
      HX_X_API_URL: x.url,
      HX_SENTIMENT_SPIKE_MIN_POSTS: '8',
      HX_CARE_MIN_INFLUENCE: '1',
      // The test polls the API while it waits.
      HX_API_RATE_LIMIT_PER_MINUTE: '100000',
    });
    const api = async (
      method: string,
      url: string,
      token: string | null,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const response = await fetch(`${dev!.api}${url}`, {
        method,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      // biome-ignore lint/suspicious/noExplicitAny: the test reads the API's JSON answers as they come
      let parsed: any = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: response.status, body: parsed };
    };
    const care = (await api('POST', '/v1/keys', dev.adminKey(), { role: 'care', name: 'care-e2e' })).body
      .token as string;
    const otherCare = (await api('POST', '/v1/keys', dev.adminKey(), { role: 'care', name: 'care-2' })).body
      .token as string;

    // X: the worker syncs one rule per brand and opens the stream.
    await x.waitForConnections(1);
    expect(x.rules.map((r) => r.tag).sort()).toContain('hexcast:brand:united');
    const now = Date.now();
    x.keepAlive();
    x.line('{"data": {"id": "broken"');
    expect(
      x.tweet({
        id: 't1',
        text: '@united lost my bag AGAIN and nobody at the desk will help. Worst airline ever.',
        authorId: 'u1',
        username: 'angry_flyer',
        followers: 5400,
        createdAt: now,
        likes: 12,
      }),
    ).toBe(true);
    x.tweet({
      id: 't2',
      text: '@united thanks for the upgrade, lovely crew today!',
      authorId: 'u2',
      username: 'happy',
      followers: 80,
      createdAt: now,
    });
    // The same tweet again (a second rule matching, then more likes): one post, no second alert.
    x.tweet({
      id: 't1',
      text: '@united lost my bag AGAIN and nobody at the desk will help. Worst airline ever.',
      authorId: 'u1',
      username: 'angry_flyer',
      followers: 5400,
      createdAt: now,
      likes: 40,
    });
    // X drops the connection: the connector reconnects and keeps reading.
    x.disconnect();
    await x.waitForConnections(1);
    x.tweet({
      id: 't3',
      text: '@united my flight is delayed 3 hours and counting, terrible',
      authorId: 'u3',
      username: 'late',
      followers: 900,
      createdAt: now,
    });

    // Generic signed webhook: good, replayed, unsigned, badly signed, stale, unknown channel, malformed post.
    const push = (
      posts: unknown[],
      signAt = Math.floor(Date.now() / 1000),
      secret = SECRET,
      channel = 'trustpilot',
    ) => {
      const body = JSON.stringify({ posts });
      return api('POST', `/v1/social/webhooks/${channel}`, null, body, {
        'hexcast-signature': webhookSignature(secret, body, signAt),
      });
    };
    const review = {
      postId: 'r1',
      author: { id: 'a1', handle: 'reviewer', followers: 20 },
      text: 'Awful. Delta cancelled my flight and I am still waiting for my refund.',
      createdAt: now,
      brands: ['delta'],
    };
    const good = await push([
      review,
      { postId: 'r-bad', author: { id: 'a2' } },
      { ...review, postId: 'r-nobrand', text: 'lovely weather', brands: [] },
    ]);
    expect(good.status).toBe(200);
    expect(good.body.accepted).toBe(1);
    expect(good.body.rejected.map((r: { code: string }) => r.code).sort()).toEqual([
      'HX_POST_INVALID',
      'HX_POST_NO_BRAND',
    ]);
    expect((await push([review])).status).toBe(200); // a retry
    const unsigned = await api('POST', '/v1/social/webhooks/trustpilot', null, { posts: [review] });
    expect([unsigned.status, unsigned.body.code]).toEqual([401, 'HX_SOCIAL_SIGNATURE_INVALID']);
    expect((await push([review], undefined, 'wrong-secret-wrong-secret')).body.details.problem).toBe(
      'mismatch',
    );
    expect((await push([review], Math.floor(Date.now() / 1000) - 3600)).body.details.problem).toBe('stale');
    expect((await push([review], undefined, SECRET, 'myspace')).body.code).toBe('HX_CHANNEL_UNKNOWN');

    // Graph webhooks: the handshake, a signed page comment, a bad signature.
    const handshake = await api(
      'GET',
      '/v1/social/graph?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444',
      null,
    );
    expect([handshake.status, handshake.body]).toEqual([200, 1158201444]);
    expect(
      (await api('GET', '/v1/social/graph?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1', null))
        .body.code,
    ).toBe('HX_GRAPH_VERIFY_FAILED');
    const graphBody = JSON.stringify({
      object: 'page',
      entry: [
        {
          id: 'page-1',
          time: Math.floor(now / 1000),
          changes: [
            {
              field: 'feed',
              value: {
                item: 'comment',
                verb: 'add',
                post_id: 'page-1_post-9',
                comment_id: 'page-1_c-77',
                parent_id: 'page-1_post-9',
                message: 'Southwest, you are the best, thank you!',
                from: { id: 'fb-5', name: 'Sam' },
                created_time: Math.floor(now / 1000),
              },
            },
          ],
        },
      ],
    });
    const sig = `sha256=${createHmac('sha256', APP_SECRET).update(graphBody).digest('hex')}`;
    const graph = await api('POST', '/v1/social/graph', null, graphBody, { 'x-hub-signature-256': sig });
    expect([graph.status, graph.body.accepted]).toEqual([200, 1]);
    const forged = await api('POST', '/v1/social/graph', null, graphBody, {
      'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
    });
    expect([forged.status, forged.body.code]).toEqual([401, 'HX_SOCIAL_SIGNATURE_INVALID']);

    // Stored and scored (the message DB), each once.
    const posts = async (brand: string) =>
      (await api('GET', `/v1/sentiment/posts?brand=${brand}`, care)).body.posts as Array<{
        postId: string;
        engagement: { likes: number };
        score: { label: string; reason?: string };
      }>;
    await waitFor(
      async () =>
        (await posts('united')).length === 3 &&
        (await posts('delta')).length === 1 &&
        (await posts('southwest')).length === 1,
      { timeoutMs: 20_000, message: 'posts stored' },
    );
    const united = await posts('united');
    const t1 = united.find((p) => p.postId === 't1')!;
    expect(t1.score.label).toBe('negative');
    expect(t1.engagement.likes).toBe(40);
    expect(united.find((p) => p.postId === 't2')!.score.label).toBe('positive');
    expect((await posts('southwest')).map((p) => p.score.label)).toEqual(['positive']);

    // Care alerts: the influential negatives, one each; the queue by priority; claim and resolve.
    await waitFor(async () => (await api('GET', '/v1/care/alerts', care)).body.alerts.length >= 3, {
      timeoutMs: 20_000,
      message: 'three alerts',
    });
    const alerts = (await api('GET', '/v1/care/alerts', care)).body.alerts as Array<{
      id: string;
      brand: string;
      priority: number;
      detail: { post: { postId: string } };
    }>;
    expect(alerts.map((a) => a.detail.post.postId).sort()).toEqual(['r1', 't1', 't3']);
    expect(alerts[0]!.detail.post.postId).toBe('t1'); // 5,400 followers, 40 likes
    for (let i = 1; i < alerts.length; i++)
      expect(alerts[i - 1]!.priority).toBeGreaterThanOrEqual(alerts[i]!.priority);
    const claimed = await api('POST', `/v1/care/alerts/${alerts[0]!.id}/claim`, care);
    expect(claimed.body.status).toBe('claimed');
    expect(claimed.body.firstResponseMs).toBeGreaterThanOrEqual(0);
    expect((await api('POST', `/v1/care/alerts/${alerts[0]!.id}/claim`, otherCare)).body.code).toBe(
      'HX_ALERT_CLAIMED',
    );
    expect(
      (await api('POST', `/v1/care/alerts/${alerts[1]!.id}/resolve`, care, { note: 'x' })).body.code,
    ).toBe('HX_ALERT_NOT_CLAIMED');
    const resolved = await api('POST', `/v1/care/alerts/${alerts[0]!.id}/resolve`, care, {
      note: 'sent a DM, bag located',
    });
    expect([resolved.body.status, resolved.body.note]).toEqual(['resolved', 'sent a DM, bag located']);

    // The live summary.
    const summary = async (brand: string) =>
      (await api('GET', `/v1/sentiment/summary?brand=${brand}&window=60`, care)).body.views as Array<{
        channel: string;
        volume: number;
        negativeShare: number;
        spike: boolean;
        topReasons: Array<{ value: string }>;
      }>;
    await waitFor(async () => (await summary('united')).find((v) => v.channel === 'x')?.volume === 3, {
      timeoutMs: 20_000,
      message: 'summary',
    });
    const ux = (await summary('united')).find((v) => v.channel === 'x')!;
    expect(ux.negativeShare).toBeCloseTo(2 / 3);

    // A burst of negative posts about Delta on one channel: a spike alert, once.
    await push(
      Array.from({ length: 10 }, (_, i) => ({
        postId: `burst-${i}`,
        author: { id: `b${i}`, followers: 0 },
        text: `Delta lost my luggage, this is horrible ${i}`,
        createdAt: now,
      })),
    );
    await waitFor(async () => (await summary('delta')).some((v) => v.spike), {
      timeoutMs: 20_000,
      message: 'spike',
    });
    await waitFor(
      async () =>
        ((await api('GET', '/v1/care/alerts?brand=delta', care)).body.alerts as Array<{ kind: string }>).some(
          (a) => a.kind === 'spike',
        ),
      { timeoutMs: 20_000, message: 'spike alert' },
    );

    // The care system received every alert, the spike too, once each.
    const raised = (await api('GET', '/v1/care/alerts?status=open&limit=100', care)).body.alerts as Array<{
      id: string;
    }>;
    await waitFor(() => atCare.some((e) => e.data.kind === 'spike'), {
      timeoutMs: 20_000,
      message: 'spike at care',
    });
    const ids = atCare.map((e) => e.data.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const a of raised) expect(ids).toContain(a.id);
    expect(ids.length).toBeGreaterThanOrEqual(4); // three posts' alerts and the spike's
    // Marked delivered once the care system has answered.
    await waitFor(
      async () =>
        (await api('GET', '/v1/care/webhooks?status=delivered', care)).body.items.length === ids.length,
      { message: 'every care delivery marked delivered' },
    );

    // Counters for what was refused.
    const metrics = await (await fetch(`${dev.api}/metrics`)).text();
    expect(metrics).toMatch(
      /hexcast_social_signature_failures_total\{channel="trustpilot",problem="mismatch"\} 1/,
    );
    expect(metrics).toMatch(
      /hexcast_social_posts_rejected_total\{channel="trustpilot",code="HX_POST_NO_BRAND"\} 1/,
    );
    expect(metrics).toMatch(/hexcast_x_stream_lines_total\{kind="malformed"\} 1/);
    expect(x.connects).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
