import { Agent, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { type Broker, type Envelope, TOPICS } from '@hexcast/core';
import { FcmSender, fcmMessaging, WebPushSender } from '@hexcast/edge-gateway';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { startBroker } from '../helpers/broker.js';
import { metricValue } from '../helpers/bus.js';
import { collectTopic, type GatewayFixture, produceItem, startGateway } from '../helpers/gateway.js';
import { browserSubscription, startPushService, verifyVapid } from '../helpers/push-service.js';
import { selfSignedCert } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait-for.js';

const REGION = 'eu';
const tls = selfSignedCert(['localhost', 'fcm.googleapis.com']);
const note = { title: 'Coffee nearby', body: '20% off for the next hour' };

interface Receipt {
  itemId: string;
  status: string;
  where?: string;
  channel?: string;
}

async function register(gw: GatewayFixture, deviceId: string, body: unknown): Promise<number> {
  const response = await fetch(`${gw.gateway.httpUrl()}/v1/push`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${await gw.tokenFor(deviceId)}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.status;
}

describe('push fallback', () => {
  let broker: Broker;
  let offset = 0;
  const clock = () => Date.now() + offset;
  let gw: GatewayFixture;
  let receipts: { envelopes: Envelope[]; close(): Promise<void> };
  const receiptsOf = (id: string) =>
    receipts.envelopes.map((e) => e.data as Receipt).filter((r) => r.itemId === id);

  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker.close();
  });
  afterEach(async () => {
    await receipts.close();
    await gw.close();
  });

  describe('Web Push, against a local push service that decrypts the payload (RFC 8291)', () => {
    let service: Awaited<ReturnType<typeof startPushService>>;
    const vapid = { ...webpush.generateVAPIDKeys(), subject: 'mailto:ops@hexcast.test' };
    let failFor = new Set<string>();

    beforeEach(async () => {
      offset = 0;
      failFor = new Set();
      service = await startPushService(tls, (req) => (failFor.has(req.path) ? 410 : 201));
      const sender = new WebPushSender(vapid, new Agent({ ca: tls.cert }));
      gw = await startGateway({
        broker,
        region: REGION,
        clock,
        gateway: { pushGraceMs: 150, purgeIntervalMs: 60_000 },
        push: { senders: [sender], vapidPublicKey: vapid.publicKey },
      });
      receipts = await collectTopic(gw.kafka, gw.registry, TOPICS.receipts.name);
    });
    afterEach(async () => {
      await service.close();
    });

    it('pushes to an offline device after the grace, encrypted, VAPID-signed, TTL = remaining seconds', async () => {
      const browser = browserSubscription(`${service.origin}/push/sub-1`);
      expect(await register(gw, 'web-1', { webpush: browser.subscription })).toBe(204);
      const vapidKey = await (await fetch(`${gw.gateway.httpUrl()}/v1/push/vapid`)).json();
      expect(vapidKey).toEqual({ publicKey: vapid.publicKey });

      const id = await produceItem(gw, REGION, 'web-1', clock() + 120_000, { notification: note });
      await waitFor(() => service.requests.length === 1);
      const [request] = service.requests;
      expect(request!.path).toBe('/push/sub-1');
      expect(request!.headers['content-encoding']).toBe('aes128gcm');
      const ttl = Number(request!.headers.ttl);
      expect(ttl).toBeLessThanOrEqual(120);
      expect(ttl).toBeGreaterThanOrEqual(115);
      const claims = await verifyVapid(
        request!.headers.authorization as string,
        vapid.publicKey,
        service.origin,
      );
      expect(claims.sub).toBe('mailto:ops@hexcast.test');
      const decrypted = JSON.parse(browser.decrypt(request!.body)) as {
        title: string;
        body: string;
        item: string;
      };
      expect(decrypted).toMatchObject(note);
      expect(JSON.parse(decrypted.item)).toMatchObject({ type: 'offer', id, expiresAt: expect.any(Number) });
      await waitFor(() => receiptsOf(id).some((r) => r.status === 'pushed'));
      expect(receiptsOf(id)).toEqual([expect.objectContaining({ status: 'pushed', channel: 'webpush' })]);

      // Never confirmed by the device before the deadline: it ends expired, where: push.
      offset += 120_000;
      await gw.gateway.dispatcher.purgeNow();
      await waitFor(() => receiptsOf(id).length === 2);
      expect(receiptsOf(id)[1]).toMatchObject({ status: 'expired', where: 'push' });
    });

    it('does not push what would arrive after the deadline, nor to a connected device', async () => {
      const browser = browserSubscription(`${service.origin}/push/sub-2`);
      await register(gw, 'web-2', { webpush: browser.subscription });
      const late = await produceItem(gw, REGION, 'web-2', clock() + 900, { notification: note }); // < 1 s left after the grace
      const online = await gw.connect('web-3');
      await online.subscribeAsync('hx/d/web-3/inbox', { qos: 1 });
      await register(gw, 'web-3', {
        webpush: browserSubscription(`${service.origin}/push/sub-3`).subscription,
      });
      const here = await produceItem(gw, REGION, 'web-3', clock() + 60_000, { notification: note });
      await waitFor(() => receiptsOf(here).some((r) => r.status === 'delivered'));
      await new Promise((r) => setTimeout(r, 400));
      expect(service.requests).toEqual([]);
      offset += 1000;
      await gw.gateway.dispatcher.purgeNow();
      await waitFor(() => receiptsOf(late).length === 1);
      expect(receiptsOf(late)[0]).toMatchObject({ status: 'expired', where: 'queue' });
    });

    it('a push service answering 410 Gone: counted, the subscription forgotten, the item stays queued for MQTT', async () => {
      failFor.add('/push/sub-4');
      await register(gw, 'web-4', {
        webpush: browserSubscription(`${service.origin}/push/sub-4`).subscription,
      });
      const id = await produceItem(gw, REGION, 'web-4', clock() + 60_000, { notification: note });
      await waitFor(
        async () =>
          (await metricValue(gw.metrics, 'hexcast_delivery_push_failures_total', { channel: 'webpush' })) ===
          1,
      );
      expect(await gw.pushRegistry.get('web-4')).toEqual({}); // the gone subscription is forgotten
      const device = await gw.connect('web-4');
      await device.subscribeAsync('hx/d/web-4/inbox', { qos: 1 });
      await waitFor(() => receiptsOf(id).some((r) => r.status === 'delivered'));
    });

    it('refuses a registration without a valid device token or with a malformed subscription', async () => {
      const bad = await fetch(`${gw.gateway.httpUrl()}/v1/push`, {
        method: 'PUT',
        headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
        body: '{}',
      });
      expect(bad.status).toBe(401);
      expect(
        await register(gw, 'web-5', {
          webpush: { endpoint: 'https://x', keys: { p256dh: 'short', auth: 'x' } },
        }),
      ).toBe(400);
    });
  });

  describe('FCM, against a local HTTPS endpoint standing in for FCM (fcm.googleapis.com is unreachable here)', () => {
    it('falls back from a failing Web Push to FCM via firebase-admin, android.ttl and apns-expiration from the remaining time (FCM stand-in)', async () => {
      offset = 0;
      const standIn = await startPushService(tls);
      const brokenWebPush = await startPushService(tls, () => 503);
      const vapid = { ...webpush.generateVAPIDKeys(), subject: 'mailto:ops@hexcast.test' };
      // Every HTTPS connection firebase-admin opens goes to the stand-in, verified with its certificate.
      class StandInAgent extends Agent {
        override createConnection(options: RequestOptions): Duplex {
          // Returned synchronously, so the agent's callback is not used.
          return tlsConnect({
            ...(options as ConnectionOptions),
            host: '127.0.0.1',
            port: standIn.port,
            servername: 'fcm.googleapis.com',
            ca: tls.cert,
          });
        }
      }
      const messaging = await fcmMessaging({
        credential: { getAccessToken: async () => ({ access_token: 'stand-in-token', expires_in: 3600 }) },
        projectId: 'hexcast-test',
        httpAgent: new StandInAgent({ keepAlive: false }),
      });
      gw = await startGateway({
        broker,
        region: REGION,
        clock,
        gateway: { pushGraceMs: 100, purgeIntervalMs: 60_000 },
        push: { senders: [new WebPushSender(vapid, new Agent({ ca: tls.cert })), new FcmSender(messaging)] },
      });
      receipts = await collectTopic(gw.kafka, gw.registry, TOPICS.receipts.name);
      const browser = browserSubscription(`${brokenWebPush.origin}/push/a1`);
      expect(
        await register(gw, 'android-1', {
          webpush: browser.subscription,
          fcmToken: 'fcm-registration-token-123',
        }),
      ).toBe(204);
      const expiresAt = clock() + 300_000;
      const id = await produceItem(gw, REGION, 'android-1', expiresAt, { notification: note });
      await waitFor(() => standIn.requests.length === 1);
      const [request] = standIn.requests;
      expect(request!.path).toBe('/v1/projects/hexcast-test/messages:send');
      expect(request!.headers.authorization).toBe('Bearer stand-in-token');
      const { message } = JSON.parse(request!.body.toString()) as {
        message: {
          token: string;
          notification: unknown;
          android: { ttl: string };
          apns: { headers: Record<string, string> };
          data: { item: string };
        };
      };
      expect(message.token).toBe('fcm-registration-token-123');
      expect(message.notification).toEqual(note);
      const ttlSeconds = Number.parseFloat(message.android.ttl);
      expect(ttlSeconds).toBeLessThanOrEqual(300);
      expect(ttlSeconds).toBeGreaterThanOrEqual(295);
      expect(Number(message.apns.headers['apns-expiration'])).toBe(Math.floor(expiresAt / 1000));
      expect(JSON.parse(message.data.item)).toMatchObject({ id });
      await waitFor(() => receiptsOf(id).some((r) => r.status === 'pushed' && r.channel === 'fcm'));
      expect(brokenWebPush.requests).toHaveLength(1); // tried first
      expect(
        await metricValue(gw.metrics, 'hexcast_delivery_push_failures_total', { channel: 'webpush' }),
      ).toBe(1);
      expect(receiptsOf(id).filter((r) => r.status === 'pushed')).toHaveLength(1);
      await standIn.close();
      await brokenWebPush.close();
    });
  });
});
