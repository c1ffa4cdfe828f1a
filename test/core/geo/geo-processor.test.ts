import {
  type Broker,
  CAMPAIGN_EVENTS,
  type Campaign,
  CampaignPublisher,
  createEventRegistry,
  DeviceLocation,
  type Envelope,
  FenceCatalogue,
  GEO_EVENTS,
  type GeoEventDataSchema,
  GeoExit,
  GeoProcessor,
  type LiveFences,
  MemoryDeviceStateStore,
  MemoryFenceIndex,
  Metrics,
  replayGroup,
  TOPICS,
} from '@hexcast/core';
import type { Static } from '@sinclair/typebox';
import fc from 'fast-check';
import { latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { type BusFixture, busFor, metricValue } from '../../helpers/bus.js';
import { waitFor } from '../../helpers/wait-for.js';

const CENTER = { lat: 48.8606, lng: 2.3376 };
const M_PER_DEG = 111_320;
const north = (m: number) => CENTER.lat + m / M_PER_DEG;

const campaign: Campaign = {
  id: 'louvre',
  version: 1,
  name: 'Louvre lunch',
  status: 'active',
  fence: { type: 'Circle', center: [CENTER.lng, CENTER.lat], radiusM: 100 },
  dwellSeconds: 60,
  exitDebounceSeconds: 30,
  startsAt: '2020-01-01T00:00:00.000Z',
  endsAt: '2099-01-01T00:00:00.000Z',
  timezone: 'Europe/Paris',
  updatedAt: '2020-01-01T00:00:00.000Z',
};

describe('geo processor over the bus', () => {
  let broker: Broker;
  let bus: BusFixture;
  const geoEvents: Envelope[] = [];

  beforeAll(async () => {
    broker = await startBroker({ defaultPartitions: 2 });
    bus = await busFor(broker);
    for (const e of [...GEO_EVENTS, ...CAMPAIGN_EVENTS]) bus.registry.register(e);
    const reader = bus.kafka.consumer({ groupId: 'geo-events-reader', maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topic: TOPICS.geoEvents.name, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => void geoEvents.push(bus.registry.decode(message.value)),
    });
    afterAllClose.push(() => reader.disconnect());
  });
  const afterAllClose: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of afterAllClose) await close();
    await bus.close();
    await broker.close();
  });

  function fix(deviceId: string, metersNorth: number, ts: number): Envelope {
    const lat = north(metersNorth);
    return bus.registry.create(DeviceLocation, {
      key: deviceId,
      ts,
      source: { kind: 'gateway', id: 'gw-test', region: 'eu' },
      data: { deviceId, lat, lng: CENTER.lng, accuracy: 5, h3: latLngToCell(lat, CENTER.lng, 11) },
    });
  }

  it('walk in, jitter, stay, walk out: enter, dwell, exit once each; replay adds nothing; campaigns propagate', async () => {
    const state = new MemoryDeviceStateStore();
    const catalogue = new FenceCatalogue(new MemoryFenceIndex());
    const publisher = new CampaignPublisher(bus.registry, bus.producer);
    await bus.campaignFeed(catalogue);
    await publisher.publish(campaign);
    await waitFor(() => catalogue.liveCount === 1, { message: 'campaign reached the worker' });

    const processor = new GeoProcessor({
      registry: bus.registry,
      producer: bus.producer,
      fences: catalogue,
      state,
      metrics: bus.metrics,
    });
    const startRunner = () =>
      bus.runner({
        groupId: 'geo',
        topics: [TOPICS.locations.name],
        stage: 'geo',
        handler: (e) => processor.handle(e),
      });
    let runner = startRunner();
    await runner.start();

    const t0 = Date.now() - 600_000;
    const s = 1000;
    // Outside, then in; jitter across the edge (±3 m around 100 m); stay 2 min; out; stay out.
    const path: Array<[number, number]> = [
      [300, 0],
      [150, 10],
      [102, 20],
      [97, 25],
      [103, 26],
      [96, 27],
      [40, 40],
      [0, 60],
      [10, 120],
      [30, 150],
      [98, 160],
      [104, 161],
      [97, 162],
      [103, 163],
      [200, 170],
      [400, 200],
      [500, 230],
    ];
    for (const [meters, sec] of path)
      await bus.producer.send(TOPICS.locations, fix('walker', meters, t0 + sec * s));
    // A late, out-of-order fix from before the enter is ignored.
    await bus.producer.send(TOPICS.locations, fix('walker', 0, t0 + 5 * s));

    await waitFor(() => geoEvents.filter((e) => e.type === 'geo.exit').length === 1, {
      message: 'exit',
      timeoutMs: 15_000,
    });
    await waitFor(async () => (await metricValue(bus.metrics, 'hexcast_geo_out_of_order_total')) === 1);
    const kinds = geoEvents.map((e) => e.type);
    expect(kinds).toEqual(['geo.enter', 'geo.dwell', 'geo.exit']);
    const [enter, dwell, exit] = geoEvents as [Envelope, Envelope, Envelope];
    expect(enter.ts).toBe(t0 + 25 * s);
    expect((dwell.data as { dwellMs: number }).dwellMs).toBeGreaterThanOrEqual(60_000);
    expect(exit.data).toMatchObject({ campaignId: 'louvre', fenceId: 'louvre', impossibleTravel: false });

    // Replay hx.locations from the beginning: the device state says it has seen all of it.
    await runner.close();
    await replayGroup(bus.kafka, 'geo', TOPICS.locations.name, { earliest: true });
    runner = startRunner();
    await runner.start();
    const processedBefore = await metricValue(bus.metrics, 'hexcast_bus_processed_total', { stage: 'geo' });
    await waitFor(
      async () =>
        (await metricValue(bus.metrics, 'hexcast_bus_processed_total', { stage: 'geo' })) >=
        processedBefore + path.length + 1,
      {
        message: 'replayed every fix',
        timeoutMs: 15_000,
      },
    );
    // Barrier: a marker keyed like the walker's events lands on their partition after anything the
    // replay re-emitted; once the reader has it, a re-emitted event would have been read too.
    const marker = bus.registry.create(GeoExit, {
      key: 'walker',
      source: { kind: 'test', id: 'barrier' },
      data: { ...(exit.data as Static<typeof GeoEventDataSchema>), deviceId: 'barrier' },
    });
    await bus.producer.send(TOPICS.geoEvents, marker);
    await waitFor(() => geoEvents.some((e) => e.id === marker.id), { message: 'the barrier was read' });
    expect(geoEvents.filter((e) => e.id !== marker.id)).toHaveLength(3);
    geoEvents.splice(geoEvents.indexOf(geoEvents.find((e) => e.id === marker.id)!), 1);

    // A teleporting device is flagged; pausing the campaign stops new enters within a second.
    await bus.producer.send(TOPICS.locations, fix('jumper', 5000, t0 + 300 * s));
    await bus.producer.send(TOPICS.locations, fix('jumper', 0, t0 + 301 * s));
    await waitFor(() => geoEvents.some((e) => (e.data as { deviceId: string }).deviceId === 'jumper'));
    expect(geoEvents.find((e) => (e.data as { deviceId: string }).deviceId === 'jumper')?.data).toMatchObject(
      { impossibleTravel: true },
    );

    await publisher.publish({ ...campaign, version: 2, status: 'paused' });
    await waitFor(() => catalogue.liveCount === 0, { message: 'pause reached the worker', timeoutMs: 2000 });
    await bus.producer.send(TOPICS.locations, fix('late-visitor', 0, t0 + 400 * s));
    await waitFor(
      async () =>
        (await metricValue(bus.metrics, 'hexcast_bus_processed_total', { stage: 'geo' })) >=
        processedBefore + path.length + 4,
    );
    expect(geoEvents.some((e) => (e.data as { deviceId: string }).deviceId === 'late-visitor')).toBe(false);
    await runner.close();
  });
});

