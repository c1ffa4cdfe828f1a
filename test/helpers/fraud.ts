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

/** The fraud tests' clock and place. */
export const FRAUD_NOW = Date.parse('2026-11-26T12:00:00Z');
export const PARIS = { lat: 48.8566, lng: 2.3522 };

/** A valid payment of merchant `shop` from Paris at `FRAUD_NOW` (override any field). */
export const testPayment = (paymentId: string, over: Partial<Payment> = {}): Payment => ({
  paymentId,
  merchantId: 'shop',
  amount: 40,
  currency: 'EUR',
  card: { fingerprint: `card-${paymentId}`, binCountry: 'FR' },
  customer: { id: 'cus-1', emailHash: 'mail-hash-1' },
  deviceId: 'dev-1',
  billing: { country: 'FR', ...PARIS },
  shipping: { country: 'FR', ...PARIS },
  createdAt: FRAUD_NOW,
  ...over,
});

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
