import { createServer, type Server } from 'node:net';
import { GatewayEmitter, GatewayPersistence, isDevicePublishTopic } from '@hexcast/edge-gateway';
import { Aedes, type Client } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Pins what the gateway relies on in aedes (edge-gateway/src/aedes-adapter.ts): if an upgrade
 * changes where a PUBACK's packet id goes, or starts routing around the `mq` / `persistence`
 * options, these fail — before delivery accounting silently breaks.
 */
describe('aedes adapter (real aedes over TCP, mqtt.js clients)', () => {
  let aedes: Aedes;
  let server: Server;
  let url: string;
  const pubacks: Array<{ clientId: string; messageId: number }> = [];
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    pubacks.length = 0;
    aedes = await Aedes.createBroker({
      persistence: new GatewayPersistence((client: Client, messageId) =>
        pubacks.push({ clientId: client.id, messageId }),
      ),
      mq: new GatewayEmitter(),
    });
    server = createServer(aedes.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    url = `mqtt://127.0.0.1:${address.port}`;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function connect(clientId: string): Promise<MqttClient> {
    const client = await mqtt.connectAsync(url, {
      clientId,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(client);
    return client;
  }

  it('hands the gateway the packet id of each PUBACK of a clean session', async () => {
    const ready = new Promise<Client>((resolve) => aedes.once('clientReady', resolve));
    const device = await connect('dev-1');
    const target = await ready;
    await device.subscribeAsync('hx/d/dev-1/inbox', { qos: 1 });
    const got: string[] = [];
    device.on('message', (_topic, payload) => got.push(payload.toString()));
    for (const n of [1, 2, 3])
      target.publish(
        {
          cmd: 'publish',
          topic: 'hx/d/dev-1/inbox',
          payload: Buffer.from(`m${n}`),
          qos: 1,
          retain: false,
          dup: false,
        },
        () => undefined,
      );
    await waitFor(() => pubacks.length === 3, { message: 'three PUBACKs reached the persistence' });
    expect(got).toEqual(['m1', 'm2', 'm3']);
    expect(pubacks.every((p) => p.clientId === 'dev-1')).toBe(true);
    expect(new Set(pubacks.map((p) => p.messageId)).size).toBe(3);
  });

  it('routes nothing a device publishes, retained or not, and everything else as aedes does', async () => {
    const watcher = await connect('watcher');
    const seen: string[] = [];
    watcher.on('message', (topic) => seen.push(topic));
    await watcher.subscribeAsync('#', { qos: 1 });
    const device = await connect('dev-2');
    await device.publishAsync('hx/d/dev-2/loc', '{}', { qos: 1 });
    await device.publishAsync('hx/d/dev-2/ev', '{}', { qos: 1, retain: true });
    await device.publishAsync('hx/d/dev-2/ack', '{}', { qos: 0 });
    // A marker after them: once it arrives, whatever would have been routed before it has been.
    await device.publishAsync('marker/one', 'x', { qos: 1 });
    await waitFor(() => seen.includes('marker/one'));
    expect(seen).toEqual(['marker/one']);

    await device.publishAsync('kept/retained', 'r', { qos: 1, retain: true });
    const late = await connect('late');
    const retained: string[] = [];
    late.on('message', (topic) => retained.push(topic));
    await late.subscribeAsync(['hx/d/dev-2/ev', 'kept/retained'], { qos: 1 });
    await waitFor(() => retained.includes('kept/retained'));
    expect(retained).toEqual(['kept/retained']);
  });

  it('knows device topics: loc, ev and ack under hx/d/{id}/, not the inbox', () => {
    expect(['hx/d/a/loc', 'hx/d/a/ev', 'hx/d/a/ack'].every(isDevicePublishTopic)).toBe(true);
    expect(['hx/d/a/inbox', 'hx/d//loc', 'hx/x/a/loc', 'loc', 'hx/d/a/locx'].some(isDevicePublishTopic)).toBe(
      false,
    );
  });
});
