import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { documentedRoutes, openApiRoutes } from '../helpers/api-docs.js';
import { type DevProcess, startDev } from '../helpers/dev.js';
import { waitFor } from '../helpers/wait-for.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The text of a README section, from its heading to the next `## `. */
function section(file: string, heading: string): string {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const start = text.indexOf(`## ${heading}\n`);
  if (start < 0) throw new Error(`${file} has no section "${heading}"`);
  const end = text.indexOf('\n## ', start + 3);
  return text.slice(start, end < 0 ? undefined : end);
}

describe("the quick starts, walked from outside the repository (README's first coupon, the SDK's Node quick start); the OpenAPI against docs/api.md", () => {
  let dev: DevProcess | undefined;
  const outside = mkdtempSync(path.join(tmpdir(), 'hx-quick-start-'));
  afterAll(async () => {
    await dev?.stop();
    rmSync(outside, { recursive: true, force: true });
  });

  it('packs and installs the SDK in an app of its own, and its device gets a coupon the shop redeems', async () => {
    // The SDK as the README says to get it: packed from the checkout, installed from the tarball.
    const { stdout: packed } = await run(
      'npm',
      ['pack', '-w', 'mobile-sdk', '--pack-destination', outside, '--silent'],
      { cwd: ROOT },
    );
    const tarball = path.join(outside, packed.trim().split('\n').pop()!);
    const app = path.join(outside, 'app');
    await run('mkdir', ['-p', app]);
    writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module' }),
    );
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app });
    const code = /```js\n([\s\S]*?)```/.exec(section('mobile-sdk/README.md', 'Quick start — Node'))![1]!;
    writeFileSync(path.join(app, 'app.mjs'), code);

    // README's first coupon, on a fresh hexcast dev without the demo seed: its request bodies, in order.
    dev = await startDev({ HX_API_RATE_LIMIT_PER_MINUTE: '100000' });
    const bodies = [...section('README.md', 'Your first coupon').matchAll(/'(\{"[^']*\})'/g)].map((m) =>
      JSON.parse(m[1]!),
    );
    expect(bodies).toHaveLength(4);
    const [marketerKey, merchantKey, campaign, device] = bodies;
    const post = async (url: string, token: string, body?: unknown) => {
      const res = await fetch(`${dev!.api}${url}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const admin = dev.adminKey();
    const marketer = (await post('/v1/keys', admin, marketerKey)).body.token as string;
    const merchant = (await post('/v1/keys', admin, merchantKey)).body.token as string;
    const created = await post('/v1/campaigns', marketer, campaign);
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('active');
    const registered = await post('/v1/devices', merchant, device);
    expect(registered.status).toBe(201);
    const [lng, lat] = (campaign as { fence: { center: [number, number] } }).fence.center;
    // The fence is live (the API's catalogue is the process's, the geo worker's too).
    await waitFor(
      async () =>
        (
          (await (
            await fetch(`${dev!.api}/v1/fences/lookup?lat=${lat}&lng=${lng}`, {
              headers: { authorization: `Bearer ${marketer}` },
            })
          ).json()) as { fences: unknown[] }
        ).fences.length === 1,
      { message: 'the fence live' },
    );

    const { stdout } = await run(process.execPath, ['app.mjs'], {
      cwd: app,
      timeout: 60_000,
      env: {
        ...process.env,
        HEXCAST_GATEWAY: dev.mqtt,
        HEXCAST_DEVICE: (device as { deviceId: string }).deviceId,
        HEXCAST_TOKEN: registered.body.token as string,
        HEXCAST_WALK_TO: `${lat},${lng}`,
      },
    });
    const printed = /^coupon (\S+) (.*)$/m.exec(stdout);
    expect(printed?.[2]).toBe((campaign as { offer: { title: string } }).offer.title);
    const coupon = printed![1]!;
    // The OpenAPI document of the full API agrees with docs/api.md, route for route; every
    // operation has a summary and says who may call it; server-defaulted fields are not required.
    const doc = (await (await fetch(`${dev.api}/docs/json`)).json()) as {
      paths: Record<
        string,
        Record<string, { summary?: string; description?: string; requestBody?: unknown }>
      >;
    };
    const served = openApiRoutes(doc);
    const documented = documentedRoutes(path.join(ROOT, 'docs/api.md'));
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
    for (const [route, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary, `${method} ${route} has a summary`).toBeTruthy();
        expect(op.description, `${method} ${route} says who may call it`).toMatch(/^(Roles: |Public: )/);
      }
    const createSchema = JSON.stringify(doc.paths['/v1/campaigns']!.post!.requestBody);
    const required = JSON.parse(createSchema).content['application/json'].schema.required as string[];
    expect(required.sort()).toEqual(['endsAt', 'fence', 'name', 'startsAt']);

    const redeemed = await post(`/v1/coupons/${coupon}/redeem`, merchant);
    expect(redeemed.status).toBe(200);
    expect((await post(`/v1/coupons/${coupon}/redeem`, merchant)).body.code).toBe(
      'HX_COUPON_ALREADY_REDEEMED',
    );
  }, 180_000);
});
