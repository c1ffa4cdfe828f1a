import { connect } from 'node:net';
import { type Broker, TOPICS } from '@hexcast/core';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import { metricValue } from '../helpers/bus.js';
import { collectTopic, type GatewayFixture, inboxOf, startGateway } from '../helpers/gateway.js';
import { startStallProxy } from '../helpers/stall-proxy.js';
import { waitFor } from '../helpers/wait-for.js';

const fixes = (n: number, lat = 48.85) =>
  JSON.stringify({
    fixes: Array.from({ length: n }, (_, i) => ({
      lat: lat + i * 1e-4,
      lng: 2.35,
      accuracy: 8,
      ts: Date.now() - 1000 + i,
    })),
  });

describe('gateway ingest over the wire', () => {
  let broker: Broker;
  let proxy: Awaited<ReturnType<typeof startStallProxy>>;
  let gw: GatewayFixture | undefined;

  beforeEach(async () => {
    broker = await startBroker();
    proxy = await startStallProxy({ host: '127.0.0.1', port: broker.port });
  });
  afterEach(async () => {
    proxy.restore();
    proxy.release();
    await gw?.close();
    gw = undefined;
    await proxy.close();
    await broker.close();
  });

  it('acknowledges a QoS1 publish only after the bus accepted it, and the record is there', async () => {
    gw = await startGateway({ broker, kafka: proxy.kafkaVia(broker), producer: proxy.producerVia(broker) });
    const device = await gw.connect('dev-1');
    const locations = await collectTopic(gw.kafka, gw.registry, TOPICS.locations.name);
    // Warm up the producer (metadata, producer id) before holding the bus.
    await device.publishAsync('hx/d/dev-1/loc', fixes(1), { qos: 1 });
    await waitFor(() => locations.envelopes.length === 1);

    proxy.hold();
    let acked = false;
    const publish = device.publishAsync('hx/d/dev-1/loc', fixes(3, 40), { qos: 1 }).then(() => {
      acked = true;
    });
    // The gateway has the three fixes and is waiting for the bus: no PUBACK yet.
    await waitFor(async () => (await metricValue(gw!.metrics, 'hexcast_gateway_pending_produce')) === 3);
    expect(acked).toBe(false);
    proxy.release();
    await publish;
    // Acked means on the broker: a fresh consumer reads all three.
    await waitFor(() => locations.envelopes.length === 4);
    expect(locations.envelopes.slice(1).map((e) => (e.data as { lat: number }).lat)).toEqual([
      40, 40.0001, 40.0002,
    ]);
    await locations.close();
  });

  for (const transport of ['tcp', 'ws'] as const) {
    it(`over ${transport}: acknowledges every QoS1 publish exactly once and in order (refused ones too, with a notice), QoS0 ones never`, async () => {
      gw = await startGateway({ broker });
      const device = await gw.connect('dev-acks', { transport });
      const pubacks: number[] = [];
      device.on('packetreceive', (packet) => {
        if (packet.cmd === 'puback') pubacks.push(packet.messageId!);
      });
      const notices = inboxOf(device);
      await device.subscribeAsync('hx/d/dev-acks/inbox', { qos: 1 });
      const locations = await collectTopic(gw.kafka, gw.registry, TOPICS.locations.name);
      // 60 in flight at once, every fifth one invalid: PUBACKs of refused messages come at once,
      // the others when their produce request completes.
      const sent = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          device.publishAsync('hx/d/dev-acks/loc', i % 5 === 4 ? '{"fixes":"no"}' : fixes(1, 10 + i), {
            qos: 1,
          }),
        ),
      );
      await device.publishAsync('hx/d/dev-acks/loc', fixes(1, 70), { qos: 0 });
      await waitFor(() => locations.envelopes.length === 49);
      const ids = sent.map((packet) => packet!.messageId!);
      expect(new Set(ids).size).toBe(60);
      expect(pubacks.length).toBe(60); // one each: aedes did not acknowledge them a second time
      expect(new Set(pubacks)).toEqual(new Set(ids));
      // One device's valid messages are acknowledged in the order they were sent.
      const valid = ids.filter((_, i) => i % 5 !== 4);
      expect(pubacks.filter((id) => valid.includes(id))).toEqual(valid);
      await waitFor(() => notices.filter((n) => n.type === 'rejected').length === 12);
      expect((locations.envelopes.at(-1)!.data as { lat: number }).lat).toBe(70); // QoS0 is ingested
      // The 60 QoS1 ones were read by the connection itself, the QoS0 one by aedes.
      const read = (reader: string) =>
        metricValue(gw!.metrics, 'hexcast_gateway_publishes_total', { reader });
      expect([await read('connection'), await read('aedes')]).toEqual([60, 1]);
      await locations.close();
    });
  }

  describe('a device on a bare socket (keepalive kept by the connection: aedes no longer reads most packets)', () => {
    /** A device on a bare socket: CONNECT with `keepalive` seconds, nothing sent unless asked. */
    async function rawDevice(fixture: GatewayFixture, deviceId: string, keepalive: number) {
      const { port, hostname } = new URL(fixture.gateway.mqttUrl());
      const socket = connect(Number(port), hostname);
      const parser = mqttPacket.parser();
      const packets: Packet[] = [];
      parser.on('packet', (packet) => packets.push(packet));
      socket.on('data', (chunk) => parser.parse(chunk));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: deviceId,
          keepalive,
          username: deviceId,
          password: Buffer.from(await fixture.tokenFor(deviceId)),
        }),
      );
      await waitFor(() => packets.some((p) => p.cmd === 'connack'));
      return { socket, packets, closed };
    }

    it('closes a connection that sends a PUBLISH too short to read, and goes on serving the others', async () => {
      gw = await startGateway({ broker });
      const other = await gw.connect('dev-other');
      const device = await rawDevice(gw, 'dev-short', 60);
      device.socket.write(Buffer.from([0x32, 0x00]));
      await device.closed;
      await other.publishAsync('hx/d/dev-other/loc', fixes(1), { qos: 1 });
    });

    it('closes a connection silent for 1.5 × its keepalive', async () => {
      gw = await startGateway({ broker });
      const device = await rawDevice(gw, 'dev-quiet', 1);
      await device.closed;
    });

    it('keeps a device that only publishes (no PINGREQ) past 1.5 × its keepalive, every message acknowledged', async () => {
      gw = await startGateway({ broker });
      const device = await rawDevice(gw, 'dev-busy', 1);
      let open = true;
      void device.closed.then(() => (open = false));
      // 2.5 s of publishes every 0.25 s: aedes, had it kept the keepalive, would close at 1.5 s.
      for (let id = 1; id <= 10; id++) {
        device.socket.write(
          mqttPacket.generate({
            cmd: 'publish',
            topic: 'hx/d/dev-busy/loc',
            qos: 1,
            messageId: id,
            payload: fixes(1),
            dup: false,
            retain: false,
          }),
        );
        await waitFor(() => device.packets.filter((p) => p.cmd === 'puback').length === id);
        await new Promise((resolve) => setTimeout(resolve, 250));
        expect(open).toBe(true);
      }
      device.socket.destroy();
    });
  });

  it('does not acknowledge when the bus refuses, and closes the connection so the device resends', async () => {
    gw = await startGateway({ broker, kafka: proxy.kafkaVia(broker), producer: proxy.producerVia(broker) });
    const device = await gw.connect('dev-2');
    await device.publishAsync('hx/d/dev-2/loc', fixes(1), { qos: 1 });
    proxy.cut();
    let acked = false;
    void device.publishAsync('hx/d/dev-2/loc', fixes(1), { qos: 1 }).then(
      () => (acked = true),
      () => undefined,
    );
    await new Promise<void>((resolve) => device.once('close', () => resolve()));
    expect(acked).toBe(false);
    expect(await metricValue(gw.metrics, 'hexcast_gateway_accepted_total')).toBe(1);
  });

  it('rate-limits per device, tells the device why, and disconnects repeated abuse with a reason', async () => {
    gw = await startGateway({
      broker,
      gateway: { ratePerSecond: 1, rateBurst: 3, abuseStrikes: 5, abuseWindowMs: 60_000 },
    });
    const device = await gw.connect('dev-3');
    const inbox = inboxOf(device);
    await device.subscribeAsync('hx/d/dev-3/inbox', { qos: 1 });
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    // 3 pass (the burst), the next 5 are refused, the 5th refusal disconnects; the rest never land.
    for (let i = 0; i < 12; i++)
      void device.publishAsync('hx/d/dev-3/loc', fixes(1), { qos: 1 }).catch(() => undefined);
    await closed;
    const limited = await metricValue(gw.metrics, 'hexcast_gateway_rejected_total', {
      reason: 'HX_GATEWAY_RATE_LIMITED',
    });
    expect(limited).toBe(5);
    expect(inbox.filter((m) => m.type === 'rejected')).toHaveLength(5);
    expect(inbox.at(-1)).toMatchObject({
      type: 'disconnect',
      code: 'HX_GATEWAY_ABUSE',
      reconnect: true,
      retryAfterMs: 60_000,
    });
    expect(
      await metricValue(gw.metrics, 'hexcast_gateway_forced_disconnects_total', {
        reason: 'HX_GATEWAY_ABUSE',
      }),
    ).toBe(1);
    // A different device is unaffected.
    const other = await gw.connect('dev-4');
    await other.publishAsync('hx/d/dev-4/loc', fixes(1), { qos: 1 });
  });

  it('stops reading device sockets when the bus falls behind, then catches up losing nothing', async () => {
    const limit = 20;
    gw = await startGateway({
      broker,
      kafka: proxy.kafkaVia(broker),
      producer: proxy.producerVia(broker),
      gateway: { maxPendingProduce: limit, ratePerSecond: 1e6, rateBurst: 1e6, maxPayloadBytes: 4096 },
    });
    const devices = await Promise.all(['f1', 'f2', 'f3'].map((id) => gw!.connect(id)));
    await devices[0]!.publishAsync('hx/d/f1/loc', fixes(1), { qos: 1 });
    proxy.hold();
    const perDevice = 2000;
    const padded = (i: number) => fixes(1, 10 + i * 1e-5); // ~130 bytes each
    const all: Array<Promise<unknown>> = [];
    for (const [d, device] of devices.entries()) {
      for (let i = 0; i < perDevice; i++)
        all.push(device.publishAsync(`hx/d/f${d + 1}/loc`, padded(i), { qos: 1 }));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const read = await metricValue(gw.metrics, 'hexcast_gateway_publishes_total');
    const pending = await metricValue(gw.metrics, 'hexcast_gateway_pending_produce');
    // The gateway took in a bounded number of messages, not the 6,000 on their way.
    expect(pending).toBeLessThanOrEqual(limit);
    console.info(`backpressure: ${read} of ${3 * perDevice + 1} publishes read while the bus was held`);
    expect(read).toBeLessThan(1500);
    expect(await metricValue(gw.metrics, 'hexcast_gateway_backpressure_waits_total')).toBeGreaterThan(0);
    proxy.release();
    await Promise.all(all);
    expect(await metricValue(gw.metrics, 'hexcast_gateway_accepted_total')).toBe(1 + 3 * perDevice);
  }, 60_000);
});
