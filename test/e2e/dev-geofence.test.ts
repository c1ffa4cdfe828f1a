import { CAMPAIGN_EVENTS, createEventRegistry, type Envelope, GEO_EVENTS, TOPICS } from '@hexcast/core';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaFor } from '../helpers/broker.js';
import { type DevProcess, startDev } from '../helpers/dev.js';
import { waitFor } from '../helpers/wait-for.js';

describe('hexcast dev (one process, everything embedded)', () => {
  let dev: DevProcess | undefined;
  afterAll(async () => {
    await dev?.stop();
  });

  it('takes a campaign over HTTP, a device over MQTT, and turns its fixes into a geo.enter; stops cleanly', async () => {
    dev = await startDev();
    const seen = dev;
    const admin = dev.adminKey();
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
    for (const e of [...GEO_EVENTS, ...CAMPAIGN_EVENTS]) registry.register(e);
    const kafka = kafkaFor(seen.bootstrap);
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
    const device = await mqtt.connectAsync(seen.mqtt, {
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
    expect(await dev.stop('SIGTERM')).toBe(0);
  });
});
