import { type Broker, DeviceTokens } from '@hexcast/core';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import { metricValue } from '../helpers/bus.js';
import { type GatewayFixture, startGateway } from '../helpers/gateway.js';

/** Connects and resolves to the CONNACK return code (0 = accepted). */
async function connackCode(url: string, clientId: string, password: string | undefined): Promise<number> {
  const client = mqtt.connect(url, {
    clientId,
    username: clientId,
    ...(password === undefined ? {} : { password }),
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', (packet) => resolve(packet.returnCode ?? 0));
      client.once('error', (error) => {
        const code = (error as { code?: number }).code;
        if (typeof code === 'number') resolve(code);
        else reject(error);
      });
    });
  } finally {
    await client.endAsync(true);
  }
}

describe('gateway device auth on CONNECT', () => {
  let broker: Broker;
  let gw: GatewayFixture;

  beforeAll(async () => {
    broker = await startBroker();
    gw = await startGateway({ broker, region: 'eu-west' });
  });
  afterAll(async () => {
    await gw.close();
    await broker.close();
  });

  for (const transport of ['tcp', 'ws'] as const) {
    describe(`over ${transport}`, () => {
      const url = () => (transport === 'tcp' ? gw.gateway.mqttUrl() : gw.gateway.wsUrl());

      it('accepts a valid token whose subject is the client id', async () => {
        expect(await connackCode(url(), 'dev-ok', await gw.tokenFor('dev-ok'))).toBe(0);
      });

      it('refuses a missing token with CONNACK 4', async () => {
        expect(await connackCode(url(), 'dev-none', undefined)).toBe(4);
      });

      it('refuses a token signed with another secret with CONNACK 4', async () => {
        const forged = await new DeviceTokens('another-secret-another-secret-0123456789', 900).issue(
          'dev-f',
          'eu-west',
        );
        expect(await connackCode(url(), 'dev-f', forged.token)).toBe(4);
      });

      it('refuses an expired token with CONNACK 4', async () => {
        const old = await gw.tokenFor('dev-old', 'eu-west', Date.now() - 3600_000);
        expect(await connackCode(url(), 'dev-old', old)).toBe(4);
      });

      it('refuses a client id that is not the token subject with CONNACK 2', async () => {
        expect(await connackCode(url(), 'dev-b', await gw.tokenFor('dev-a'))).toBe(2);
      });

      it('refuses a token for another region with CONNACK 5', async () => {
        expect(await connackCode(url(), 'dev-r', await gw.tokenFor('dev-r', 'us-east'))).toBe(5);
      });

      it('refuses a garbage token without crashing', async () => {
        expect(await connackCode(url(), 'dev-g', 'not.a.jwt')).toBe(4);
        expect(await connackCode(url(), 'dev-g', '\u0000'.repeat(5000))).toBe(4);
      });
    });
  }

  it('counts every refusal by reason', async () => {
    const count = (result: string) => metricValue(gw.metrics, 'hexcast_gateway_connects_total', { result });
    expect(await count('ok')).toBe(2);
    expect(await count('token-missing')).toBe(2);
    expect(await count('token-invalid')).toBe(2 * 4);
    expect(await count('client-id-mismatch')).toBe(2);
    expect(await count('region-mismatch')).toBe(2);
  });

  it('closes the connection when the token expires, with a reason the SDK can act on', async () => {
    const now = Date.now();
    // A token with ~2–3 s left.
    const { token } = await new DeviceTokens('test-device-token-secret-0123456789abcdef', 60).issue(
      'dev-exp',
      'eu-west',
      now - 57_000,
    );
    const client = mqtt.connect(gw.gateway.mqttUrl(), {
      clientId: 'dev-exp',
      username: 'dev-exp',
      password: token,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const messages: unknown[] = [];
    client.on('message', (_t, p) => messages.push(JSON.parse(p.toString())));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await client.subscribeAsync('hx/d/dev-exp/inbox', { qos: 1 });
    await new Promise<void>((resolve) => client.once('close', () => resolve()));
    expect(messages).toContainEqual(
      expect.objectContaining({ type: 'disconnect', code: 'HX_GATEWAY_AUTH_FAILED', reconnect: true }),
    );
    await client.endAsync(true);
  });
});
