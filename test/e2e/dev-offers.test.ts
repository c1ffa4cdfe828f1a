import { createEventRegistry, type Envelope, OFFER_EVENTS, TOPICS } from '@hexcast/core';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaFor } from '../helpers/broker.js';
import { type DevProcess, startDev } from '../helpers/dev.js';
import { waitFor } from '../helpers/wait-for.js';

const CENTRE = { lat: 48.8606, lng: 2.3376 }; // the Louvre
const OUTSIDE = { lat: 48.8636, lng: 2.3376 }; // ~330 m north
const CENTRE_B = { lat: 48.853, lng: 2.3499 }; // Notre-Dame
const OUTSIDE_B = { lat: 48.856, lng: 2.3499 };

interface OfferData {
  offerId: string;
  code: string;
  deviceId: string;
  campaignId: string;
  expiresAt: number;
}

describe('coupons end to end on the embedded engines (hexcast dev)', () => {
  let dev: DevProcess | undefined;
  const clients: MqttClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await dev?.stop();
  });

  it('a device walking in gets exactly one coupon; an offline one never gets it and the ledger says expired; redemption works once', async () => {
    dev = await startDev({ HX_GATEWAY_PURGE_INTERVAL_MS: '200' });
    const seen = dev;
    // No model was ever published: the worker says it runs on the heuristic.
    expect(dev.lines.some((l) => l.includes('offers are ranked by the heuristic'))).toBe(true);

    const admin = dev.adminKey();
    const call = async (method: string, url: string, token: string, body?: unknown, headers = {}) => {
      const res = await fetch(`${seen.api}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const keyOf = async (role: string) =>
      (await call('POST', '/v1/keys', admin, { role, name: `e2e-${role}` })).body.token as string;
    const marketer = await keyOf('marketer');
    const merchant = await keyOf('merchant');

    const created = await call('POST', '/v1/campaigns', marketer, {
      name: 'Louvre coffee',
      fence: { type: 'Circle', center: [CENTRE.lng, CENTRE.lat], radiusM: 150 },
      startsAt: '2020-01-01T00:00:00Z',
      endsAt: '2099-01-01T00:00:00Z',
      timezone: 'Europe/Paris',
      status: 'active',
      offer: {
        title: 'Coffee −20%',
        body: 'Two steps away',
        ttlSeconds: 600,
        budget: 10,
        category: 'coffee',
      },
    });
    expect(created.status).toBe(201);
    const campaignId = created.body.id as string;
    expect(created.body.offer).toMatchObject({
      ttlSeconds: 600,
      budget: 10,
      capPerDevice: 1,
      trigger: 'enter',
    });
    // A second campaign whose coupons live 5 s, for the device that is away.
    const shortLived = await call('POST', '/v1/campaigns', marketer, {
      name: 'Notre-Dame flash',
      fence: { type: 'Circle', center: [CENTRE_B.lng, CENTRE_B.lat], radiusM: 150 },
      startsAt: '2020-01-01T00:00:00Z',
      endsAt: '2099-01-01T00:00:00Z',
      status: 'active',
      offer: { title: 'Flash sale', ttlSeconds: 5, budget: 10 },
    });
    expect(shortLived.status).toBe(201);
    const flashId = shortLived.body.id as string;

    const registry = createEventRegistry();
    for (const e of OFFER_EVENTS) registry.register(e);
    const kafka = kafkaFor(seen.bootstrap);
    const offers: Envelope<OfferData>[] = [];
    const consumer = kafka.consumer({ groupId: 'e2e-offers-reader', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.offers.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        try {
          offers.push(registry.decode(message.value) as Envelope<OfferData>);
        } catch (e) {
          console.error('DECODE', e);
        }
      },
    });

    const device = async (id: string) => {
      const registered = await call('POST', '/v1/devices', merchant, {
        deviceId: id,
        region: 'local',
        platform: 'node',
      });
      expect(registered.status).toBe(201);
      return registered.body.token as string;
    };
    const connect = async (id: string, token: string) => {
      const client = await mqtt.connectAsync(seen.mqtt, {
        clientId: id,
        username: id,
        password: token,
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      clients.push(client);
      return client;
    };
    // Fixes 8 s apart: ~40 m/s between them, under the impossible-travel bound (100 m/s).
    let ts = Date.now() - 50_000;
    const walkIn = (client: MqttClient, id: string, from = OUTSIDE, to = CENTRE) => {
      ts += 10_000;
      const fixes = [
        { ...from, accuracy: 5, ts },
        { ...to, accuracy: 5, ts: ts + 8000 },
      ];
      return client.publishAsync(`hx/d/${id}/loc`, JSON.stringify({ fixes }), { qos: 1 });
    };

    // Device A is online, subscribed to its inbox, and walks in until the campaign has reached
    // the geo worker (within a second of its creation).
    const tokenA = await device('e2e-walker-a');
    const a = await connect('e2e-walker-a', tokenA);
    const inboxA: Array<{ type: string; id: string; content: { code: string; title: string } }> = [];
    a.on('message', (_topic, payload) => inboxA.push(JSON.parse(payload.toString())));
    await a.subscribeAsync('hx/d/e2e-walker-a/inbox', { qos: 1 });
    const couponsA = () => inboxA.filter((m) => m.type === 'offer');
    await waitFor(
      async () => {
        if (couponsA().length === 0) await walkIn(a, 'e2e-walker-a');
        return couponsA().length > 0;
      },
      { timeoutMs: 20_000, intervalMs: 400, message: 'coupon on device A' },
    );
    const offerA = await waitFor(() => offers.find((o) => o.data.deviceId === 'e2e-walker-a'), {
      timeoutMs: 5000,
      message: 'offer A on hx.offers',
    });
    expect(couponsA()[0]).toMatchObject({
      type: 'offer',
      id: offerA.id,
      content: { code: offerA.data.code, title: 'Coffee −20%' },
    });
    expect(offerA.data.code).toMatch(
      /^HX-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/,
    );

    // Redemption (within A's 5 s TTL): once; the same key again is an idempotent repeat; another key is refused.
    const first = await call('POST', `/v1/coupons/${offerA.data.code}/redeem`, merchant, undefined, {
      'idempotency-key': 'till-7-receipt-1',
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ offerId: offerA.id, replayed: false });
    const again = await call(
      'POST',
      `/v1/coupons/${offerA.data.code.toLowerCase()}/redeem`,
      merchant,
      undefined,
      {
        'idempotency-key': 'till-7-receipt-1',
      },
    );
    expect(again.body).toMatchObject({ replayed: true, redeemedAt: first.body.redeemedAt });
    const other = await call('POST', `/v1/coupons/${offerA.data.code}/redeem`, merchant, {});
    expect([other.status, other.body.code]).toEqual([409, 'HX_COUPON_ALREADY_REDEEMED']);
    // Device B walks in without listening (connected, never subscribed to its inbox), then leaves.
    const tokenB = await device('e2e-offline-b');
    const b = await connect('e2e-offline-b', tokenB);
    await waitFor(
      async () => {
        await walkIn(b, 'e2e-offline-b', OUTSIDE_B, CENTRE_B);
        return offers.some((o) => o.data.deviceId === 'e2e-offline-b');
      },
      { timeoutMs: 20_000, intervalMs: 1000, message: 'offer B on hx.offers' },
    );
    await b.endAsync();
    const offerB = await waitFor(() => offers.find((o) => o.data.deviceId === 'e2e-offline-b'), {
      timeoutMs: 10_000,
      message: 'offer B on hx.offers',
    });
    expect(offerB.expiresAt! - offerB.ts).toBe(5000);
    expect(offerB.ts).toBeLessThanOrEqual(Date.now());
    // Its TTL passes in the gateway's queue: the ledger shows it expired there.
    const couponB = await waitFor(
      async () => {
        const r = await call('GET', `/v1/coupons/${offerB.data.code}`, merchant);
        return r.body.status === 'expired' ? r.body : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, message: 'coupon B expired in the ledger' },
    );
    expect(couponB).toMatchObject({ redeemable: false, campaignId: flashId });
    // B comes back: nothing is published to it (the queue was purged when the deadline passed).
    const b2 = await connect('e2e-offline-b', tokenB);
    const inboxB: unknown[] = [];
    b2.on('message', (_t, p) => inboxB.push(JSON.parse(p.toString())));
    await b2.subscribeAsync('hx/d/e2e-offline-b/inbox', { qos: 1 });

    const expired = await call('POST', `/v1/coupons/${offerB.data.code}/redeem`, merchant, {});
    expect([expired.status, expired.body.code]).toEqual([410, 'HX_COUPON_EXPIRED']);
    const unknown = await call('POST', '/v1/coupons/HX-0000-0000-0000/redeem', merchant, {});
    expect([unknown.status, unknown.body.code]).toEqual([404, 'HX_COUPON_UNKNOWN']);
    // Only merchants redeem.
    expect((await call('POST', `/v1/coupons/${offerA.data.code}/redeem`, marketer, {})).status).toBe(403);

    // The campaign's results add up.
    const stats = await waitFor(
      async () => {
        const r = await call('GET', `/v1/campaigns/${campaignId}/stats`, marketer);
        return r.body.delivered === 1 ? r.body : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 250, message: 'stats' },
    );
    expect(stats).toMatchObject({
      issued: 1,
      pending: 0,
      delivered: 1,
      expired: { total: 0 },
      rejected: { total: 0 },
      redeemed: 1,
      budget: 10,
      budgetLeft: 9,
      live: true,
    });
    const flash = await call('GET', `/v1/campaigns/${flashId}/stats`, marketer);
    expect(flash.body).toMatchObject({
      issued: 1,
      pending: 0,
      delivered: 0,
      expired: { total: 1, queue: 1 },
      redeemed: 0,
      budgetLeft: 9,
    });
    // Exactly one coupon reached A, none reached B.
    expect(couponsA()).toHaveLength(1);
    expect(inboxB.filter((m) => (m as { type: string }).type !== 'hello')).toEqual([]);
    expect(offers.filter((o) => o.data.deviceId === 'e2e-walker-a')).toHaveLength(1);

    await consumer.disconnect();
    expect(await dev.stop('SIGTERM')).toBe(0);
  });
});
