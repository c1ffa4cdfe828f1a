import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseSessionsTsv, type RecsArtifact, RecsModel } from '@hexcast/models';
import { gridDisk, latLngToCell } from 'h3-js';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { type DevProcess, HEXCAST_BIN, startDev } from '../helpers/dev.js';
import { sharedData } from '../helpers/shared-data.js';
import { waitFor } from '../helpers/wait-for.js';

const run = promisify(execFile);
const hexcast = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['--conditions=source', '--import', 'tsx', HEXCAST_BIN, ...args], {
    env: { ...process.env, ...env },
    timeout: 120_000,
  });

interface Item {
  productId: string;
  source: string;
  nearby?: true;
}
interface Inbox {
  type: string;
  id: string;
  content: { sessionId: string; productId: string; items: Item[]; modelVersion: string };
}

describe('recommendations end to end on hexcast dev', () => {
  let dev: DevProcess | undefined;
  const clients: MqttClient[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await dev?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("a device's clicks bring it a list its model would give for them (unavailable products left out); websites post events with a site key; bad events are coded; the session is gone after its TTL", async () => {
    const ttlMs = 6000;
    dev = await startDev({
      HX_RECS_SESSION_TTL_MS: String(ttlMs),
      HX_API_RATE_LIMIT_PER_MINUTE: '100000',
      HX_RECS_NEARBY_BOOST: '100',
    });
    const d = dev;
    expect(
      d.lines.some((l) => l.includes('no recs model loaded') && l.includes('hexcast recs publish')),
    ).toBe(true);

    // A model trained by the CLI on the first 4,000 sessions of the YOOCHOOSE sample, published.
    const dir = mkdtempSync(path.join(tmpdir(), 'hx-recs-e2e-'));
    dirs.push(dir);
    const sessions = parseSessionsTsv(readFileSync(sharedData('sessions/rsc15_train_tr.tsv'), 'utf8')).slice(
      0,
      4000,
    );
    const tsv = path.join(dir, 'sessions.tsv');
    writeFileSync(
      tsv,
      `SessionId\tItemId\tTime\n${sessions.flatMap((s) => s.items.map((item, i) => `${s.id}\t${item}\t${s.times[i]}`)).join('\n')}\n`,
    );
    const env = { KAFKA_BROKERS: d.bootstrap, HX_DATA_DIR: d.dataDir };
    await hexcast(['recs', 'train', '--data', tsv, '--out', path.join(dir, 'model'), '--epochs', '1'], env);
    const published = await hexcast(['recs', 'publish', path.join(dir, 'model')], env);
    const version = /published (\S+)/.exec(published.stdout)![1]!;
    await waitFor(() => d.lines.some((l) => l.includes('model swapped in') && l.includes(version)), {
      timeoutMs: 30_000,
      message: `${version} loaded`,
    });
    const artifact = JSON.parse(readFileSync(path.join(dir, 'model', 'recs.json'), 'utf8')) as RecsArtifact;
    const model = new RecsModel(artifact);

    const call = async (
      method: string,
      url: string,
      token: string | null,
      body?: unknown,
      type = 'application/json',
    ) => {
      const res = await fetch(`${d.api}${url}`, {
        method,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': type }),
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      // biome-ignore lint/suspicious/noExplicitAny: the test reads the API's JSON answers as they come
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const keyOf = async (role: string) =>
      (await call('POST', '/v1/keys', d.adminKey(), { role, name: `e2e-${role}` })).body.token as string;
    const marketer = await keyOf('marketer');
    const merchant = await keyOf('merchant');
    const site = await keyOf('site');

    // The catalogue: every item of the window, in three categories; the model's second pick after
    // the device's clicks is made unavailable.
    const clicked = [sessions[10]!.items[0]!, sessions[20]!.items[0]!];
    const expected = model.forSession(clicked, 5).map((r) => r.item);
    expect(expected.length).toBe(5);
    const unavailable = expected[1]!;
    const products = artifact.items.map((id, i) => ({
      productId: id,
      category: `c${i % 3}`,
      available: id !== unavailable,
    }));
    for (let i = 0; i < products.length; i += 1000)
      expect(
        (await call('PUT', '/v1/products', marketer, { products: products.slice(i, i + 1000) })).status,
      ).toBe(200);
    expect((await call('GET', `/v1/products/${unavailable}`, marketer)).body).toMatchObject({
      available: false,
    });
    expect((await call('GET', '/v1/products/nope', marketer)).body.code).toBe('HX_PRODUCT_NOT_FOUND');

    // An app user: registered, online, browsing.
    const registered = await call('POST', '/v1/devices', merchant, {
      deviceId: 'e2e-shopper',
      region: 'local',
      platform: 'node',
    });
    expect(registered.status).toBe(201);
    const client = await mqtt.connectAsync(d.mqtt, {
      clientId: 'e2e-shopper',
      username: 'e2e-shopper',
      password: registered.body.token as string,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(client);
    const inbox: Inbox[] = [];
    client.on('message', (_topic, payload) => inbox.push(JSON.parse(payload.toString()) as Inbox));
    await client.subscribeAsync('hx/d/e2e-shopper/inbox', { qos: 1 });
    const click = (productId: string, ts: number) =>
      client.publishAsync(
        'hx/d/e2e-shopper/ev',
        JSON.stringify({ sessionId: 'shop-1', productId, action: 'view', ts }),
        { qos: 1 },
      );
    const start = Date.now();
    await click(clicked[0]!, start - 2000);
    await click('not-in-the-catalogue', start - 1500); // counted and left out of the session
    await click(clicked[1]!, start - 1000);

    const last = await waitFor(
      () => inbox.find((m) => m.type === 'recommendation' && m.content.productId === clicked[1]),
      { timeoutMs: 20_000, message: 'a recommendation after the second click' },
    );
    const got = last.content.items.map((i) => i.productId);
    expect(last.content.modelVersion).toBe(version);
    expect(got).not.toContain(unavailable);
    // The model's own ranking for these two clicks, the unavailable one taken out (the category
    // cap keeps at most half of the list from one category, so compare the head).
    expect(got.slice(0, 3)).toEqual(expected.filter((id) => id !== unavailable).slice(0, 3));
    expect(last.content.items[0]!.source).toBe('session');

    // The page reads what the worker stored, and the product's item-to-item list.
    const read = await call('GET', `/v1/recommendations?session=shop-1&product=${clicked[1]}&n=10`, site);
    expect(read.status).toBe(200);
    expect(read.body.session.map((i: Item) => i.productId)).toEqual(got.slice(0, 10));
    expect(read.body.product.length).toBeGreaterThan(0);
    expect(read.body.product.map((i: Item) => i.productId)).not.toContain(unavailable);
    expect(read.body.union.length).toBe(10);
    expect(read.body.modelVersion).toBe(version);

    // Where the device is: a fix through the gateway, kept by the geo worker as its position. A
    // product its list does not hold, stocked in a store in the next H3 cell, is boosted into its
    // next list and marked nearby.
    const geoProcessed = async () =>
      Number(
        /hexcast_bus_processed_total\{stage="geo"\} (\d+)/.exec(
          await (await fetch(`${d.api}/metrics`)).text(),
        )?.[1] ?? 0,
      );
    const geoBefore = await geoProcessed();
    const at = { lat: 48.8566, lng: 2.3522 };
    await client.publishAsync(
      'hx/d/e2e-shopper/loc',
      JSON.stringify({ fixes: [{ ...at, accuracy: 10, ts: Date.now() }] }),
      { qos: 1 },
    );
    await waitFor(async () => ((await geoProcessed()) > geoBefore ? true : undefined), {
      timeoutMs: 20_000,
      message: "the geo worker kept the device's fix",
    });
    const stocked = model
      .forSession(clicked, 60)
      .map((r) => r.item)
      .find((id) => !got.includes(id) && id !== unavailable)!;
    const store = gridDisk(latLngToCell(at.lat, at.lng, 9), 1).find(
      (c) => c !== latLngToCell(at.lat, at.lng, 9),
    )!;
    const stockedProduct = { ...products.find((p) => p.productId === stocked)!, stockedIn: [store] };
    expect((await call('PUT', '/v1/products', marketer, { products: [stockedProduct] })).status).toBe(200);
    expect((await call('GET', `/v1/products/${stocked}`, marketer)).body.stockedIn).toEqual([store]);
    // A store that is not an H3 cell: refused, with nothing of the request kept.
    const badStore = await call('PUT', '/v1/products', marketer, {
      products: [
        { productId: 'e2e-new', available: true },
        { productId: 'e2e-new-2', available: true, stockedIn: ['fffffffffffffff'] },
      ],
    });
    expect([badStore.status, badStore.body.code]).toEqual([400, 'HX_PRODUCT_INVALID']);
    expect((await call('GET', '/v1/products/e2e-new', marketer)).status).toBe(404);
    await click(clicked[1]!, Date.now());
    const boosted = await waitFor(
      () =>
        inbox.find(
          (m) => m.type === 'recommendation' && m.content.items.some((i) => i.productId === stocked),
        ),
      { timeoutMs: 20_000, message: 'a list with the product stocked nearby' },
    );
    expect(boosted.content.items.find((i) => i.productId === stocked)).toMatchObject({ nearby: true });
    expect(boosted.content.items.filter((i) => i.nearby).length).toBe(1);

    // A website without the SDK: a beacon (text/plain, key in the query) with good and bad events.
    const now = Date.now();
    const beacon = await fetch(`${d.api}/v1/events?key=${encodeURIComponent(site)}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({
        events: [
          { visitorId: 'v-1', sessionId: 'web-1', productId: clicked[0], action: 'view', ts: now },
          { visitorId: 'v-1', sessionId: 'web-1', productId: 'nope', action: 'view', ts: now },
          {
            visitorId: 'v-1',
            sessionId: 'web-1',
            productId: clicked[0],
            action: 'view',
            ts: now + 3_600_000,
          },
          { visitorId: 'v-1', sessionId: 'web-1', productId: clicked[0], action: 'stare', ts: now },
        ],
      }),
    });
    expect(beacon.status).toBe(202);
    const answer = (await beacon.json()) as {
      accepted: number;
      rejected: Array<{ index: number; code: string }>;
    };
    expect(answer.accepted).toBe(1);
    expect(answer.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'HX_EVENT_PRODUCT_UNKNOWN'],
      [2, 'HX_EVENT_TIME_INVALID'],
      [3, 'HX_EVENTS_INVALID'],
    ]);
    const web = await waitFor(
      async () => {
        const r = await call('GET', '/v1/recommendations?session=web-1', site);
        return r.body.session.length > 0 ? r.body : null;
      },
      { timeoutMs: 20_000, message: "the web visitor's list" },
    );
    expect(web.session[0].productId).toBe(
      model.forSession([clicked[0]!], 1, (id) => id === unavailable)[0]!.item,
    );
    const tooMany = await call('POST', '/v1/events', site, {
      events: Array.from({ length: 501 }, () => ({
        visitorId: 'v',
        sessionId: 's',
        productId: 'p',
        action: 'view',
        ts: now,
      })),
    });
    expect([tooMany.status, tooMany.body.code]).toEqual([413, 'HX_EVENTS_TOO_MANY']);
    expect((await call('POST', '/v1/events', marketer, { events: [] })).body.code).toBe('HX_AUTH_FORBIDDEN');
    expect((await call('POST', '/v1/events?key=hx_bad_key', null, { events: [] })).body.code).toBe(
      'HX_AUTH_INVALID_KEY',
    );
    expect((await call('POST', '/v1/events', site, '{"events":', 'text/plain')).body.code).toBe(
      'HX_EVENTS_INVALID',
    );

    const metrics = await (await fetch(`${d.api}/metrics`)).text();
    // The sessions held so far, in the memory store's first page of columns.
    expect(Number(/hexcast_recs_session_store_bytes (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/hexcast_recs_clicks_total\{outcome="HX_EVENT_PRODUCT_UNKNOWN"\} 1/);
    expect(metrics).toMatch(/hexcast_recs_web_events_total\{outcome="HX_EVENT_TIME_INVALID"\} 1/);

    // A scheduled retraining: the live clickstream of the last hour (the app user's four clicks
    // and the web visitor's one), trained and published; the running worker swaps to it.
    const retrained = await hexcast(
      [
        'recs',
        'train',
        '--from-bus',
        '1h',
        '--epochs',
        '0',
        '--out',
        path.join(dir, 'retrained'),
        '--publish',
      ],
      env,
    );
    expect(retrained.stderr).toMatch(/read 5 clicks in 2 sessions from hx\.clicks/);
    const next = /published (\S+)/.exec(retrained.stdout)![1]!;
    expect(next).not.toBe(version);
    await waitFor(() => d.lines.some((l) => l.includes('model swapped in') && l.includes(next)), {
      timeoutMs: 30_000,
      message: `${next} loaded`,
    });

    // After the session's TTL with no click, its state is gone.
    await waitFor(
      async () => {
        const r = await call('GET', '/v1/recommendations?session=shop-1', site);
        return r.body.session.length === 0;
      },
      { timeoutMs: ttlMs + 20_000, intervalMs: 250, message: 'the session expired' },
    );
  }, 240_000);
});
