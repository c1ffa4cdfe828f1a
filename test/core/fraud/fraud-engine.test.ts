import {
  AuditLog,
  type Broker,
  type Envelope,
  FRAUD_EVENTS,
  FRAUD_FEATURE_NAMES,
  liveFraudSlot,
  MemoryDeviceStateStore,
  ModelFeed,
  ModelPublished,
  migrate,
  PaymentStore,
  PaymentSubmitted,
  PgliteRecords,
  replayFeatures,
  silentLogger,
  TOPICS,
} from '@hexcast/core';
import { generatePayments, type TabularArtifact, trainTabular } from '@hexcast/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { type BusFixture, busFor, metricValue } from '../../helpers/bus.js';
import { fraudEngineFor, FRAUD_NOW as NOW, testPayment as payment } from '../../helpers/fraud.js';
import { collectTopic } from '../../helpers/gateway.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('fraud engine (embedded broker, PGlite)', () => {
  let broker: Broker;
  let bus: BusFixture;
  let records: PgliteRecords;
  let store: PaymentStore;
  beforeAll(async () => {
    records = await PgliteRecords.open(null);
    await migrate(records);
    store = new PaymentStore(records, new AuditLog(records));
    await store.putMerchant('shop', 'key-1', { name: 'shop', currencies: ['EUR'] });
    broker = await startBroker();
    bus = await busFor(broker);
    for (const e of FRAUD_EVENTS) bus.registry.register(e);
  });
  afterAll(async () => {
    await bus.close();
    await broker.close();
    await records.close();
  });

  const engineWith = (positions = new MemoryDeviceStateStore(), live = liveFraudSlot()) =>
    fraudEngineFor(bus, store, { positions, live });

  it("checks a payment against where its device really is (the geo pipeline's device state)", async () => {
    const positions = new MemoryDeviceStateStore();
    const { handle } = engineWith(positions);
    // The gateway saw dev-far in Lagos ten minutes ago; dev-home in Paris.
    const at = (deviceId: string, p: { lat: number; lng: number }) =>
      positions.commit(
        deviceId,
        null,
        {
          position: { ...p, accuracy: 10, h3: '', ts: NOW - 600_000, seenAt: NOW - 600_000 },
          membership: {} as never,
        },
        3_600_000,
      );
    await at('dev-far', { lat: 6.5244, lng: 3.3792 });
    await at('dev-home', { lat: 48.857, lng: 2.353 });
    await handle(
      payment('pos-1', { deviceId: 'dev-far', customer: { id: 'cus-far', emailHash: 'mail-far-1' } }),
    );
    await handle(
      payment('pos-2', { deviceId: 'dev-home', customer: { id: 'cus-home', emailHash: 'mail-home-1' } }),
    );
    const far = (await store.get(['shop'], 'pos-1'))!.decision!.features;
    const home = (await store.get(['shop'], 'pos-2'))!.decision!.features;
    expect(far.devicePositionKnown).toBe(1);
    expect(Math.expm1(far.deviceDistanceLog)).toBeGreaterThan(4000); // km from Paris
    expect(Math.expm1(home.deviceDistanceLog)).toBeLessThan(1);
    // The same customer paying from Lagos an hour after Paris: impossible travel.
    await at('dev-jump', { lat: 6.5244, lng: 3.3792 });
    await handle(
      payment('pos-3', {
        deviceId: 'dev-home',
        customer: { id: 'cus-jump', emailHash: 'mail-jump' },
        createdAt: NOW,
      }),
    );
    await handle(
      payment('pos-4', {
        deviceId: 'dev-jump',
        customer: { id: 'cus-jump', emailHash: 'mail-jump' },
        createdAt: NOW + 3_600_000,
      }),
    );
    const jump = (await store.get(['shop'], 'pos-4'))!.decision!.features;
    expect(jump.impossibleTravel).toBe(1);
    expect(jump.deviceNewForCustomer).toBe(1);
  });

  it('decides each payment once: a redelivered payment republishes the stored decision under the same id', async () => {
    const { handle } = engineWith();
    const decisions = await collectTopic(bus.kafka, bus.registry, TOPICS.fraudDecisions.name);
    await handle(payment('once-1'));
    await handle(payment('once-1'));
    await waitFor(
      () =>
        decisions.envelopes.filter((e) => (e.data as { paymentId: string }).paymentId === 'once-1').length ===
        2,
    );
    const mine = decisions.envelopes.filter((e) => (e.data as { paymentId: string }).paymentId === 'once-1');
    expect(mine[0]!.id).toBe(mine[1]!.id);
    expect(mine[0]!.data).toEqual(mine[1]!.data);
    expect(await metricValue(bus.metrics, 'hexcast_fraud_decisions_replayed_total')).toBeGreaterThanOrEqual(
      1,
    );
    await decisions.close();
  });

  it('swaps the model under load: nothing lost, nothing decided twice, each decision by the model live at its time', async () => {
    const history = generatePayments({ customers: 1500, days: 3, seed: 8 });
    const rows = await replayFeatures(history);
    const train = (seed: number) =>
      trainTabular(rows.rows, rows.labels, {
        name: 'fraud',
        features: FRAUD_FEATURE_NAMES,
        hidden: [8],
        epochs: 2,
        seed,
      });
    const [a, b] = [await train(1), await train(2)];
    expect(a.version).not.toBe(b.version);
    const live = liveFraudSlot();
    const feed = new ModelFeed({ ...bus, logger: silentLogger(), slots: [live], startTimeoutMs: 10_000 });
    await feed.start();
    const publish = (artifact: TabularArtifact) =>
      bus.producer.send(
        TOPICS.models,
        bus.registry.create(ModelPublished, {
          key: 'fraud',
          source: { kind: 'test', id: 't' },
          data: { name: 'fraud', version: artifact.version, artifact },
        }),
      );
    await publish(a);
    await waitFor(() => live.current.version === a.version, { timeoutMs: 10_000, message: 'model A live' });
    const swaps: Array<{ at: number; version: string }> = [];
    const swap = live.swap.bind(live);
    live.swap = (next) => {
      const previous = swap(next);
      swaps.push({ at: Date.now(), version: live.current.version });
      return previous;
    };

    const { engine } = engineWith(new MemoryDeviceStateStore(), live);
    const decisions = await collectTopic(bus.kafka, bus.registry, TOPICS.fraudDecisions.name);
    const runner = bus.runner({
      groupId: 'fraud-swap-test',
      topics: [TOPICS.payments.name],
      stage: 'fraud',
      concurrency: 32,
      handler: (envelope) => engine.handle(envelope),
      // As the fraud worker runs: a fetched batch at a time.
      batchHandler: (records) => engine.handleBatch(records),
    });
    await runner.start();
    const n = 1200;
    const sent = Array.from({ length: n }, (_, i) =>
      payment(`swap-${i}`, {
        card: { fingerprint: `card-fp-${i % 97}`, binCountry: 'FR' },
        createdAt: NOW + i * 1000,
      }),
    );
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i++)
        await bus.producer.send(
          TOPICS.payments,
          bus.registry.create(PaymentSubmitted, {
            key: sent[i]!.paymentId,
            source: { kind: 'test', id: 't' },
            data: sent[i]!,
          }),
        );
    };
    const ours = () =>
      decisions.envelopes.filter((e: Envelope) =>
        String((e.data as { paymentId: string }).paymentId).startsWith('swap-'),
      );
    await send(0, n / 2);
    await waitFor(() => ours().length >= n / 4, { timeoutMs: 30_000, message: 'decisions under way' });
    const sending = send(n / 2, n);
    await publish(b); // swapped while payments keep coming
    await sending;
    await waitFor(() => new Set(ours().map((e) => (e.data as { paymentId: string }).paymentId)).size === n, {
      timeoutMs: 60_000,
      message: 'every payment decided',
    });
    await runner.close();
    await feed.close();
    await decisions.close();

    const byPayment = new Map<string, Envelope[]>();
    for (const e of ours())
      byPayment.set((e.data as { paymentId: string }).paymentId, [
        ...(byPayment.get((e.data as { paymentId: string }).paymentId) ?? []),
        e,
      ]);
    expect(byPayment.size).toBe(n); // none lost
    for (const list of byPayment.values()) expect(new Set(list.map((e) => e.id)).size).toBe(1); // never two decisions
    const swapAt = swaps.find((s) => s.version === b.version)!.at;
    const versions = ours().map((e) => e.data as { modelVersion: string; decidedAt: number });
    expect(new Set(versions.map((v) => v.modelVersion))).toEqual(new Set([a.version, b.version]));
    for (const v of versions) {
      if (v.decidedAt < swapAt) expect(v.modelVersion).toBe(a.version);
      // A decision scored just before the swap may be stored just after it; none later.
      if (v.decidedAt > swapAt + 1000) expect(v.modelVersion).toBe(b.version);
    }
    const stored = await records.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM payments WHERE id LIKE 'swap-%' AND decision IS NOT NULL`,
    );
    expect(Number(stored[0]!.n)).toBe(n);
  }, 120_000);
});
