import { type Broker, DeviceLocation, Feed, silentLogger } from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { type BusFixture, busFor } from '../../helpers/bus.js';

describe('a feed that starts from a time (embedded broker)', () => {
  let broker: Broker;
  let bus: BusFixture;
  beforeAll(async () => {
    broker = await startBroker();
    bus = await busFor(broker);
    const admin = bus.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'feed-since', numPartitions: 3 }] });
    await admin.disconnect();
  });
  afterAll(async () => {
    await bus.close();
    await broker.close();
  });

  it('reads only the records since then, and is caught up even where a partition holds only older ones', async () => {
    const now = Date.now();
    const send = (deviceId: string, ts: number) =>
      bus.producer.send(
        'feed-since',
        bus.registry.create(DeviceLocation, {
          key: deviceId,
          ts,
          source: { kind: 'test', id: 't' },
          data: { deviceId, lat: 1, lng: 2, accuracy: 3 },
        }),
      );
    // Old records on every partition (many keys), recent ones on some.
    for (let i = 0; i < 30; i++) await send(`old-${i}`, now - 2 * 3_600_000);
    for (let i = 0; i < 2; i++) await send(`recent-${i}`, now - 60_000);
    const seen: string[] = [];
    const feed = new Feed(
      { ...bus, logger: silentLogger() },
      {
        name: 'since-test',
        topic: 'feed-since',
        handler: async (envelope) => {
          seen.push(envelope.key);
        },
        since: () => now - 3_600_000,
        catchUpTimeoutMs: 20_000,
      },
    );
    await feed.start();
    try {
      expect(feed.ready()).toBe(true);
      expect(seen.sort()).toEqual(['recent-0', 'recent-1']);
    } finally {
      await feed.close();
    }
  });
});
