import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { type DevProcess, startDev } from '../helpers/dev.js';
import { sharedData } from '../helpers/shared-data.js';
import { waitFor } from '../helpers/wait-for.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('npm run demo: tweets through the X stand-in (HX_DEMO_SOCIAL_RATE)', () => {
  let dev: DevProcess | undefined;
  afterAll(async () => {
    await dev?.stop();
  });

  it('the demo plays airline tweets that hexcast reads from the stand-in: posts summarised, alerts raised', async () => {
    dev = await startDev({
      HX_DEMO_SOCIAL_RATE: '40',
      HX_DEMO_SOCIAL_DATA: sharedData('sentiment/airline/airline_tweets_dev.csv'),
      HX_X_API_URL: `http://127.0.0.1:${await freePort()}`,
      HX_X_BEARER_TOKEN: 'hexcast-demo',
      HX_API_RATE_LIMIT_PER_MINUTE: '100000',
    });
    const key = dev.adminKey();
    const get = async (url: string) =>
      (await (await fetch(`${dev!.api}${url}`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
        views?: Array<{ volume: number }>;
        alerts?: unknown[];
      };
    await waitFor(
      async () =>
        ((await get('/v1/sentiment/summary?window=5')).views ?? []).reduce((n, v) => n + v.volume, 0) >= 50,
      { timeoutMs: 40_000, intervalMs: 250, message: 'demo posts in the summary' },
    );
    await waitFor(async () => ((await get('/v1/care/alerts')).alerts ?? []).length > 0, {
      timeoutMs: 20_000,
      intervalMs: 250,
      message: 'a care alert from the demo',
    });
    expect(dev.lines.some((l) => l.includes('demo tweets through the X stand-in'))).toBe(true);
  }, 120_000);
});
