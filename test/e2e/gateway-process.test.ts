import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Broker, DeviceTokens, TOPICS } from '@hexcast/core';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaFor, startBroker } from '../helpers/broker.js';
import { collectTopic, gatewayRegistry } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait-for.js';

const BIN = fileURLToPath(new URL('../../core/bin/hexcast.js', import.meta.url));
const SECRET = 'e2e-gateway-secret-0123456789abcdef0123';

describe('hexcast gateway --region (its own process)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-e2e-gw-'));
  let broker: Broker;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start without a bus to talk to', async () => {
    const error = (await promisify(execFile)(process.execPath, [BIN, 'gateway', '--region', 'eu'], {
      env: { ...process.env, KAFKA_BROKERS: '', HX_DATA_DIR: dataDir },
    }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('HX_CLI_USAGE');
  });

  it('serves devices of its region, acks after the bus, and stops cleanly on SIGTERM', async () => {
    child = spawn(process.execPath, [BIN, 'gateway', '--region', 'eu-test'], {
      env: {
        ...process.env,
        KAFKA_BROKERS: broker.bootstrap,
        HX_DATA_DIR: dataDir,
        HX_DEVICE_TOKEN_SECRET: SECRET,
        HX_GATEWAY_MQTT_PORT: '0',
        HX_GATEWAY_HTTP_PORT: '0',
        HX_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let mqttUrl: string | undefined;
    let httpUrl: string | undefined;
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.includes('gateway listening')) ({ mqtt: mqttUrl, http: httpUrl } = JSON.parse(line));
      }
    });
    await waitFor(() => mqttUrl, { timeoutMs: 60_000, message: 'gateway started' });
    expect((await fetch(`${httpUrl}/readyz`)).status).toBe(200);
    const { token } = await new DeviceTokens(SECRET, 900).issue('e2e-phone', 'eu-test');
    const device = await mqtt.connectAsync(mqttUrl!, {
      clientId: 'e2e-phone',
      username: 'e2e-phone',
      password: token,
      reconnectPeriod: 0,
    });
    const locations = await collectTopic(kafkaFor(broker), gatewayRegistry(), TOPICS.locations.name);
    await device.publishAsync(
      'hx/d/e2e-phone/loc',
      JSON.stringify({ fixes: [{ lat: 52.52, lng: 13.405, accuracy: 9, ts: Date.now() }] }),
      { qos: 1 },
    );
    await waitFor(() => locations.envelopes.length === 1);
    expect(locations.envelopes[0]).toMatchObject({
      key: 'e2e-phone',
      source: { kind: 'gateway', region: 'eu-test' },
    });
    await locations.close();
    const closed = new Promise<void>((r) => device.once('close', () => r()));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await closed;
    await device.endAsync(true);
  });
});
