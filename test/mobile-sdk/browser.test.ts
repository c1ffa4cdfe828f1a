import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Broker } from '@hexcast/core';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import { type GatewayFixture, produceItem, startGateway } from '../helpers/gateway.js';
import { bundleSdk } from '../helpers/sdk-bundle.js';

const CHROMIUM = '/usr/bin/chromium';
const PAGE = `<!doctype html><html><body><pre id="log"></pre><script type="module">
import { createClient, webStorage } from '/sdk.js';
const { gatewayUrl, deviceId, token } = window.HX_CONFIG;
window.received = [];
const client = createClient({ gatewayUrl, deviceId, getToken: async () => token, storage: webStorage(localStorage) });
client.onOffer((offer) => { window.received.push({ id: offer.id, content: offer.content }); offer.open(); });
client.connect().then(() => { window.connected = true; }, (e) => { window.failed = String(e.code || e); });
</script></body></html>`;

describe('mobile SDK in a browser (headless Chromium, MQTT over WebSocket)', () => {
  let broker: Broker;
  let gw: GatewayFixture;
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    broker = await startBroker();
    gw = await startGateway({ broker, region: 'web' });
    const { code } = await bundleSdk(true);
    server = createServer((req, res) => {
      if (req.url === '/sdk.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
      else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
    await gw?.close();
    await broker?.close();
  });

  it('a page loads the SDK bundle, connects over WebSocket and receives an offer', async () => {
    const page = await browser.newPage();
    const config = {
      gatewayUrl: gw.gateway.wsUrl(),
      deviceId: 'browser-1',
      token: await gw.tokenFor('browser-1'),
    };
    await page.addInitScript((c) => {
      (globalThis as unknown as { HX_CONFIG: unknown }).HX_CONFIG = c;
    }, config);
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(
      () => (globalThis as unknown as { connected?: boolean }).connected === true,
      null,
      { timeout: 20_000 },
    );
    const id = await produceItem(gw, 'web', 'browser-1', Date.now() + 60_000, { content: { code: 'WEB-1' } });
    await page.waitForFunction(
      () => (globalThis as unknown as { received: unknown[] }).received.length === 1,
      null,
      { timeout: 20_000 },
    );
    const received = await page.evaluate(() => (globalThis as unknown as { received: unknown[] }).received);
    expect(received).toEqual([{ id, content: { code: 'WEB-1' } }]);
    // The offline buffer lives in localStorage; it is empty once everything was acknowledged.
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { localStorage: { getItem(k: string): string | null } }
        ).localStorage.getItem('hexcast:browser-1:outbox') === '[]',
      null,
      {
        timeout: 10_000,
      },
    );
    await page.close();
  }, 60_000);
});
