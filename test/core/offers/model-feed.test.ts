import {
  type Broker,
  CAMPAIGN_EVENTS,
  type Campaign,
  DELIVERY_EVENTS,
  FenceCatalogue,
  GEO_EVENTS,
  GeoEnter,
  MemoryEligibilityStore,
  MemoryFenceIndex,
  MemoryProfileStore,
  ModelFeed,
  ModelPublished,
  neutralSignals,
  OFFER_EVENTS,
  OfferEngine,
  ScorerSlot,
  silentLogger,
  TOPICS,
} from '@hexcast/core';
import { generateHistory, type PropensityArtifact, trainPropensity } from '@hexcast/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offerSettings } from '../../fixtures/offers.js';
import { startBroker } from '../../helpers/broker.js';
import { type BusFixture, busFor, metricValue } from '../../helpers/bus.js';
import { collectTopic } from '../../helpers/gateway.js';
import { waitFor } from '../../helpers/wait-for.js';

const CENTRE: [number, number] = [2.3376, 48.8606];

describe('model feed: hot swap from hx.models', () => {
  let broker: Broker;
  let bus: BusFixture;
  let artifact: PropensityArtifact;
  const feeds: ModelFeed[] = [];
  beforeAll(async () => {
    broker = await startBroker();
    bus = await busFor(broker);
    for (const e of [...GEO_EVENTS, ...CAMPAIGN_EVENTS, ...OFFER_EVENTS, ...DELIVERY_EVENTS])
      bus.registry.register(e);
    artifact = await trainPropensity(generateHistory({ users: 300, offersPerUser: 5, seed: 5 }), {
      epochs: 2,
    });
  }, 60_000);
  afterAll(async () => {
    for (const f of feeds) await f.close();
    await bus.close();
    await broker.close();
  });

  const feed = (slot: ScorerSlot) => {
    const f = new ModelFeed({ ...bus, logger: silentLogger(), slots: [slot], startTimeoutMs: 10_000 });
    feeds.push(f);
    return f;
  };
  const publish = (data: { name: string; version: string; artifact: unknown }) =>
    bus.producer.send(
      TOPICS.models,
      bus.registry.create(ModelPublished, { key: data.name, source: { kind: 'cli', id: 'test' }, data }),
    );

  it('swaps a running worker’s scorer without dropping a decision, refuses a broken artifact, and a new worker starts on the current model', async () => {
    const slot = new ScorerSlot();
    await feed(slot).start(); // hx.models is empty: starts at once, on the heuristic
    expect(slot.current.kind).toBe('heuristic');
    expect(await metricValue(bus.metrics, 'hexcast_model_fallback', { model: 'propensity' })).toBe(1);

    const catalogue = new FenceCatalogue(new MemoryFenceIndex());
    const campaign: Campaign = {
      id: 'c-swap',
      version: 1,
      name: 'swap',
      status: 'active',
      fence: { type: 'Circle', center: CENTRE, radiusM: 300 },
      dwellSeconds: 60,
      exitDebounceSeconds: 60,
      startsAt: '2020-01-01T00:00:00Z',
      endsAt: '2099-01-01T00:00:00Z',
      timezone: 'UTC',
      offer: offerSettings({ title: 't', budget: 10_000 }),
      updatedAt: '2020-01-01T00:00:00Z',
    };
    catalogue.apply(campaign, false);
    const engine = new OfferEngine({
      registry: bus.registry,
      producer: bus.producer,
      catalogue,
      eligibility: new MemoryEligibilityStore(),
      profiles: new MemoryProfileStore(),
      devices: { get: async (id) => ({ id, region: 'eu', platform: 'ios', timezone: null, tags: [] }) },
      ledger: { insert: async () => 'inserted' as const },
      signals: neutralSignals,
      scorer: slot,
      metrics: bus.metrics,
      logger: silentLogger(),
      codeSecret: 'secret-secret-secret-secret-secret-secret',
    });
    const runner = bus.runner({
      groupId: 'offers-swap',
      topics: [TOPICS.geoEvents.name],
      stage: 'offers-swap',
      concurrency: 16,
      handler: (e) => engine.handle(e),
    });
    await runner.start();
    const offers = await collectTopic(bus.kafka, bus.registry, TOPICS.offers.name);
    const sendEvents = (from: number, count: number) =>
      Promise.all(
        Array.from({ length: count }, (_, i) => {
          const deviceId = `swap-${from + i}`;
          return bus.producer.send(
            TOPICS.geoEvents,
            bus.registry.create(GeoEnter, {
              key: deviceId,
              source: { kind: 'processor', id: 'geo' },
              data: {
                deviceId,
                fenceId: 'c-swap',
                campaignId: 'c-swap',
                lat: CENTRE[1],
                lng: CENTRE[0],
                h3: '',
                accuracy: 5,
                visitStartedAt: Date.now(),
                impossibleTravel: false,
              },
            }),
          );
        }),
      );
    const scorerOf = (device: number) =>
      (
        offers.envelopes.find((e) => (e.data as { deviceId: string }).deviceId === `swap-${device}`)
          ?.data as {
          scorer: string;
        }
      )?.scorer;

    // Decisions flow while the model is published and swapped in.
    await sendEvents(0, 150);
    const publishing = publish({ name: 'propensity', version: artifact.version, artifact });
    await sendEvents(150, 150);
    await publishing;
    await waitFor(() => slot.current.version === artifact.version, { timeoutMs: 15_000, message: 'swap' });
    await sendEvents(300, 100);
    await waitFor(() => offers.envelopes.length === 400, { timeoutMs: 30_000, message: 'all 400 decided' });
    // Every event was decided and issued: none dropped across the swap.
    expect(new Set(offers.envelopes.map((e) => (e.data as { deviceId: string }).deviceId)).size).toBe(400);
    expect(scorerOf(0)).toBe('heuristic-v1');
    for (let d = 300; d < 400; d++) expect(scorerOf(d)).toBe(artifact.version);
    expect(await metricValue(bus.metrics, 'hexcast_offers_decisions_total', { outcome: 'issued' })).toBe(400);
    expect(await metricValue(bus.metrics, 'hexcast_model_fallback', { model: 'propensity' })).toBe(0);

    // A broken artifact is refused, counted, and the worker keeps its model.
    await publish({ name: 'propensity', version: 'broken-1', artifact: { ...artifact, weightData: 'AAAA' } });
    await waitFor(
      () =>
        metricValue(bus.metrics, 'hexcast_model_rejected_total', { model: 'propensity' }).then(
          (v) => v === 1,
        ),
      {
        timeoutMs: 10_000,
        message: 'rejected',
      },
    );
    expect(slot.current.version).toBe(artifact.version);

    // A worker starting now loads the current model before it decides anything.
    await publish({ name: 'propensity', version: artifact.version, artifact });
    const late = new ScorerSlot();
    await feed(late).start();
    expect(late.current.version).toBe(artifact.version);
    await offers.close();
  }, 90_000);
});
