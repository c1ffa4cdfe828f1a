import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BusProducer,
  createEventRegistry,
  FRAUD_EVENTS,
  Metrics,
  PaymentSubmitted,
  TOPICS,
  webhookSignature,
} from '@hexcast/core';
import type { MqttClient } from 'mqtt';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevProcess, startDev } from '../helpers/dev.js';
import { connectDevice } from '../helpers/mqtt-device.js';
import { waitFor } from '../helpers/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Screenshots of each view, kept as test artifacts (gitignored). */
const SHOTS = path.join(ROOT, 'test-artifacts', 'console');
const SECRET = 'console-e2e-webhook-secret';

describe('the console in Chromium against hexcast dev', () => {
  let dev: DevProcess;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const clients: MqttClient[] = [];
  const pageErrors: string[] = [];
  const keys: Record<string, string> = {};

  const api = async (method: string, url: string, token: string, body?: unknown) => {
    const res = await fetch(`${dev.api}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: the test reads the API's JSON answers as they come
    return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as Record<string, any> };
  };

  /** A fresh browser context (its own cookies), signed in through the form. */
  const signedIn = async (role: string, hash = ''): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${role}: ${e.message}`));
    await page.goto(`${dev.api}/console/${hash}`);
    await page.locator('input[name=key]').fill(keys[role]!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.who').filter({ hasText: role }).waitFor();
    return page;
  };
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    // The assets under test are built from this checkout's source.
    execFileSync('npm', ['run', 'build', '-w', 'console'], { cwd: ROOT, stdio: 'ignore' });
    mkdirSync(SHOTS, { recursive: true });
    dev = await startDev({
      HX_SOCIAL_WEBHOOK_SECRETS: `trustpilot=${SECRET}`,
      HX_CARE_MIN_INFLUENCE: '1',
      HX_API_RATE_LIMIT_PER_MINUTE: '100000',
      HX_FRAUD_DECISION_WAIT_MS: '5000',
    });
    keys.admin = dev.adminKey();
    for (const role of ['marketer', 'care', 'reviewer', 'merchant'])
      keys[role] = (await api('POST', '/v1/keys', keys.admin, { role, name: `console-${role}` })).body.token;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] });
  }, 180_000);

  afterAll(async () => {
    for (const c of clients) c.end(true);
    for (const c of contexts) await c.close();
    await browser?.close();
    await dev?.stop();
  });

  it('a marketer signs in, draws a fence, previews its cover, creates a campaign; a device walks in and the live stats show the coupon issued and delivered', async () => {
    const page = await signedIn('marketer', '#/campaigns');
    await page.getByText('No campaigns yet').waitFor();
    await shot(page, 'campaigns-empty');
    await page.getByRole('link', { name: 'New campaign' }).click();
    // A circle: click its centre on the map, set the radius, preview the H3 cover.
    await page.getByLabel('Circle').check();
    // Clicks count once Leaflet has taken the map's element (it loads its settings first).
    await page.locator('[data-testid=fence-map].leaflet-container').waitFor();
    await page.locator('[data-testid=fence-map]').click();
    await page.getByLabel('radius (m)').fill('150');
    await page.getByRole('button', { name: 'Preview H3 cover' }).click();
    await page.getByText(/Cover: resolution \d+, \d+ interior and \d+ boundary cells/).waitFor();
    await page.locator('input[name=name]').fill('Console coffee');
    await page.locator('input[name=title]').fill('Coffee −20%');
    await shot(page, 'campaign-new');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.waitForURL(/#\/campaigns\/(?!new$)[^/]+$/);
    const campaignId = decodeURIComponent(page.url().split('/').pop()!);
    const campaign = (await api('GET', `/v1/campaigns/${campaignId}`, keys.marketer!)).body;
    expect(campaign).toMatchObject({ name: 'Console coffee', status: 'active' });
    expect(campaign.fence).toMatchObject({ type: 'Circle', radiusM: 150 });
    const [lng, lat] = campaign.fence.center as [number, number];

    // A simulated device walks in over MQTT until its coupon arrives.
    const deviceId = 'console-walker';
    const token = (
      await api('POST', '/v1/devices', keys.merchant!, { deviceId, region: 'local', platform: 'node' })
    ).body.token as string;
    const { client, inbox } = await connectDevice(dev.mqtt, deviceId, token);
    clients.push(client);
    let ts = Date.now() - 60_000;
    await waitFor(
      async () => {
        if (inbox.some((m) => m.type === 'offer')) return true;
        ts += 10_000;
        const fixes = [
          { lat: lat + 0.003, lng, accuracy: 5, ts },
          { lat, lng, accuracy: 5, ts: ts + 8000 },
        ];
        await client.publishAsync(`hx/d/${deviceId}/loc`, JSON.stringify({ fixes }), { qos: 1 });
        return false;
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'the coupon on the device' },
    );
    // The page was not reloaded: the live stream moved the numbers.
    const stat = (label: string) =>
      page
        .locator('.stat')
        .filter({ has: page.getByText(label, { exact: true }) })
        .locator('.stat-value');
    await expect.poll(() => stat('issued').textContent(), { timeout: 20_000 }).toBe('1');
    await expect.poll(() => stat('delivered').textContent(), { timeout: 20_000 }).toBe('1');
    await page.locator('.chart canvas').first().waitFor();
    await shot(page, 'campaign-live-stats');

    // The live map shows the device in its cell.
    await page.getByRole('link', { name: 'Live map' }).click();
    await expect
      .poll(() => page.locator('[data-testid=density-totals]').textContent(), { timeout: 15_000 })
      .toMatch(/^[1-9]\d* devices? in [1-9]\d* cells?/);
    await shot(page, 'live-map');
    // Locations are read for the map because a page that shows it is open.
    const groups = (await api('GET', '/v1/ops/status', keys.admin!)).body.groups as Array<{
      groupId: string;
    }>;
    expect(groups.some((g) => g.groupId.startsWith('hx-console-density-'))).toBe(true);
  });

  it('a marketer key cannot open the review queue, in the UI or the API; a request without the CSRF token is refused', async () => {
    const page = await signedIn('marketer', '#/reviews');
    await page.getByRole('navigation').getByText('Campaigns').waitFor();
    expect(await page.getByRole('navigation').getByText('Fraud review').count()).toBe(0);
    await page.getByRole('alert').filter({ hasText: 'HX_AUTH_FORBIDDEN' }).waitFor();
    await shot(page, 'reviews-forbidden');
    const fromPage = await page.evaluate(async () => {
      const queue = await fetch('/v1/reviews');
      // The session cookie rides along (same origin) but the CSRF header is missing.
      const forged = await fetch('/v1/campaigns', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'forged' }),
      });
      return {
        queue: [queue.status, ((await queue.json()) as { code: string }).code],
        forged: [forged.status, ((await forged.json()) as { code: string }).code],
      };
    });
    expect(fromPage.queue).toEqual([403, 'HX_AUTH_FORBIDDEN']);
    expect(fromPage.forged).toEqual([403, 'HX_AUTH_CSRF_INVALID']);
    // Without the cookie at all (what a cross-site page gets under SameSite=Strict): no session.
    const bare = await fetch(`${dev.api}/v1/campaigns`, { method: 'POST' });
    expect(bare.status).toBe(401);
  });

  it('a care agent sees a negative post raise an alert live, claims it and resolves it with a note', async () => {
    const page = await signedIn('care', '#/care');
    await page.getByText('No open alerts').waitFor();
    const body = JSON.stringify({
      posts: [
        {
          postId: 'console-r1',
          author: { id: 'a1', handle: 'angry', followers: 5000 },
          text: 'Awful. Delta cancelled my flight and I am still waiting for my refund.',
          createdAt: Date.now(),
          brands: ['delta'],
        },
      ],
    });
    const pushed = await fetch(`${dev.api}/v1/social/webhooks/trustpilot`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'hexcast-signature': webhookSignature(SECRET, body, Math.floor(Date.now() / 1000)),
      },
      body,
    });
    expect(pushed.status).toBe(200);
    const row = page.locator('table[aria-label="alert queue"] tbody tr').first();
    await row.waitFor({ timeout: 20_000 });
    await page.locator('table[aria-label="sentiment summary"]').getByText('delta').first().waitFor();
    await shot(page, 'care-alert');
    await row.getByRole('button', { name: 'Claim' }).click();
    await row.getByLabel('note').fill('Refund escalated to the airline desk');
    await row.getByRole('button', { name: 'Resolve' }).click();
    await page.getByText('No open alerts').waitFor();
    const resolved = (await api('GET', '/v1/care/alerts?status=resolved', keys.care!)).body.alerts;
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ status: 'resolved', note: 'Refund escalated to the airline desk' });
    await shot(page, 'care-resolved');
  });

  it('a reviewer sees a payment sent to review, opens it with its reasons and rule hits, and approves it with a note', async () => {
    const merchant = keys.merchant!;
    expect(
      (
        await api('PUT', '/v1/merchants/console-shop', merchant, {
          name: 'Console shop',
          currencies: ['EUR'],
          rules: [{ id: 'big-basket', when: 'amount > 500', action: 'review', reason: 'basket over 500' }],
        })
      ).status,
    ).toBe(200);
    const page = await signedIn('reviewer', '#/reviews');
    await page.getByText('Nothing to review').waitFor();
    const paid = await api('POST', '/v1/payments', merchant, {
      paymentId: 'console-p1',
      merchantId: 'console-shop',
      amount: 900,
      currency: 'EUR',
      card: { fingerprint: 'fp-console-1', binCountry: 'FR' },
      customer: { id: 'c1', emailHash: 'eh-console-1' },
      createdAt: Date.now(),
    });
    expect(paid.body.status).toBe('review');
    const row = page.locator('table[aria-label="review queue"] tbody tr').filter({ hasText: 'console-p1' });
    await row.waitFor({ timeout: 20_000 });
    await shot(page, 'review-queue');
    await row.getByRole('link', { name: 'console-p1' }).click();
    await page.getByText('big-basket').waitFor();
    await page.getByRole('button', { name: 'Claim' }).click();
    await page.getByText(/Claimed by/).waitFor();
    await page.getByLabel('review note').fill('Known customer, confirmed by phone');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/Decided approve \(legit\)/).waitFor();
    await shot(page, 'review-decided');
    const view = (await api('GET', '/v1/payments/console-p1?merchantId=console-shop', merchant)).body;
    expect(view.review).toMatchObject({
      status: 'decided',
      decision: 'approve',
      note: 'Known customer, confirmed by phone',
    });
  });

  it('an operator sees a dead-lettered payment, replays it once the merchant exists, and it is decided', async () => {
    // A merchant's own producer sends a payment before the merchant's policy exists: dead-lettered.
    const registry = createEventRegistry();
    for (const e of FRAUD_EVENTS) registry.register(e);
    const producer = new BusProducer({ brokers: [dev.bootstrap], registry, metrics: new Metrics() });
    await producer.start();
    const payment = {
      paymentId: 'console-late-1',
      merchantId: 'late-shop',
      amount: 20,
      currency: 'EUR',
      card: { fingerprint: 'fp-late-1', binCountry: 'FR' },
      customer: { id: 'c2', emailHash: 'eh-late-1' },
      createdAt: Date.now(),
    };
    await producer.send(
      TOPICS.payments,
      registry.create(PaymentSubmitted, {
        key: payment.paymentId,
        source: { kind: 'test', id: 'late' },
        data: payment,
      }),
    );
    await producer.close();
    const page = await signedIn('admin', '#/ops');
    const row = page.locator('table[aria-label="dead letters"] tbody tr').filter({ hasText: 'hx.payments' });
    await row.waitFor({ timeout: 20_000 });
    await page
      .locator('table[aria-label="consumer groups"]')
      .getByText('hx-fraud', { exact: true })
      .waitFor();
    await shot(page, 'ops');
    // Replaying before the merchant exists would dead-letter it again: the merchant signs up first.
    expect(
      (
        await api('PUT', '/v1/merchants/late-shop', keys.merchant!, {
          name: 'Late shop',
          currencies: ['EUR'],
        })
      ).status,
    ).toBe(200);
    await row.getByRole('button', { name: 'Replay' }).click();
    await row.getByText(/replayed by/).waitFor();
    await waitFor(
      async () =>
        (await api('GET', '/v1/payments/console-late-1?merchantId=late-shop', keys.merchant!)).body
          ?.status === 'approve',
      { timeoutMs: 20_000, intervalMs: 250, message: 'the replayed payment decided' },
    );
    // Once only.
    const letters = (await api('GET', '/v1/ops/dead-letters', keys.admin!)).body.letters as Array<{
      partition: number;
      offset: string;
      topic: string;
    }>;
    const letter = letters.find((l) => l.topic === 'hx.payments')!;
    const again = await api(
      'POST',
      `/v1/ops/dead-letters/${letter.partition}/${letter.offset}/replay`,
      keys.admin!,
    );
    expect([again.status, again.body.code]).toEqual([409, 'HX_DLQ_ALREADY_REPLAYED']);
    await shot(page, 'ops-replayed');
  });

  it('an expired session shows the sign-in over the view and keeps what was typed', async () => {
    const page = await signedIn('marketer', '#/campaigns/new');
    await page.locator('input[name=name]').fill('Typed before expiry');
    // A polygon this time: three corners, then Finish (once Leaflet has the map: see above).
    const map = page.locator('[data-testid=fence-map].leaflet-container');
    await map.waitFor();
    for (const [x, y] of [
      [500, 120],
      [700, 250],
      [450, 280],
    ] as const)
      await map.click({ position: { x, y } });
    await page.getByRole('button', { name: 'Finish polygon (3)' }).click();
    await page.getByText('Polygon with 3 corners').waitFor();
    await page.locator('input[name=title]').fill('Kept');
    // The cookie goes (as when it expires); the next action asks to sign in, over the form.
    await page.context().clearCookies();
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.getByText('Your session has ended').waitFor();
    await shot(page, 'session-expired');
    await page.locator('.overlay input[name=key]').fill(keys.marketer!);
    await page.locator('.overlay').getByRole('button', { name: 'Sign in' }).click();
    // The request that met the expiry went through once signed in, with what was typed.
    await page.waitForURL(/#\/campaigns\/(?!new$)[^/]+$/);
    const list = (await api('GET', '/v1/campaigns', keys.marketer!)).body.campaigns as Array<{
      name: string;
    }>;
    const kept = list.find((c) => c.name === 'Typed before expiry') as unknown as {
      fence: { type: string; coordinates: number[][][] };
    };
    expect(kept.fence.type).toBe('Polygon');
    expect(kept.fence.coordinates[0]).toHaveLength(4); // closed ring
    expect(pageErrors).toEqual([]);
  });
});
