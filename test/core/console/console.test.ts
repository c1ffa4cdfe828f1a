import {
  ApiKeyRepository,
  type Broker,
  buildApi,
  consoleRoutes,
  DeadLetter,
  DeadLetters,
  DeviceLocation,
  type Envelope,
  LiveHub,
  mayReceive,
  migrate,
  OpsStatus,
  PgliteRecords,
  type Role,
  SESSION_COOKIE,
  SessionSealer,
  silentLogger,
  TOPICS,
} from '@hexcast/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { type BusFixture, busFor } from '../../helpers/bus.js';
import { sse } from '../../helpers/sse.js';
import { waitFor } from '../../helpers/wait-for.js';

const SECRET = 'console-test-secret-at-least-32-bytes-long';

describe('the console routes: session cookies, CSRF, the live stream, dead letters and ops', () => {
  let broker: Broker;
  let bus: BusFixture;
  let records: PgliteRecords;
  let app: FastifyInstance;
  let base: string;
  const hub = new LiveHub({ capacity: 50 });
  let deadLetters: DeadLetters;
  let ops: OpsStatus;
  const keyFor = {} as Record<Role, string>;
  let keys: ApiKeyRepository;
  let now = Date.now();
  const sealer = new SessionSealer(SECRET, 60_000, () => now);
  const sent: Array<{ topic: string; envelope: Envelope }> = [];
  let failSend = false;

  beforeAll(async () => {
    broker = await startBroker();
    bus = await busFor(broker);
    records = await PgliteRecords.open(null);
    await migrate(records);
    keys = new ApiKeyRepository(records, 0);
    for (const role of ['admin', 'marketer', 'reviewer', 'care', 'merchant', 'site'] as const)
      keyFor[role] = (await keys.create(role, role)).token;
    deadLetters = new DeadLetters({ capacity: 3, records: async () => records });
    ops = new OpsStatus(bus.kafka);
    app = await buildApi({
      logger: silentLogger(),
      metrics: bus.metrics,
      keys,
      sessions: sealer,
      rateLimitPerMinute: 100_000,
      routes: [
        consoleRoutes({
          hub,
          deadLetters,
          ops,
          metrics: bus.metrics,
          dir: '/nonexistent-console-dist',
          settings: { region: 'eu' },
          send: async (topic, envelope) => {
            if (failSend) throw new Error('the bus is down');
            sent.push({ topic, envelope });
          },
        }),
      ],
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await ops.close();
    await bus.close();
    await broker.close();
    await records.close();
  });

  const signIn = async (key: string) => {
    const res = await fetch(`${base}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
    });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    return { res, cookie, body: (await res.json()) as { csrf: string; role: string; code?: string } };
  };

  it('sign-in exchanges a key for an httpOnly, SameSite=Strict cookie; the cookie authenticates reads, and writes only with the CSRF token', async () => {
    const { res, cookie, body } = await signIn(keyFor.admin);
    expect(res.status).toBe(200);
    const set = res.headers.get('set-cookie')!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).not.toContain(keyFor.admin); // sealed, not the key itself
    expect(body).toMatchObject({ role: 'admin', csrf: expect.any(String) });

    const who = await fetch(`${base}/v1/session`, { headers: { cookie } });
    expect(((await who.json()) as { csrf: string }).csrf).toBe(body.csrf);

    const replay = (headers: Record<string, string>) =>
      fetch(`${base}/v1/ops/dead-letters/0/999/replay`, { method: 'POST', headers: { cookie, ...headers } });
    const noToken = await replay({});
    expect([noToken.status, ((await noToken.json()) as { code: string }).code]).toEqual([
      403,
      'HX_AUTH_CSRF_INVALID',
    ]);
    const wrongToken = await replay({ 'x-csrf-token': `${body.csrf.slice(1)}x` });
    expect(wrongToken.status).toBe(403);
    // With the token the request reaches the route (no such letter held).
    const withToken = await replay({ 'x-csrf-token': body.csrf });
    expect([withToken.status, ((await withToken.json()) as { code: string }).code]).toEqual([
      404,
      'HX_DLQ_NOT_FOUND',
    ]);
    // A bearer key needs no CSRF token: it is not sent by the browser on its own.
    const bearer = await fetch(`${base}/v1/ops/dead-letters/0/999/replay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyFor.admin}` },
    });
    expect(bearer.status).toBe(404);
  });

  it('refuses a wrong key, a site key, an expired, a forged or a revoked session; sign-out clears the cookie', async () => {
    expect((await signIn('hx_nope_nope')).res.status).toBe(401);
    const site = await signIn(keyFor.site);
    expect([site.res.status, site.body.code]).toEqual([403, 'HX_AUTH_FORBIDDEN']);

    const { cookie } = await signIn(keyFor.marketer);
    const get = (c: string) => fetch(`${base}/v1/console/settings`, { headers: { cookie: c } });
    expect((await get(cookie)).status).toBe(200);
    const forged = `${cookie.slice(0, -4)}AAAA`;
    const bad = await get(forged);
    expect([bad.status, ((await bad.json()) as { code: string }).code]).toEqual([
      401,
      'HX_AUTH_SESSION_EXPIRED',
    ]);
    const other = new SessionSealer('another-secret-that-is-32-bytes-long!!', 60_000);
    const foreign = `${SESSION_COOKIE}=${(await other.seal(keyFor.marketer)).cookie}`;
    expect((await get(foreign)).status).toBe(401);
    now += 61_000;
    const expired = await get(cookie);
    expect([expired.status, ((await expired.json()) as { code: string }).code]).toEqual([
      401,
      'HX_AUTH_SESSION_EXPIRED',
    ]);
    now -= 61_000;

    const fresh = await signIn(keyFor.care);
    const out = await fetch(`${base}/v1/session`, { method: 'DELETE', headers: { cookie: fresh.cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(
      new RegExp(`${SESSION_COOKIE}=;.*Expires=Thu, 01 Jan 1970`),
    );

    // Revoking the key ends its sessions.
    const doomed = await keys.create('marketer', 'doomed');
    const session = await signIn(doomed.token);
    expect((await get(session.cookie)).status).toBe(200);
    await records.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [doomed.identity.id]);
    expect((await get(session.cookie)).status).toBe(401);
  });

  it('streams each role only its events, and a reconnect with Last-Event-ID gets exactly what it missed', async () => {
    const marketer = await signIn(keyFor.marketer);
    const care = sse(`${base}/v1/live`, { authorization: `Bearer ${keyFor.care}` });
    const first = sse(`${base}/v1/live`, { cookie: marketer.cookie });
    expect(await first.opened).toBe(200);
    expect(await care.opened).toBe(200);
    await waitFor(() => first.events.some((e) => e.event === 'hello') && care.events.length > 0);
    hub.emit('campaigns', { ids: ['c1'] });
    hub.emit('alert', { id: 'a1' });
    hub.emit('campaigns', { ids: ['c2'] });
    await waitFor(() => first.events.filter((e) => e.event === 'campaigns').length === 2);
    await waitFor(() => care.events.some((e) => e.event === 'alert'));
    expect(first.events.map((e) => e.event)).toEqual(['hello', 'campaigns', 'campaigns']);
    expect(care.events.map((e) => e.event)).toEqual(['hello', 'alert']);
    const last = first.events.at(-1)!.id;
    first.close();
    care.close();
    // Missed while away: two for the marketer, one the marketer may not see.
    hub.emit('campaigns', { ids: ['c3'] });
    hub.emit('review', { paymentId: 'p1' });
    hub.emit('campaigns', { ids: ['c4'] });
    const again = sse(`${base}/v1/live`, { cookie: marketer.cookie, 'last-event-id': String(last) });
    await again.opened;
    await waitFor(() => again.events.length >= 2);
    hub.emit('campaigns', { ids: ['marker'] });
    await waitFor(() => again.events.some((e) => (e.data as { ids?: string[] }).ids?.[0] === 'marker'));
    expect(again.events.map((e) => (e.data as { ids: string[] }).ids[0])).toEqual(['c3', 'c4', 'marker']);
    again.close();
    // Too far behind (the ring holds 50): a reset says to refetch.
    for (let i = 0; i < 60; i++) hub.emit('campaigns', { ids: [`bulk-${i}`] });
    const late = sse(`${base}/v1/live`, { cookie: marketer.cookie, 'last-event-id': String(last) });
    await waitFor(() => late.events.length >= 51);
    expect(late.events[0]!.event).toBe('reset');
    late.close();
    expect(mayReceive('reviewer', 'review')).toBe(true);
    expect(mayReceive('marketer', 'review')).toBe(false);
    expect(mayReceive('admin', 'dead-letter')).toBe(true);
  });

  it('folds locations into per-cell device counts and coupon traffic into changed campaigns, sent once per flush', async () => {
    let t = 1_000_000;
    const folded = new LiveHub({ capacity: 100, clock: () => t });
    const seen: Array<{ type: string; data: unknown }> = [];
    // Only streams that show the density map make the API read locations.
    const offCare = folded.subscribe(() => undefined, 'care');
    expect(folded.densityWatchers).toBe(0);
    const offMarketer = folded.subscribe(() => undefined, 'marketer');
    const offAdmin = folded.subscribe(() => undefined, 'admin');
    expect(folded.densityWatchers).toBe(2);
    offMarketer();
    offMarketer();
    offAdmin();
    offCare();
    expect(folded.densityWatchers).toBe(0);
    folded.subscribe((e) => seen.push(e));
    const at = (deviceId: string, lat: number, lng: number) =>
      folded.onRecord(
        bus.registry.create(DeviceLocation, {
          key: deviceId,
          source: { kind: 'test', id: 't' },
          data: { deviceId, lat, lng, accuracy: 5 },
        }),
      );
    await at('d1', 48.8606, 2.3376);
    await at('d2', 48.8606, 2.3376);
    await at('d1', 48.8606, 2.3376); // same cell: no change
    expect(seen).toEqual([]); // nothing before the flush
    folded.flush();
    expect(seen).toHaveLength(1);
    const cells = (seen[0]!.data as { cells: Array<[string, number]> }).cells;
    expect(cells).toHaveLength(1);
    expect(cells[0]![1]).toBe(2);
    await at('d2', 48.87, 2.36); // moves away: one leaves the first cell, one arrives in another
    folded.flush();
    const moved = new Map((seen[1]!.data as { cells: Array<[string, number]> }).cells);
    expect([...moved.values()].sort()).toEqual([1, 1]);
    folded.flush();
    expect(seen).toHaveLength(2); // nothing changed, nothing sent
    t += 5 * 60_000 + 1; // idle devices leave the map
    folded.flush();
    expect(folded.density()).toEqual([]);
    expect(new Map((seen[2]!.data as { cells: Array<[string, number]> }).cells).size).toBe(2);

    // Coupon traffic: announced at the next flush and once more at the one after (the ledger
    // applies receipts after they are on the bus), then no more.
    const traffic = (type: string, data: Record<string, unknown>) =>
      folded.onRecord({ type, data, key: 'd1', ts: t } as unknown as Envelope);
    const campaigns = () => seen.filter((e) => e.type === 'campaigns').map((e) => e.data);
    await traffic('offer.issued', { campaignId: 'c1' });
    await traffic('delivery.receipt', { itemId: 'o1', status: 'delivered' }); // names no campaign
    folded.flush();
    expect(campaigns()).toEqual([{ ids: ['c1'] }]);
    await traffic('offer.issued', { campaignId: 'c2' });
    folded.flush();
    expect(campaigns().at(-1)).toEqual({ ids: ['c2', 'c1'] });
    folded.flush();
    expect(campaigns().at(-1)).toEqual({ ids: ['c2'] });
    folded.flush();
    folded.flush();
    expect(campaigns()).toHaveLength(3);
  });

  it('holds the newest dead letters and replays one once; a failed send can be retried; an unreadable record is not replayable', async () => {
    const letter = (offset: string, original: Envelope | null) =>
      deadLetters.add(
        bus.registry.create(DeadLetter, {
          key: 'k1',
          source: { kind: 'processor', id: 'fraud' },
          data: {
            topic: 'hx.payments',
            partition: 4,
            offset: '17',
            code: 'HX_PAYMENT_MERCHANT_UNKNOWN',
            reason: 'no merchant',
            ...(original === null ? { raw: Buffer.from('garbage').toString('base64') } : { original }),
          },
        }),
        { topic: TOPICS.dlq.name, partition: 1, offset },
      );
    const original = bus.registry.create(DeviceLocation, {
      key: 'd9',
      source: { kind: 'test', id: 't' },
      data: { deviceId: 'd9', lat: 1, lng: 2, accuracy: 3 },
    });
    letter('10', original);
    letter('11', null);
    letter('12', original);
    letter('13', original); // capacity 3: offset 10 is dropped
    const { letters, total } = await deadLetters.list(10);
    expect(total).toBe(3);
    expect(letters.map((l) => l.offset).sort()).toEqual(['11', '12', '13']);
    await expect(deadLetters.replay(1, '10', 'op', async () => undefined)).rejects.toMatchObject({
      code: 'HX_DLQ_NOT_FOUND',
    });
    await expect(deadLetters.replay(1, '11', 'op', async () => undefined)).rejects.toMatchObject({
      code: 'HX_DLQ_NOT_REPLAYABLE',
    });

    const admin = await signIn(keyFor.admin);
    const replay = () =>
      fetch(`${base}/v1/ops/dead-letters/1/12/replay`, {
        method: 'POST',
        headers: { cookie: admin.cookie, 'x-csrf-token': admin.body.csrf },
      });
    failSend = true;
    expect((await replay()).status).toBe(500);
    failSend = false;
    // Two at once (two operators): one replays, the other is told it was done.
    const [a, b] = await Promise.all([replay(), replay()]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect(sent).toEqual([{ topic: 'hx.payments', envelope: original }]);
    const listed = (await deadLetters.list(10)).letters.find((l) => l.offset === '12')!;
    expect(listed).toMatchObject({
      replayedBy: expect.any(String),
      replayable: true,
      type: 'device.location',
    });
  });

  it('reports consumer lag per group and partition and records per topic from the bus', async () => {
    await bus.producer.send(
      TOPICS.locations,
      bus.registry.create(DeviceLocation, {
        key: 'lagging',
        source: { kind: 'test', id: 't' },
        data: { deviceId: 'lagging', lat: 1, lng: 2, accuracy: 3 },
      }),
    );
    // A group that committed nothing past the start: its lag is the topic's records.
    const admin = bus.kafka.admin();
    await admin.connect();
    const partitions = (await admin.fetchTopicOffsets(TOPICS.locations.name)).length;
    await admin.setOffsets({
      groupId: 'hx-console-test-group',
      topic: TOPICS.locations.name,
      partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, offset: '0' })),
    });
    await admin.disconnect();
    const res = await fetch(`${base}/v1/ops/status`, {
      headers: { authorization: `Bearer ${keyFor.admin}` },
    });
    expect(res.status).toBe(200);
    const status = (await res.json()) as {
      process: { healthy: boolean };
      groups: Array<{ groupId: string; lag: number; partitions: Array<{ topic: string; lag: number }> }>;
      topics: Array<{ topic: string; end: string; perSecond: number | null }>;
    };
    expect(status.process.healthy).toBe(true);
    const group = status.groups.find((g) => g.groupId === 'hx-console-test-group')!;
    expect(group.lag).toBe(1);
    expect(group.partitions).toHaveLength(partitions);
    expect(group.partitions.reduce((n, p) => n + p.lag, 0)).toBe(1);
    expect(status.topics.find((t) => t.topic === TOPICS.locations.name)!.end).toBe('1');
    const marketer = await fetch(`${base}/v1/ops/status`, {
      headers: { authorization: `Bearer ${keyFor.marketer}` },
    });
    expect(marketer.status).toBe(403);
    // The console's assets are missing here: a coded answer, not a 404 page.
    const page = await fetch(`${base}/console/`);
    expect([page.status, ((await page.json()) as { code: string }).code]).toEqual([
      503,
      'HX_CONSOLE_NOT_BUILT',
    ]);
  });
});
