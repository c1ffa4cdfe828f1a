import {
  ApiKeyRepository,
  type Broker,
  buildApi,
  CAMPAIGN_EVENTS,
  CampaignPublisher,
  CampaignRepository,
  campaignRoutes,
  couponRoutes,
  DeviceRepository,
  DeviceTokens,
  deviceRoutes,
  FenceCatalogue,
  GEO_EVENTS,
  MemoryFenceIndex,
  migrate,
  OfferLedger,
  PgliteRecords,
  type Role,
  silentLogger,
} from '@hexcast/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { type BusFixture, busFor } from '../../helpers/bus.js';
import { waitFor } from '../../helpers/wait-for.js';

const campaignBody = {
  name: 'Louvre lunch',
  fence: { type: 'Circle', center: [2.3376, 48.8606], radiusM: 150 },
  dwellSeconds: 120,
  startsAt: '2020-01-01T00:00:00.000Z',
  endsAt: '2099-01-01T00:00:00.000Z',
  timezone: 'Europe/Paris',
  status: 'active',
};

describe('REST API', () => {
  let broker: Broker;
  let bus: BusFixture;
  let records: PgliteRecords;
  let app: FastifyInstance;
  const catalogue = new FenceCatalogue(new MemoryFenceIndex());
  const tokens = new DeviceTokens('a-test-secret-that-is-at-least-32-bytes-long');
  const keyFor = {} as Record<Role, string>;
  let limitedApp: FastifyInstance;

  beforeAll(async () => {
    broker = await startBroker();
    bus = await busFor(broker);
    for (const e of [...GEO_EVENTS, ...CAMPAIGN_EVENTS]) bus.registry.register(e);
    records = await PgliteRecords.open(null);
    await migrate(records);
    const keys = new ApiKeyRepository(records);
    for (const role of ['admin', 'marketer', 'reviewer', 'care', 'merchant'] as const)
      keyFor[role] = (await keys.create(role, role)).token;
    const publisher = new CampaignPublisher(bus.registry, bus.producer);
    await bus.campaignFeed(catalogue);
    const campaigns = new CampaignRepository(records);
    const deps = {
      logger: silentLogger(),
      metrics: bus.metrics,
      keys,
      routes: [
        campaignRoutes({ campaigns, publisher, catalogue }),
        deviceRoutes({ devices: new DeviceRepository(records), tokens, regions: ['eu', 'us-east'] }),
        couponRoutes({ ledger: new OfferLedger(records), campaigns, publisher }),
      ],
    };
    app = await buildApi(deps);
    limitedApp = await buildApi({ ...deps, rateLimitPerMinute: 3 });
  });
  afterAll(async () => {
    await app.close();
    await limitedApp.close();
    await bus.close();
    await broker.close();
    await records.close();
  });

  const auth = (role: Role) => ({ authorization: `Bearer ${keyFor[role]}` });

  const ROUTES: Array<{
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
    url: string;
    allowed: Role[];
    body?: unknown;
  }> = [
    { method: 'POST', url: '/v1/campaigns', allowed: ['marketer'], body: campaignBody },
    { method: 'GET', url: '/v1/campaigns', allowed: ['marketer'] },
    { method: 'GET', url: '/v1/campaigns/x', allowed: ['marketer'] },
    { method: 'PATCH', url: '/v1/campaigns/x', allowed: ['marketer'], body: { name: 'y' } },
    { method: 'DELETE', url: '/v1/campaigns/x', allowed: ['marketer'] },
    { method: 'GET', url: '/v1/fences/lookup?lat=48.86&lng=2.33', allowed: ['marketer', 'care', 'reviewer'] },
    {
      method: 'POST',
      url: '/v1/devices',
      allowed: ['merchant'],
      body: { deviceId: 'device-0001', region: 'eu', platform: 'ios' },
    },
    { method: 'GET', url: '/v1/coupons/HX-0000-0000-0000', allowed: ['merchant'] },
    { method: 'POST', url: '/v1/coupons/HX-0000-0000-0000/redeem', allowed: ['merchant'] },
    { method: 'GET', url: '/v1/campaigns/x/stats', allowed: ['marketer'] },
  ];

  it.each(ROUTES)('$method $url rejects a missing, bogus or wrong-role key', async (route) => {
    const none = await app.inject({
      method: route.method,
      url: route.url,
      ...(route.body ? { payload: route.body as object } : {}),
    });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('HX_AUTH_MISSING_KEY');
    const bogus = await app.inject({
      method: route.method,
      url: route.url,
      headers: { authorization: 'Bearer hx_000000000000_nope' },
    });
    expect(bogus.statusCode).toBe(401);
    expect(bogus.json().code).toBe('HX_AUTH_INVALID_KEY');
    const notBearer = await app.inject({
      method: route.method,
      url: route.url,
      headers: { authorization: keyFor.marketer },
    });
    expect(notBearer.json().code).toBe('HX_AUTH_MISSING_KEY');
    for (const role of ['marketer', 'reviewer', 'care', 'merchant'] as const) {
      if (route.allowed.includes(role)) continue;
      const wrong = await app.inject({
        method: route.method,
        url: route.url,
        headers: auth(role),
        ...(route.body ? { payload: route.body as object } : {}),
      });
      expect(wrong.statusCode, role).toBe(403);
      expect(wrong.json().code).toBe('HX_AUTH_FORBIDDEN');
    }
  });

  it.each<[string, string, string, unknown, string]>([
    [
      'POST',
      '/v1/campaigns',
      'marketer',
      { ...campaignBody, fence: { type: 'Circle', center: [500, 1], radiusM: 10 } },
      'HX_GEO_COORDINATE_RANGE',
    ],
    ['POST', '/v1/campaigns', 'marketer', { ...campaignBody, name: '' }, 'HX_API_VALIDATION'],
    ['POST', '/v1/campaigns', 'marketer', { ...campaignBody, extra: 1 }, 'HX_API_VALIDATION'],
    [
      'POST',
      '/v1/campaigns',
      'marketer',
      { ...campaignBody, endsAt: '2019-01-01T00:00:00.000Z' },
      'HX_CAMPAIGN_INVALID',
    ],
    [
      'POST',
      '/v1/campaigns',
      'marketer',
      { ...campaignBody, timezone: 'Mars/Olympus' },
      'HX_CAMPAIGN_INVALID',
    ],
    ['POST', '/v1/campaigns', 'marketer', '{"name":', 'HX_API_VALIDATION'],
    ['GET', '/v1/fences/lookup?lat=91&lng=0', 'marketer', undefined, 'HX_API_VALIDATION'],
    ['GET', '/v1/fences/lookup?lat=abc&lng=0', 'marketer', undefined, 'HX_API_VALIDATION'],
    [
      'POST',
      '/v1/devices',
      'merchant',
      { deviceId: 'x', region: 'eu', platform: 'ios' },
      'HX_API_VALIDATION',
    ],
    ['GET', '/v1/campaigns/does-not-exist', 'marketer', undefined, 'HX_CAMPAIGN_NOT_FOUND'],
    ['GET', '/v1/campaigns/does-not-exist/stats', 'marketer', undefined, 'HX_CAMPAIGN_NOT_FOUND'],
    [
      'POST',
      '/v1/campaigns',
      'marketer',
      { ...campaignBody, offer: { title: 'x', budget: -1 } },
      'HX_API_VALIDATION',
    ],
    [
      'POST',
      '/v1/campaigns',
      'marketer',
      { ...campaignBody, offer: { title: 'x', budget: 5, quietHours: { start: '25:00', end: '06:00' } } },
      'HX_API_VALIDATION',
    ],
    [
      'POST',
      '/v1/devices',
      'merchant',
      { deviceId: 'device-tz-01', region: 'eu', platform: 'ios', timezone: 'Mars/Olympus' },
      'HX_DEVICE_INVALID',
    ],
    ['GET', '/v1/coupons/HX-0000-0000-0000', 'merchant', undefined, 'HX_COUPON_UNKNOWN'],
    ['POST', '/v1/coupons/HX-0000-0000-0000/redeem', 'merchant', undefined, 'HX_COUPON_UNKNOWN'],
    ['GET', '/v1/coupons/x', 'merchant', undefined, 'HX_API_VALIDATION'],
    ['GET', '/v1/nowhere', 'marketer', undefined, 'HX_API_NOT_FOUND'],
  ])('%s %s with a bad request answers a coded 4xx', async (method, url, role, body, code) => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...auth(role as Role),
        ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}),
      },
      ...(body === undefined ? {} : { payload: body as string }),
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.json().code).toBe(code);
  });

  it('never answers 500 to random bodies', async () => {
    let seed = 1;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed;
    };
    const junk = [
      null,
      1,
      'x',
      [],
      {},
      { fence: null },
      { fence: { type: 'Polygon', coordinates: [[[1, 2]]] } },
      { deviceId: {} },
    ];
    for (let i = 0; i < 60; i++) {
      const route = ROUTES[rand() % ROUTES.length]!;
      if (route.method === 'GET' || route.method === 'DELETE') continue;
      const base = { ...(route.body as object) } as Record<string, unknown>;
      const keys = Object.keys(base);
      if (keys.length > 0) base[keys[rand() % keys.length]!] = junk[rand() % junk.length];
      const res = await app.inject({
        method: route.method,
        url: route.url,
        headers: auth('admin'),
        payload: base,
      });
      expect(res.statusCode, JSON.stringify(base)).toBeLessThan(500);
    }
  });

  it('creates, reads, updates (with If-Match) and deletes a campaign; the fence answers lookups', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/campaigns',
      headers: auth('marketer'),
      payload: campaignBody,
    });
    expect(created.statusCode).toBe(201);
    const campaign = created.json();
    expect(campaign).toMatchObject({ version: 1, status: 'active', exitDebounceSeconds: 60 });
    // Other tests may have left campaigns on the same spot: look for this one.
    const lookup = async () =>
      (
        await app.inject({
          method: 'GET',
          url: '/v1/fences/lookup?lat=48.8606&lng=2.3376',
          headers: auth('care'),
        })
      )
        .json()
        .fences.map((f: { campaignId: string }) => f.campaignId) as string[];
    await waitFor(async () => (await lookup()).includes(campaign.id), { message: 'fence live' });
    const stale = await app.inject({
      method: 'PATCH',
      url: `/v1/campaigns/${campaign.id}`,
      headers: { ...auth('marketer'), 'if-match': '7' },
      payload: { name: 'x' },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('HX_CAMPAIGN_VERSION_CONFLICT');
    const paused = await app.inject({
      method: 'PATCH',
      url: `/v1/campaigns/${campaign.id}`,
      headers: { ...auth('marketer'), 'if-match': '1' },
      payload: { status: 'paused' },
    });
    expect(paused.json()).toMatchObject({ version: 2, status: 'paused' });
    await waitFor(async () => !(await lookup()).includes(campaign.id), { message: 'fence paused' });
    const listed = await app.inject({ method: 'GET', url: '/v1/campaigns', headers: auth('admin') });
    expect(listed.json().campaigns.map((c: { id: string }) => c.id)).toContain(campaign.id);
    const deleted = await app.inject({
      method: 'DELETE',
      url: `/v1/campaigns/${campaign.id}`,
      headers: auth('marketer'),
    });
    expect(deleted.json().status).toBe('ended');
    expect(
      (await app.inject({ method: 'GET', url: `/v1/campaigns/${campaign.id}`, headers: auth('marketer') }))
        .statusCode,
    ).toBe(404);
  });

  it("warns, without refusing, when a fence is far from its campaign's time zone (swapped coordinates)", async () => {
    const create = async (body: object) =>
      (
        await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth('marketer'), payload: body })
      ).json() as {
        id: string;
        warnings: Array<{ code: string; message: string }>;
      };
    expect((await create(campaignBody)).warnings).toEqual([]);
    // [lat, lng] for a Paris campaign: the Indian Ocean.
    const swapped = await create({
      ...campaignBody,
      fence: { type: 'Circle', center: [48.87, 2.36], radiusM: 150 },
    });
    expect(swapped.warnings).toHaveLength(1);
    expect(swapped.warnings[0]!.code).toBe('fence-far-from-timezone');
    expect(swapped.warnings[0]!.message).toMatch(/swapped/);
    // New York's coordinates in a Paris campaign: not swapped, the zone is wrong.
    const elsewhere = await create({
      ...campaignBody,
      fence: { type: 'Circle', center: [-74.0, 40.71], radiusM: 150 },
    });
    expect(elsewhere.warnings[0]!.message).toMatch(/time zone right/);
    expect(
      (
        await create({
          ...campaignBody,
          timezone: 'America/New_York',
          fence: { type: 'Circle', center: [-74.0, 40.71], radiusM: 150 },
        })
      ).warnings,
    ).toEqual([]);
    // A fix on PATCH says so too.
    const fixed = await app.inject({
      method: 'PATCH',
      url: `/v1/campaigns/${swapped.id}`,
      headers: auth('marketer'),
      payload: { fence: { type: 'Circle', center: [2.36, 48.87], radiusM: 150 } },
    });
    expect(fixed.json().warnings).toEqual([]);
  });

  it('registers a device and returns a short-lived token the gateway can verify', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/devices',
      headers: auth('merchant'),
      payload: { deviceId: 'device-0042', region: 'eu', platform: 'android' },
    });
    expect(res.statusCode).toBe(201);
    const { token, expiresAt } = res.json();
    const claims = await tokens.verify(token);
    expect(claims).toMatchObject({ sub: 'device-0042', region: 'eu' });
    expect(expiresAt).toBeGreaterThan(Date.now());
    await expect(tokens.verify(token, expiresAt + 1000)).rejects.toMatchObject({
      code: 'HX_AUTH_TOKEN_INVALID',
    });
    await expect(tokens.verify(`${token}x`)).rejects.toMatchObject({ code: 'HX_AUTH_TOKEN_INVALID' });
  });

  it('reports every problem of a request at once, with paths and allowed values, without doubled prefixes', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/devices',
      headers: auth('merchant'),
      payload: { region: 'eu', platform: 'mars-os', colour: 'red' },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('HX_API_VALIDATION');
    expect(body.message).not.toMatch(/body body/);
    const byPath = Object.fromEntries(
      (body.details.errors as Array<{ path: string }>).map((e) => [e.path, e]),
    );
    expect(byPath['/deviceId']).toMatchObject({ in: 'body', message: 'is required' });
    expect(byPath['/colour']).toMatchObject({ in: 'body', message: 'is not a known field' });
    expect(byPath['/platform']).toMatchObject({ in: 'body', allowed: ['ios', 'android', 'web', 'node'] });
    const query = await app.inject({
      method: 'GET',
      url: '/v1/fences/lookup?lat=91&lng=abc',
      headers: auth('marketer'),
    });
    expect(query.json().message).not.toMatch(/querystring querystring/);
    expect(
      query
        .json()
        .details.errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['/lat', '/lng']);
    const text = await app.inject({
      method: 'POST',
      url: '/v1/devices',
      headers: { ...auth('merchant'), 'content-type': 'application/xml' },
      payload: '<device id="x"/>',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().code).toBe('HX_API_UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a device in a region no gateway serves, listing the known ones', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/devices',
      headers: auth('merchant'),
      payload: { deviceId: 'device-mars-1', region: 'mars', platform: 'node' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'HX_DEVICE_REGION_UNKNOWN',
      details: { region: 'mars', known: ['eu', 'us-east'] },
    });
  });

  it('lets an admin create keys that work at once', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: auth('admin'),
      payload: { role: 'care', name: 'desk' },
    });
    expect(res.statusCode).toBe(201);
    const { token, role } = res.json();
    expect(role).toBe('care');
    const lookup = await app.inject({
      method: 'GET',
      url: '/v1/fences/lookup?lat=1&lng=1',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(lookup.statusCode).toBe(200);
  });

  it('times each request on the server, by route pattern (not the URL) and status class', async () => {
    const count = async (labels: string) => {
      const text = await bus.metrics.registry.metrics();
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`hexcast_http_request_seconds_count{${labels}}`));
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const ok = 'method="GET",route="/v1/fences/lookup",status="2xx"';
    const refused = 'method="GET",route="/v1/fences/lookup",status="4xx"';
    const [ok0, refused0] = [await count(ok), await count(refused)];
    for (const lat of [1, 2, 3])
      await app.inject({ method: 'GET', url: `/v1/fences/lookup?lat=${lat}&lng=1`, headers: auth('admin') });
    await app.inject({ method: 'GET', url: '/v1/fences/lookup?lat=1&lng=1' });
    expect(await count(ok)).toBe(ok0 + 3);
    expect(await count(refused)).toBe(refused0 + 1);
  });

  it('rate-limits per key with a coded 429', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push(
        (await limitedApp.inject({ method: 'GET', url: '/v1/campaigns', headers: auth('marketer') }))
          .statusCode,
      );
    expect(codes).toEqual([200, 200, 200, 429]);
    const limited = await limitedApp.inject({
      method: 'GET',
      url: '/v1/campaigns',
      headers: auth('marketer'),
    });
    expect(limited.json().code).toBe('HX_API_RATE_LIMITED');
    // Another key has its own budget.
    expect(
      (await limitedApp.inject({ method: 'GET', url: '/v1/campaigns', headers: auth('admin') })).statusCode,
    ).toBe(200);
  });

  it('serves its OpenAPI document at /docs', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/campaigns', '/v1/campaigns/{id}', '/v1/fences/lookup', '/v1/devices']),
    );
    expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });
});
