import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const MAP = new URL('../../console/src/map.ts', import.meta.url).pathname;

/** What the page's globals hold here (the tests' types have no DOM library). */
interface LeafletMap {
  remove(): void;
  on(event: string, listener: () => void): void;
  _sizeTimer?: unknown;
}
interface PageGlobals {
  hxmap: {
    createMap(
      element: unknown,
      settings: { tileUrl: null; tileAttribution: null; region: string },
      view: { center: [number, number]; zoom: number },
    ): LeafletMap;
  };
  map: LeafletMap;
  document: { getElementById(id: string): unknown };
  addEventListener(type: string, listener: () => void): void;
}

/** The console's `createMap` in Chromium, bundled on its own (Leaflet included, its CSS left out). */
describe('console maps in Chromium', () => {
  let browser: Browser;
  let bundle: string;

  beforeAll(async () => {
    const result = await build({
      entryPoints: [MAP],
      bundle: true,
      format: 'iife',
      globalName: 'hxmap',
      platform: 'browser',
      write: false,
      loader: { '.css': 'empty' },
      logLevel: 'silent',
    });
    bundle = result.outputFiles[0]!.text;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it("a map removed just after a window resize does not throw when Leaflet's late moveend fires", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent('<div id="m" style="width: 100%; height: 400px"></div>');
    await page.addScriptTag({ content: bundle });
    await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals;
      w.map = w.hxmap.createMap(
        w.document.getElementById('m'),
        { tileUrl: null, tileAttribution: null, region: 'eu' },
        { center: [48.8566, 2.3522], zoom: 14 },
      );
    });
    // A resize (as a full-page screenshot makes) leaves Leaflet a moveend to fire 200 ms later.
    await page.setViewportSize({ width: 700, height: 500 });
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).map._sizeTimer !== undefined);
    // The map goes (a form leaving for the page it created) before that moveend fires; wait for it.
    const outcome = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const w = globalThis as unknown as PageGlobals;
          const map = w.map;
          w.addEventListener('error', () => resolve('error'));
          map.remove();
          map.on('moveend', () => resolve('moveend'));
        }),
    );
    expect(errors).toEqual([]);
    expect(outcome).toBe('moveend');
    await page.close();
  });
});
