import {
  candidateFraudSlot,
  FraudEngine,
  type FraudEngineOptions,
  liveFraudSlot,
  MemoryDeviceStateStore,
  MemoryFraudState,
  type Payment,
  type PaymentStore,
  PaymentSubmitted,
  silentLogger,
} from '@hexcast/core';
import type { BusFixture } from './bus.js';

/**
 * A fraud engine on the test bus with memory engines and the rules-only fallback (override any
 * option), and `handle(payment)` feeding it a `payment.submitted` envelope as the consumer would.
 */
export function fraudEngineFor(bus: BusFixture, store: PaymentStore, over: Partial<FraudEngineOptions> = {}) {
  const options: FraudEngineOptions = {
    registry: bus.registry,
    producer: bus.producer,
    store,
    state: new MemoryFraudState(),
    positions: new MemoryDeviceStateStore(),
    live: liveFraudSlot(),
    candidate: candidateFraudSlot(),
    metrics: bus.metrics,
    logger: silentLogger(),
    deviceRiskTtlMs: 3_600_000,
    ...over,
  };
  const engine = new FraudEngine(options);
  const handle = (p: Payment) =>
    engine.handle(
      bus.registry.create(PaymentSubmitted, {
        key: p.paymentId,
        source: { kind: 'test', id: 'merchant' },
        data: p,
      }),
    );
  return { engine, handle, state: options.state };
}
