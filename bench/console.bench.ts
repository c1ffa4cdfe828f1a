import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  type BenchCaseResult,
  type Benchmark,
  BusProducer,
  createEventRegistry,
  GEO_EVENTS,
  GeoEnter,
  Metrics,
  quantile,
  TOPICS,
} from '@hexcast/core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startBenchDev } from './processes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

interface Load {
  jsGzKb: number;
  cssGzKb: number;
  requests: number;
  /** Navigation start → the first screen usable (ms). */
  interactiveMs: number;
}

/** Loads `url` in a fresh context (cold cache) and sums what came over the wire, gzipped as served compressed. */
async function firstLoad(
  browser: Browser,
  url: string,
  ready: (page: Page) => Promise<unknown>,
): Promise<Load> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const bodies: Array<Promise<{ type: string; gz: number }>> = [];
  page.on('response', (res) => {
    const type = res.request().resourceType();
    if (type !== 'script' && type !== 'stylesheet') return;
    bodies.push(res.body().then((b) => ({ type, gz: gzipSync(b).length })));
  });
  await page.goto(url);
  await ready(page);
  const interactiveMs = await page.evaluate(() => performance.now());
  const sizes = await Promise.all(bodies);
  await context.close();
  const kb = (type: string) => sizes.filter((s) => s.type === type).reduce((n, s) => n + s.gz, 0) / 1024;
  return { jsGzKb: kb('script'), cssGzKb: kb('stylesheet'), requests: sizes.length, interactiveMs };
}

const median = (xs: number[]) => quantile(xs, 0.5);

/**
 * The console's weight and liveness against `hexcast dev`, in Debian's Chromium: first load
 * (JavaScript and CSS gzipped, time until the sign-in is usable, then until the campaigns view
 * shows after signing in) beside the web UI the API served before it — Swagger UI at `/docs` —
 * and the live stream at 100 events/s into a page drawing them on the live map: delivery rate and
 * lag from the event's creation to its handler on the page's main thread.
 */
const bench: Benchmark = {
  name: 'console',
  description: 'console first load vs Swagger UI (/docs); live stream at 100 events/s into the live map',
  baseline: 'swagger-ui (/docs)',
  primary: { metric: 'js_gz_kb', higherIsBetter: false },
  async run(ctx) {
    ctx.progress('building the console');
    execFileSync('npm', ['run', 'build', '-w', 'console'], { cwd: ROOT, stdio: 'ignore' });
    const dev = await startBenchDev('console', { HX_API_RATE_LIMIT_PER_MINUTE: '100000' });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] });
    const results: BenchCaseResult[] = [];
    try {
      const key = readFileSync(path.join(dev.dataDir, 'admin.key'), 'utf8').trim();
      const rounds = ctx.quick ? 2 : 5;
      const consoleLoads: Load[] = [];
      const signedInMs: number[] = [];
      const swaggerLoads: Load[] = [];
      for (let r = 0; r < rounds; r++) {
        ctx.progress(`first loads, round ${r + 1}/${rounds}`);
        consoleLoads.push(
          await firstLoad(browser, `${dev.api}/console/`, (p) => p.locator('input[name=key]').waitFor()),
        );
        swaggerLoads.push(
          await firstLoad(browser, `${dev.api}/docs`, (p) => p.locator('.swagger-ui .info').waitFor()),
        );
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(`${dev.api}/console/#/campaigns`);
        await page.locator('input[name=key]').fill(key);
        const t0 = Date.now();
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByText('No campaigns yet').waitFor();
        signedInMs.push(Date.now() - t0);
        await context.close();
      }
      const summary = (loads: Load[]) => ({
        js_gz_kb: median(loads.map((l) => l.jsGzKb)),
        css_gz_kb: median(loads.map((l) => l.cssGzKb)),
        requests: median(loads.map((l) => l.requests)),
        interactive_ms: median(loads.map((l) => l.interactiveMs)),
      });
      results.push({
        case: 'swagger-ui (/docs)',
        metrics: summary(swaggerLoads),
        rounds: swaggerLoads.map((l) => l.jsGzKb),
        notes: 'the web UI the API served before the console',
      });
      results.push({
        case: 'console',
        metrics: { ...summary(consoleLoads), sign_in_to_view_ms: median(signedInMs) },
        rounds: consoleLoads.map((l) => l.jsGzKb),
        notes: 'interactive = the sign-in form usable; the live map adds h3-js (lazy chunk) when opened',
      });

      // The live stream: geo events at 100/s while the page draws them on the live map.
      const rate = 100;
      const seconds = ctx.quick ? 5 : 20;
      ctx.progress(`live stream: ${rate} events/s for ${seconds} s`);
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${dev.api}/console/#/map`);
      await page.locator('input[name=key]').fill(key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('[data-testid=live-map]').waitFor();
      // A listener of its own on the page's main thread (the one that renders the map): lag as the page sees it.
      // (Browser code, as a string: this file is typed for Node.)
      await page.evaluate(`new Promise((resolve) => {
        window.lags = [];
        const source = new EventSource('/v1/live');
        source.addEventListener('geo', (e) => window.lags.push(Date.now() - JSON.parse(e.data).at));
        source.addEventListener('hello', () => resolve());
      })`);
      const registry = createEventRegistry();
      for (const e of GEO_EVENTS) registry.register(e);
      const producer = new BusProducer({ brokers: [dev.bootstrap], registry, metrics: new Metrics() });
      await producer.start();
      const total = rate * seconds;
      const start = Date.now();
      for (let i = 0; i < total; i++) {
        const due = start + (i * 1000) / rate;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        const lat = 48.85 + (i % 50) * 0.001;
        const lng = 2.33 + Math.floor(i / 50) * 0.0005;
        void producer.send(
          TOPICS.geoEvents,
          registry.create(GeoEnter, {
            key: `bench-${i % 500}`,
            source: { kind: 'bench', id: 'console' },
            data: {
              deviceId: `bench-${i % 500}`,
              fenceId: 'bench-fence',
              campaignId: 'bench-campaign',
              lat,
              lng,
              h3: '8a1fb46622dffff',
              accuracy: 5,
              visitStartedAt: Date.now(),
              impossibleTravel: false,
            },
          }),
        );
      }
      const sentFor = (Date.now() - start) / 1000;
      // Wait for the last events (or 10 s) — the count, not a fixed sleep, ends it.
      const deadline = Date.now() + 10_000;
      let lags: number[] = [];
      while (Date.now() < deadline) {
        lags = (await page.evaluate('window.lags')) as number[];
        if (lags.length >= total) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await producer.close();
      // What the view itself handled: its fence-event counter (markers are drawn on a canvas).
      const totals = (await page.locator('[data-testid=density-totals]').textContent()) ?? '';
      const drawn = Number(/([\d,]+) fence events?/.exec(totals)?.[1]?.replaceAll(',', '') ?? Number.NaN);
      await context.close();
      results.push({
        case: `live stream ${rate}/s`,
        metrics: {
          sent_per_s: total / sentFor,
          received: lags.length,
          lost: total - lags.length,
          lag_p50_ms: quantile(lags, 0.5),
          lag_p99_ms: quantile(lags, 0.99),
          handled_by_view: drawn,
        },
        notes:
          'bus → API tail → SSE → the page; handled_by_view: events the live map drew (it keeps the last 200 markers)',
      });
    } finally {
      await browser.close();
      await dev.stop();
    }
    return results;
  },
};

export default bench;
