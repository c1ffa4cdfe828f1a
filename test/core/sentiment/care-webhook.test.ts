import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiKeyRepository,
  buildApi,
  CARE_WEBHOOK_TARGET,
  CareAlerts,
  checkWebhookSignature,
  Metrics,
  migrate,
  PgliteRecords,
  RecordsPostStore,
  SentimentSummary,
  type SocialPost,
  sentimentRoutes,
  silentLogger,
  WebhookOutbox,
  WebhookSender,
} from '@hexcast/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../helpers/bus.js';
import { waitFor } from '../../helpers/wait-for.js';

const SECRET = 'care-system-shared-secret';

/** A care system's endpoint (stand-in for a helpdesk such as Zendesk): checks each signature, answers as told. */
function careSystem() {
  const received: Array<{ id: string; type: string; data: { id: string; kind: string } }> = [];
  const refused: string[] = [];
  const state = { status: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const problem = checkWebhookSignature(
        SECRET,
        req.headers['hexcast-signature'] as string | undefined,
        body,
        Math.floor(Date.now() / 1000),
      );
      if (problem !== null) {
        refused.push(problem);
        res.writeHead(401).end();
        return;
      }
      if (state.status === 200) received.push(JSON.parse(body.toString()));
      res.writeHead(state.status).end();
    });
  });
  return { server, received, refused, state };
}

const post = (postId: string, authorId = `author-${postId}`): SocialPost => ({
  channel: 'x',
  postId,
  brand: 'delta',
  matchedBrands: ['delta'],
  matchedRules: ['delta'],
  author: { id: authorId, handle: 'angry', followers: 5000 },
  text: 'Delta lost my bag and nobody answers',
  createdAt: Date.now(),
  engagement: { likes: 10, shares: 2, replies: 1 },
});
const score = { compound: -0.8, label: 'negative' as const, reason: 'lost luggage', modelVersion: 'test' };

describe('the care webhook: every new alert posted to the care system, signed, retried, dead-lettered', () => {
  let records: PgliteRecords;
  let app: FastifyInstance;
  let careKey: string;
  const care = careSystem();
  const metrics = new Metrics();
  let sender: WebhookSender;
  let alerts: CareAlerts;

  beforeAll(async () => {
    records = await PgliteRecords.open(null);
    await migrate(records);
    await new Promise<void>((resolve) => care.server.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(care.server.address() as AddressInfo).port}/hooks/hexcast`;
    const outbox = new WebhookOutbox(records);
    alerts = new CareAlerts(records, Date.now, outbox);
    sender = new WebhookSender({
      name: 'care_webhooks',
      outbox,
      targets: { only: CARE_WEBHOOK_TARGET },
      target: async () => ({ url, secret: SECRET }),
      maxAttempts: 3,
      retry: { initialMs: 5, maxMs: 20 },
      pollMs: 20,
      metrics,
      logger: silentLogger(),
    });
    await sender.start();
    const keys = new ApiKeyRepository(records);
    careKey = (await keys.create('care', 'agent')).token;
    app = await buildApi({
      logger: silentLogger(),
      metrics,
      keys,
      rateLimitPerMinute: 100_000,
      routes: [
        sentimentRoutes({
          summary: new SentimentSummary({ spikeMinPosts: 10, spikeMargin: 0.3 }),
          onChange: () => () => undefined,
          posts: new RecordsPostStore(records),
          alerts,
          webhooks: outbox,
          alertLeaseMs: 60_000,
        }),
      ],
    });
  });
  afterAll(async () => {
    await sender.close();
    await app.close();
    care.server.close();
    await records.close();
  });

  const deliveries = async (status?: string) =>
    (
      await app.inject({
        method: 'GET',
        url: `/v1/care/webhooks${status === undefined ? '' : `?status=${status}`}`,
        headers: { authorization: `Bearer ${careKey}` },
      })
    ).json().items as Array<{
      id: string;
      alertId: string;
      status: string;
      attempts: number;
      lastError: string;
    }>;

  it('posts each new alert once, signed; a post that joins an open alert sends nothing more', async () => {
    const alert = await alerts.raiseForPost(post('p1'), score);
    expect(alert).not.toBeNull();
    sender.nudge();
    await waitFor(() => care.received.length === 1, { message: 'the alert at the care system' });
    expect(care.received[0]).toMatchObject({
      id: `care:${alert!.id}`,
      type: 'care.alert',
      data: { id: alert!.id, kind: 'negative-post', brand: 'delta', reason: 'lost luggage' },
    });
    expect(care.refused).toEqual([]);
    // The same author again while the alert is open: it joins it, nothing is sent.
    expect(await alerts.raiseForPost(post('p2', 'author-p1'), score)).toBeNull();
    // A marker alert after it: once the marker arrives, nothing else did.
    const marker = await alerts.raiseForPost(post('marker'), score);
    sender.nudge();
    await waitFor(() => care.received.some((r) => r.data.id === marker!.id));
    expect(care.received).toHaveLength(2);
    expect((await deliveries('delivered')).map((d) => d.alertId).sort()).toEqual(
      [alert!.id, marker!.id].sort(),
    );
  });

  it('retries a failing care system, lists the delivery as dead after its attempts, and sends it again on request', async () => {
    care.state.status = 503;
    const spike = await alerts.raiseForSpike({
      brand: 'delta',
      channel: 'x',
      minute: 1_800_000_000_000,
      negativeShare: 0.9,
      baseline: 0.2,
      volume: 40,
    });
    sender.nudge();
    await waitFor(async () => (await deliveries('dead')).length === 1, {
      timeoutMs: 10_000,
      message: 'dead',
    });
    const [dead] = await deliveries('dead');
    expect(dead).toMatchObject({ alertId: spike!.id, attempts: 3, lastError: 'HTTP 503' });
    expect(await metricValue(metrics, 'hexcast_care_webhooks_total', { outcome: 'dead' })).toBe(1);
    expect(await metricValue(metrics, 'hexcast_care_webhooks_total', { outcome: 'failed' })).toBe(2);

    care.state.status = 200;
    const retried = await app.inject({
      method: 'POST',
      url: `/v1/care/webhooks/${encodeURIComponent(dead!.id)}/retry`,
      headers: { authorization: `Bearer ${careKey}` },
    });
    expect(retried.statusCode).toBe(200);
    await waitFor(() => care.received.some((r) => r.data.id === spike!.id), { message: 'sent again' });
    expect(await deliveries('dead')).toEqual([]);
    const again = await app.inject({
      method: 'POST',
      url: `/v1/care/webhooks/${encodeURIComponent(dead!.id)}/retry`,
      headers: { authorization: `Bearer ${careKey}` },
    });
    expect([again.statusCode, again.json().code]).toEqual([409, 'HX_WEBHOOK_NOT_DEAD']);
  });
});
