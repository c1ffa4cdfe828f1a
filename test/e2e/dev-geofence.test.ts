import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEventRegistry, type Envelope, GEO_EVENTS, TOPICS } from '@hexcast/core';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaFor } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait-for.js';

const BIN = fileURLToPath(new URL('../../core/bin/hexcast.js', import.meta.url));

describe('hexcast dev (one process, everything embedded)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-e2e-dev-'));
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('takes a campaign over HTTP, a device over MQTT, and turns its fixes into a geo.enter; stops cleanly', async () => {
    child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', BIN, 'dev'], {
      env: {
        ...process.env,
        HX_DATA_DIR: dataDir,
        HX_BROKER_PORT: '0',
        HX_HTTP_PORT: '0',
        HX_GATEWAY_MQTT_PORT: '0',
        HX_GATEWAY_HTTP_PORT: '0',
        HX_LOG_LEVEL: 'info',
        HX_DEV_SEED_CITY: 'none',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const seen: { bootstrap?: string; api?: string; mqtt?: string } = {};
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('broker listening')) seen.bootstrap = JSON.parse(line).bootstrap;
        if (line.includes('api listening')) seen.api = JSON.parse(line).address;
        if (line.includes('gateway listening')) seen.mqtt = JSON.parse(line).mqtt;
      }
    });
    await waitFor(() => seen.bootstrap && seen.api && seen.mqtt, {
      timeoutMs: 60_000,
      message: 'dev started',
    });
    const admin = readFileSync(path.join(dataDir, 'admin.key'), 'utf8').trim();
    const post = async (url: string, token: string, body: unknown) =>
      fetch(`${seen.api}${url}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const marketer = (await (await post('/v1/keys', admin, { role: 'marketer', name: 'e2e' })).json()) as {
      token: string;
    };
    const created = await post('/v1/campaigns', marketer.token, {
      name: 'Gare du Nord',
      fence: { type: 'Circle', center: [2.3553, 48.8809], radiusM: 120 },
      startsAt: '2020-01-01T00:00:00Z',
      endsAt: '2099-01-01T00:00:00Z',
      status: 'active',
      dwellSeconds: 600,
    });
    expect(created.status).toBe(201);
    const campaignId = ((await created.json()) as { id: string }).id;

    const registry = createEventRegistry();
    for (const e of GEO_EVENTS) registry.register(e);
    const kafka = kafkaFor(seen.bootstrap!);
    const events: Envelope[] = [];
    const consumer = kafka.consumer({ groupId: 'e2e-geo-reader', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.geoEvents.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void events.push(registry.decode(message.value)),
    });
    // The app backend registers the device and hands it a token; the device speaks MQTT.
    const merchant = (await (
      await post('/v1/keys', admin, { role: 'merchant', name: 'e2e-app' })
    ).json()) as {
      token: string;
    };
    const registered = await post('/v1/devices', merchant.token, {
      deviceId: 'e2e-device-1',
      region: 'local',
      platform: 'node',
    });
    expect(registered.status).toBe(201);
    const { token } = (await registered.json()) as { token: string };
    const device = await mqtt.connectAsync(seen.mqtt!, {
      clientId: 'e2e-device-1',
      username: 'e2e-device-1',
      password: token,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    // The campaign reaches the geo worker within a second; keep walking in until it has.
    let ts = Date.now() - 60_000;
    await waitFor(
      async () => {
        ts += 1000;
        const fix = { lat: 48.8809, lng: 2.3553, accuracy: 5, ts };
        await device.publishAsync('hx/d/e2e-device-1/loc', JSON.stringify({ fixes: [fix] }), { qos: 1 });
        return events.some((e) => e.type === 'geo.enter');
      },
      { timeoutMs: 20_000, intervalMs: 300, message: 'geo.enter' },
    );
    expect(events.filter((e) => e.type === 'geo.enter')).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ campaignId, deviceId: 'e2e-device-1' });
    await device.endAsync();
    await consumer.disconnect();
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
