import { randomBytes } from 'node:crypto';
import {
  type Broker,
  MODEL_EVENTS,
  ModelFeed,
  ModelPart,
  ModelPublished,
  ModelSlot,
  publishArtifact,
  silentLogger,
  TOPICS,
} from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { type BusFixture, busFor, metricValue } from '../../helpers/bus.js';
import { waitFor } from '../../helpers/wait-for.js';

interface Blob {
  version: string;
  payload: string;
}

describe('large model artifacts on hx.models (embedded broker)', () => {
  let broker: Broker;
  let bus: BusFixture;
  beforeAll(async () => {
    broker = await startBroker();
    bus = await busFor(broker);
    for (const e of MODEL_EVENTS) bus.registry.register(e);
  });
  afterAll(async () => {
    await bus.close();
    await broker.close();
  });

  it('go in gzipped parts a worker reassembles and checks; a small one stays inline; a damaged part is refused and the slot keeps its model', async () => {
    const slot = new ModelSlot<Blob>({
      name: 'blob',
      fallback: { version: 'none', payload: '' },
      load: async (artifact) => artifact as Blob,
    });
    const feed = new ModelFeed({ ...bus, logger: silentLogger(), slots: [slot], startTimeoutMs: 10_000 });
    await feed.start();
    try {
      // 600 KB of random hex: beyond one envelope (256 KB) even gzipped.
      const big = { version: 'b1', payload: randomBytes(300_000).toString('hex') };
      expect((await publishArtifact(bus.producer, bus.registry, 'blob', 'b1', big)).parts).toBeGreaterThan(2);
      await waitFor(() => slot.current.version === 'b1', { message: 'b1 loaded' });
      expect(slot.current).toEqual(big);

      expect(
        (await publishArtifact(bus.producer, bus.registry, 'blob', 's1', { version: 's1', payload: 'x' }))
          .parts,
      ).toBe(0);
      await waitFor(() => slot.current.version === 's1', { message: 's1 loaded' });

      // A part altered on its way: the checksum refuses it; the slot keeps s1.
      const damaged = { version: 'b2', payload: randomBytes(300_000).toString('hex') };
      const send = bus.producer.send.bind(bus.producer);
      bus.producer.send = (async (topic, envelope) => {
        if (envelope.type === ModelPart.type && (envelope.data as { index: number }).index === 1) {
          const part = envelope.data as { data: string };
          part.data = `${part.data[0] === 'A' ? 'B' : 'A'}${part.data.slice(1)}`;
        }
        return send(topic, envelope);
      }) as typeof bus.producer.send;
      await publishArtifact(bus.producer, bus.registry, 'blob', 'b2', damaged);
      bus.producer.send = send;
      await waitFor(
        async () => (await metricValue(bus.metrics, 'hexcast_model_rejected_total', { model: 'blob' })) === 1,
        {
          message: 'b2 refused',
        },
      );
      expect(slot.current.version).toBe('s1');
      // A manifest whose parts never came: refused too.
      await bus.producer.send(
        TOPICS.models,
        bus.registry.create(ModelPublished, {
          key: 'blob',
          source: { kind: 'test', id: 'parts' },
          data: { name: 'blob', version: 'b3', parts: { count: 2, sha256: '0'.repeat(64) } },
        }),
      );
      await waitFor(
        async () => (await metricValue(bus.metrics, 'hexcast_model_rejected_total', { model: 'blob' })) === 2,
        {
          message: 'b3 refused',
        },
      );
      expect(slot.current.version).toBe('s1');
    } finally {
      await feed.close();
    }
    // A worker starting later reads the parts from the compacted topic too.
    const late = new ModelSlot<Blob>({
      name: 'blob',
      fallback: { version: 'none', payload: '' },
      load: async (artifact) => artifact as Blob,
    });
    const lateFeed = new ModelFeed({ ...bus, logger: silentLogger(), slots: [late], startTimeoutMs: 10_000 });
    await lateFeed.start();
    await lateFeed.close();
    expect(late.current.version).toBe('s1'); // b2 and b3 were refused again; the last good one stands
  });
});