describe('GeoProcessor.handleBatch', () => {
  it('gives the events and final states of handling the fixes one by one, whatever the batches (fast-check)', async () => {
    const registry = createEventRegistry();
    for (const e of GEO_EVENTS) registry.register(e);
    // Two overlapping circles 100 m across, 150 m apart: a walk north goes in and out of both.
    const fences: LiveFences = {
      lookup: (lat) =>
        [
          ['f1', 0],
          ['f2', 150],
        ]
          .filter(([, at]) => Math.abs((lat - CENTER.lat) * M_PER_DEG - (at as number)) <= 100)
          .map(([id]) => id as string),
      timing: () => ({ dwellMs: 3_000, exitDebounceMs: 2_000 }),
      ownerOf: (id) => `c-${id}`,
    };
    const run = async (fixes: Envelope[], batches: number[] | null) => {
      const sent: Envelope[] = [];
      const producer = { send: async (_topic: unknown, e: Envelope) => void sent.push(e) } as never;
      const state = new MemoryDeviceStateStore(() => 0);
      const metrics = new Metrics();
      const processor = new GeoProcessor({ registry, producer, fences, state, metrics, clock: () => 0 });
      if (batches === null) for (const f of fixes) await processor.handle(f);
      else
        for (let i = 0, b = 0; i < fixes.length; i += batches[b % batches.length]!, b++)
          await processor.handleBatch(fixes.slice(i, i + batches[b % batches.length]!));
      const devices = [...new Set(fixes.map((f) => f.key))].sort();
      return {
        events: devices.map((d) => sent.filter((e) => e.key === d).map((e) => [e.id, e.type, e.ts])),
        states: await state.loadMany(devices),
        outOfOrder: await metricValue(metrics, 'hexcast_geo_out_of_order_total'),
        conflicts: await metricValue(metrics, 'hexcast_geo_state_conflicts_total'),
      };
    };
    const seen = { events: 0, outOfOrder: 0 };
    await fc.assert(
      fc.asyncProperty(
        // Per fix: a device, metres north of the first fence's centre, seconds after the previous
        // fix (0 repeats a time: ignored as out of order).
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 3 }),
            fc.integer({ min: -50, max: 300 }),
            fc.integer({ min: 0, max: 3 }),
          ),
          {
            minLength: 1,
            maxLength: 80,
            size: 'max',
          },
        ),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 5 }),
        async (steps, batches) => {
          let ts = 1_000_000;
          const fixes = steps.map(([device, metres, seconds]) => {
            ts += seconds * 1000;
            const lat = north(metres);
            return registry.create(DeviceLocation, {
              key: `d${device}`,
              ts,
              source: { kind: 'gateway', id: 'gw-test', region: 'eu' },
              data: { deviceId: `d${device}`, lat, lng: CENTER.lng, accuracy: 5 },
            });
          });
          const one = await run(fixes, null);
          const batched = await run(fixes, batches);
          expect(batched).toEqual(one);
          expect(one.conflicts).toBe(0);
          seen.events += one.events.flat().length;
          seen.outOfOrder += one.outOfOrder;
        },
      ),
      { numRuns: 200 },
    );
    // The walks did cross fences and repeat times.
    expect(seen.events).toBeGreaterThan(200);
    expect(seen.outOfOrder).toBeGreaterThan(20);
  });
});
