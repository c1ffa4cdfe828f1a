import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { type DevProcess, startDev } from '../helpers/dev.js';
import { connectDevice } from '../helpers/mqtt-device.js';
import { waitFor } from '../helpers/wait-for.js';

const CENTRE = { lat: 48.8606, lng: 2.3376 };
const OUTSIDE = { lat: 48.8636, lng: 2.3376 }; // ~330 m north

describe('caps and budgets survive a restart of hexcast dev (embedded engines)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-e2e-restart-'));
  let dev: DevProcess | undefined;
  const clients: MqttClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await dev?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a device that got its one coupon before the restart is refused after it, and the budget left is kept', async () => {
    const env = { HX_DATA_DIR: dataDir, HX_API_RATE_LIMIT_PER_MINUTE: '100000' };
    dev = await startDev(env);
    const admin = readFileSync(path.join(dataDir, 'admin.key'), 'utf8').trim();
    const call = async (method: string, url: string, token: string, body?: unknown) => {
      const res = await fetch(`${dev!.api}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    const marketer = (await call('POST', '/v1/keys', admin, { role: 'marketer', name: 'm' })).token as string;
    const merchant = (await call('POST', '/v1/keys', admin, { role: 'merchant', name: 'b' })).token as string;
    const campaign = await call('POST', '/v1/campaigns', marketer, {
      name: 'Once per device',
      fence: { type: 'Circle', center: [CENTRE.lng, CENTRE.lat], radiusM: 150 },
      startsAt: '2020-01-01T00:00:00Z',
      endsAt: '2099-01-01T00:00:00Z',
      status: 'active',
      exitDebounceSeconds: 0,
      offer: { title: 'Once', budget: 5, capPerDevice: 1, couponGapSeconds: 0, ttlSeconds: 3600 },
    });
    const campaignId = campaign.id as string;
    const deviceId = 'restart-walker';
    let ts = Date.now() - 300_000;
    /** Connects (a fresh token each time: the data dir's secret survives the restart), walks out and in. */
    const walker = async () => {
      const token = (
        await call('POST', '/v1/devices', merchant, { deviceId, region: 'local', platform: 'node' })
      ).token as string;
      const { client, inbox } = await connectDevice(dev!.mqtt, deviceId, token);
      clients.push(client);
      const walk = () => {
        ts += 10_000;
        const fixes = [
          { ...OUTSIDE, accuracy: 5, ts },
          { ...CENTRE, accuracy: 5, ts: ts + 8000 },
        ];
        return client.publishAsync(`hx/d/${deviceId}/loc`, JSON.stringify({ fixes }), { qos: 1 });
      };
      return { client, inbox, walk };
    };
    const metric = async (name: string, label: string) => {
      const text = await (await fetch(`${dev!.api}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(label));
      return line === undefined ? 0 : Number(line.split(' ').pop());
    };

    const before = await walker();
    await waitFor(
      async () => {
        if (before.inbox.some((m) => m.type === 'offer')) return true;
        await before.walk();
        return false;
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'the first coupon' },
    );
    expect((await call('GET', `/v1/campaigns/${campaignId}/stats`, marketer)).issued).toBe(1);
    before.client.end(true);

    // Restart on the same data dir.
    const code = await dev.stop();
    expect(code).toBe(0);
    dev = await startDev(env);
    const after = await walker();
    // Walk in again until the offer engine has decided on it: refused.
    await waitFor(
      async () => {
        // Refused: the device still holds its coupon (and is at its cap) — as before the restart.
        const refused =
          (await metric('hexcast_offers_refused_total', 'reason="holding"')) +
          (await metric('hexcast_offers_refused_total', 'reason="device-cap"'));
        if (refused >= 1) return true;
        await after.walk();
        return false;
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'a refused decision' },
    );
    const stats = await call('GET', `/v1/campaigns/${campaignId}/stats`, marketer);
    expect(stats).toMatchObject({ issued: 1, budgetLeft: 4 });
    expect(after.inbox.filter((m) => m.type === 'offer')).toEqual([]);
  }, 180_000);
});
