import { type Broker, TOPICS } from '@hexcast/core';
import { maySubscribe, publishChannel } from '@hexcast/edge-gateway';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import { metricValue } from '../helpers/bus.js';
import { collectTopic, type GatewayFixture, inboxOf, startGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait-for.js';

const OWN = 'dev-a';
const OTHER = 'dev-b';
const now = () => Date.now();

/** A valid payload for each channel, so only the topic decides. */
function payloadFor(channel: string): string {
  if (channel === 'ev')
    return JSON.stringify({ sessionId: 's1', productId: 'p1', action: 'view', ts: now() });
  if (channel === 'ack') return JSON.stringify({ id: 'item-1', status: 'opened' });
  return JSON.stringify({ fixes: [{ lat: 48.85, lng: 2.35, accuracy: 10, ts: now() }] });
}

const PUBLISH_TOPICS: Array<{ topic: string; allowed: boolean }> = [];
for (const owner of [OWN, OTHER]) {
  for (const channel of ['loc', 'ev', 'ack', 'inbox']) {
    PUBLISH_TOPICS.push({ topic: `hx/d/${owner}/${channel}`, allowed: owner === OWN && channel !== 'inbox' });
  }
}
PUBLISH_TOPICS.push(
  { topic: `hx/d/${OWN}`, allowed: false },
  { topic: `hx/d/${OWN}/loc/extra`, allowed: false },
  { topic: `hx/d/${OWN}/LOC`, allowed: false },
  { topic: `hx/d//loc`, allowed: false },
  { topic: '$SYS/broker/clients', allowed: false },
  { topic: 'hx/d', allowed: false },
);

const SUBSCRIBE_FILTERS: Array<{ filter: string; allowed: boolean }> = [
  { filter: `hx/d/${OWN}/inbox`, allowed: true },
  ...['loc', 'ev', 'ack'].map((c) => ({ filter: `hx/d/${OWN}/${c}`, allowed: false })),
  ...['inbox', 'loc', 'ev', 'ack'].map((c) => ({ filter: `hx/d/${OTHER}/${c}`, allowed: false })),
  { filter: `hx/d/${OWN}/+`, allowed: false },
  { filter: `hx/d/${OWN}/#`, allowed: false },
  { filter: `hx/d/${OWN}/inbox/#`, allowed: false },
  { filter: 'hx/d/+/inbox', allowed: false },
  { filter: 'hx/d/#', allowed: false },
  { filter: '#', allowed: false },
  { filter: '+/+/+/+', allowed: false },
  { filter: '$SYS/#', allowed: false },
];

/** The SUBACK return code for one filter (mqtt.js turns 0x80 into an error carrying the packet). */
async function grantedQos(client: MqttClient, filter: string): Promise<number | undefined> {
  try {
    return (await client.subscribeAsync(filter, { qos: 1 }))[0]?.qos;
  } catch (error) {
    const packet = (error as { packet?: { granted?: number[] } }).packet;
    if (packet?.granted === undefined) throw error;
    return packet.granted[0];
  }
}

describe('device ACL', () => {
  it('the rules, as pure functions', () => {
    for (const { topic, allowed } of PUBLISH_TOPICS)
      expect(publishChannel(OWN, topic) !== null, topic).toBe(allowed);
    for (const { filter, allowed } of SUBSCRIBE_FILTERS)
      expect(maySubscribe(OWN, filter), filter).toBe(allowed);
  });

  describe('over the wire (aedes over TCP, mqtt.js)', () => {
    let broker: Broker;
    let gw: GatewayFixture;
    let own: MqttClient;
    let other: MqttClient;
    let otherInbox: ReturnType<typeof inboxOf>;

    beforeAll(async () => {
      broker = await startBroker();
      gw = await startGateway({ broker });
      own = await gw.connect(OWN);
      other = await gw.connect(OTHER);
      otherInbox = inboxOf(other);
      await other.subscribeAsync(`hx/d/${OTHER}/inbox`, { qos: 1 });
    });
    afterAll(async () => {
      await gw.close();
      await broker.close();
    });

    it('publish: own loc/ev/ack reach the bus; every other topic is dropped and counted', async () => {
      const bus = {
        loc: await collectTopic(gw.kafka, gw.registry, TOPICS.locations.name),
        ev: await collectTopic(gw.kafka, gw.registry, TOPICS.clicks.name),
        ack: await collectTopic(gw.kafka, gw.registry, TOPICS.receipts.name),
      };
      const forbidden = () =>
        metricValue(gw.metrics, 'hexcast_gateway_rejected_total', { reason: 'HX_GATEWAY_TOPIC_FORBIDDEN' });
      const accepted = () => metricValue(gw.metrics, 'hexcast_gateway_accepted_total');
      let expectedAccepted = 0;
      for (const { topic, allowed } of PUBLISH_TOPICS) {
        const channel = topic.split('/')[3] ?? 'loc';
        const before = { forbidden: await forbidden(), accepted: await accepted() };
        await own.publishAsync(topic, payloadFor(channel), { qos: 1 });
        expect(await accepted(), topic).toBe(before.accepted + (allowed ? 1 : 0));
        expect(await forbidden(), topic).toBe(before.forbidden + (allowed ? 0 : 1));
        if (allowed) expectedAccepted++;
      }
      // Exactly the allowed ones are on the bus, keyed by the device.
      await waitFor(
        () =>
          bus.loc.envelopes.length + bus.ev.envelopes.length + bus.ack.envelopes.length >= expectedAccepted,
      );
      expect(bus.loc.envelopes.map((e) => e.key)).toEqual([OWN]);
      expect(bus.ev.envelopes.map((e) => e.key)).toEqual([OWN]);
      expect(bus.ack.envelopes.map((e) => e.key)).toEqual([OWN]);
      // Publishing on another device's inbox never reaches it.
      expect(otherInbox.filter((m) => m.type !== 'hello')).toEqual([]);
      for (const c of Object.values(bus)) await c.close();
    });

    it('publish with a wildcard in the topic is a protocol error: the connection is closed', async () => {
      const client = await gw.connect('dev-wild');
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.publish('hx/d/+/loc', payloadFor('loc'), { qos: 1 });
      await closed;
    });

    it('subscribe: only the own inbox is granted; everything else gets SUBACK 0x80', async () => {
      for (const { filter, allowed } of SUBSCRIBE_FILTERS) {
        expect(await grantedQos(own, filter), filter).toBe(allowed ? 1 : 128);
      }
      // The refused subscriptions are not live: another device's inbox traffic does not leak.
      const ownInbox = inboxOf(own);
      await other.publishAsync(`hx/d/${OTHER}/loc`, payloadFor('loc'), { qos: 1 });
      await own.publishAsync(`hx/d/${OWN}/loc`, payloadFor('loc'), { qos: 1 });
      await new Promise((r) => setTimeout(r, 100));
      expect(ownInbox.filter((m) => m.type !== 'rejected' && m.type !== 'hello')).toEqual([]);
    });
  });
});
