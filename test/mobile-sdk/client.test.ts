import { createServer } from 'node:net';
import { type Broker, type Envelope, TOPICS } from '@hexcast/core';
import { createClient, type HexcastClient, type InboxItem } from '@hexcast/mobile-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import { collectTopic, type GatewayFixture, produceItem, startGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait-for.js';

const REGION = 'sdk';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('mobile SDK against a real gateway (embedded broker, aedes over TCP and WebSocket)', () => {
  let broker: Broker;
  let gw: GatewayFixture | undefined;
  const clients: HexcastClient[] = [];
  let port: number;

  const gateway = async () => {
    gw = await startGateway({ broker, region: REGION, gateway: { mqttPort: port, purgeIntervalMs: 100 } });
    return gw;
  };
  const client = (deviceId: string, options: Partial<Parameters<typeof createClient>[0]> = {}) => {
    const c = createClient({
      gatewayUrl: `mqtt://127.0.0.1:${port}`,
      deviceId,
      getToken: () => gw!.tokenFor(deviceId),
      reconnect: { initialMs: 50, maxMs: 300 },
      ...options,
    });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    broker = await startBroker();
    port = await freePort();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await gw?.close();
    gw = undefined;
    await broker.close();
  });

  it('connects, receives an offer once, and reports received / opened / redeemed', async () => {
    await gateway();
    const receipts = await collectTopic(gw!.kafka, gw!.registry, TOPICS.receipts.name);
    const phone = client('sdk-phone');
    const offers: InboxItem[] = [];
    phone.onOffer((offer) => offers.push(offer));
    await phone.connect();
    const id = await produceItem(gw!, REGION, 'sdk-phone', Date.now() + 60_000, {
      content: { code: 'HX-42' },
    });
    await waitFor(() => offers.length === 1);
    expect(offers[0]).toMatchObject({ id, kind: 'offer', content: { code: 'HX-42' } });
    await offers[0]!.open();
    await offers[0]!.redeem();
    const statuses = () =>
      receipts.envelopes
        .map((e) => e.data as { status: string; itemId: string })
        .filter((r) => r.itemId === id)
        .map((r) => r.status);
    await waitFor(() => statuses().length === 4);
    expect(statuses().sort()).toEqual(['delivered', 'opened', 'received', 'redeemed']);
    // The receipts reached the bus before the SDK may have processed their PUBACKs.
    await waitFor(() => phone.stats().buffered === 0);
    expect(phone.stats()).toMatchObject({ duplicateDropped: 0, expiredDropped: 0 });
    await receipts.close();
  });

  it('asks getToken() again when the gateway refuses an expired token', async () => {
    await gateway();
    let calls = 0;
    const phone = client('sdk-token', {
      getToken: async () => {
        calls++;
        return calls === 1
          ? gw!.tokenFor('sdk-token', REGION, Date.now() - 3600_000)
          : gw!.tokenFor('sdk-token');
      },
    });
    await phone.connect();
    expect(calls).toBe(2);
    expect(phone.connected).toBe(true);
  });

  it('buffers while the gateway is down, reconnects with backoff, and flushes in order without duplicates', async () => {
    const phone = client('sdk-offline');
    const disconnects: number[] = [];
    phone.on('disconnected', (d) => d.inMs !== undefined && disconnects.push(d.inMs));
    const connecting = phone.connect(); // nothing listens yet
    for (let i = 0; i < 10; i++)
      await phone.trackLocation({ lat: 45 + i / 1000, lng: 4.8, accuracy: 5, ts: Date.now() - 10_000 + i });
    expect(phone.stats().buffered).toBe(10);
    await waitFor(() => disconnects.length >= 2); // it kept trying
    await gateway();
    const locations = await collectTopic(gw!.kafka, gw!.registry, TOPICS.locations.name);
    await connecting;
    await waitFor(() => phone.stats().buffered === 0);

    // The gateway restarts (same port): the SDK comes back by itself and goes on.
    await gw!.close();
    gw = undefined;
    await phone.trackLocation({ lat: 46, lng: 4.8, accuracy: 5 });
    await gateway();
    await waitFor(() => phone.connected && phone.stats().buffered === 0, { timeoutMs: 15_000 });
    // Per-device order holds on the bus, so once the last fix is there, any duplicate of an
    // earlier one would be there too.
    const lats = () => locations.envelopes.map((e) => (e.data as { lat: number }).lat);
    await waitFor(() => lats().includes(46));
    expect(lats()).toEqual([...Array.from({ length: 10 }, (_, i) => 45 + i / 1000), 46]);
    expect(new Set(locations.envelopes.map((e) => e.id)).size).toBe(11);
    await locations.close();
  }, 30_000);

  it('never surfaces an item past its deadline, judged by the device clock corrected with server time', async () => {
    await gateway();
    // The device's clock runs ten minutes fast; uncorrected, every short-lived offer would look expired.
    let later = 0; // moves the device's clock on, instead of waiting
    const phone = client('sdk-skew', { clock: () => Date.now() + 600_000 + later });
    await phone.connect();
    await waitFor(() => Math.abs(phone.stats().clockOffsetMs + 600_000) < 2_000);
    const lasting = await produceItem(gw!, REGION, 'sdk-skew', Date.now() + 60_000);
    const brief = await produceItem(gw!, REGION, 'sdk-skew', Date.now() + 1_500);
    const received = await collectTopic(gw!.kafka, gw!.registry, TOPICS.receipts.name);
    await waitFor(
      () =>
        received.envelopes.filter((e: Envelope) => (e.data as { status: string }).status === 'received')
          .length === 2,
    );
    // The app only starts listening after the brief one's deadline (two seconds on).
    later = 2_000;
    const shown: string[] = [];
    phone.onOffer((offer) => shown.push(offer.id));
    expect(shown).toEqual([lasting]);
    expect(phone.stats().expiredDropped).toBe(1);
    expect(brief).not.toBe(lasting);
    await received.close();
  });

  it('works over WebSocket, and registers for push', async () => {
    await gateway();
    const phone = client('sdk-ws', { gatewayUrl: gw!.gateway.wsUrl() });
    await phone.connect();
    await phone.registerPush({ fcmToken: 'fcm-token-for-sdk-ws' });
    expect(await gw!.pushRegistry.get('sdk-ws')).toEqual({ fcmToken: 'fcm-token-for-sdk-ws' });
    const offers: string[] = [];
    phone.onOffer((o) => offers.push(o.id));
    const id = await produceItem(gw!, REGION, 'sdk-ws', Date.now() + 60_000);
    await waitFor(() => offers.length === 1);
    expect(offers).toEqual([id]);
  });

  it('rejects connect() after connectTimeoutMs with the first failure as its reason, nothing listening or no token', async () => {
    // Nothing listens on the port: every attempt fails.
    const lost = client('sdk-timeout-1', { connectTimeoutMs: 800, getToken: async () => 'a-token' });
    await expect(lost.connect()).rejects.toMatchObject({
      code: 'HX_SDK_CONNECT_TIMEOUT',
      reason: 'HX_SDK_CONNECTION_LOST',
    });
    const tokenless = client('sdk-timeout-2', {
      connectTimeoutMs: 800,
      getToken: async () => {
        throw new Error('backend down');
      },
    });
    await expect(tokenless.connect()).rejects.toMatchObject({
      code: 'HX_SDK_CONNECT_TIMEOUT',
      reason: 'HX_SDK_TOKEN_UNAVAILABLE',
      message: expect.stringContaining('backend down'),
    });
  });

  it('stops for good when the gateway refuses the device (region), reporting a coded error', async () => {
    await gateway();
    const phone = client('sdk-wrong', { getToken: () => gw!.tokenFor('sdk-wrong', 'elsewhere') });
    await expect(phone.connect()).rejects.toMatchObject({
      code: 'HX_SDK_NOT_AUTHORIZED',
      reason: 'HX_GATEWAY_REGION_MISMATCH',
    });
  });
});
