import type { LabelledPayment, LabelledRows } from '@hexcast/models';
import {
  FRAUD_FEATURE_NAMES,
  type FraudFeatures,
  featureRow,
  fraudFeatures,
  observationsFor,
} from './features.js';
import type { FraudStateStore } from './fraud-state.js';
import { MemoryFraudState } from './fraud-state.memory.js';

/**
 * A generated payment's features, as the worker computes them, its device where the generator
 * put it: observed against `state`, which it updates.
 */
export async function generatedPaymentFeatures(
  state: FraudStateStore,
  p: LabelledPayment,
  labels: { labelled: number; frauds: number },
): Promise<FraudFeatures> {
  const position =
    p.devicePosition === null
      ? null
      : { lat: p.devicePosition.lat, lng: p.devicePosition.lng, ts: p.devicePosition.at };
  const histories = await state.observe(observationsFor(p.payment, position));
  return fraudFeatures({ payment: p.payment, histories, position, labels });
}

/** Chargebacks and reviews arrive days after a payment: a label counts for the merchant's rate only then. */
const LABEL_DELAY_MS = 3 * 86_400_000;

/**
 * The feature rows of generated payments, computed exactly as the worker computes them: each
 * payment observed in time order against a fresh state store, its device's position taken from
 * where the generator put the device, merchants' labels counted once they would have arrived.
 */
export async function replayFeatures(
  payments: readonly LabelledPayment[],
  store?: FraudStateStore,
): Promise<LabelledRows> {
  let clock = payments[0]?.payment.createdAt ?? 0;
  // The replay's clock is the payments' own time, so state expires as it would have.
  const state = store ?? new MemoryFraudState(undefined, () => clock);
  const rows: number[][] = [];
  const labels: boolean[] = [];
  const pending: Array<{ at: number; merchantId: string; fraud: boolean }> = [];
  for (const p of payments) {
    const now = p.payment.createdAt;
    clock = now;
    while (pending.length > 0 && pending[0]!.at <= now) {
      const l = pending.shift()!;
      await state.recordLabel(l.merchantId, l.fraud);
    }
    const features = await generatedPaymentFeatures(state, p, await state.labels(p.payment.merchantId));
    rows.push(featureRow(features));
    labels.push(p.fraud);
    pending.push({ at: now + LABEL_DELAY_MS, merchantId: p.payment.merchantId, fraud: p.fraud });
  }
  return { features: [...FRAUD_FEATURE_NAMES], rows, labels };
}
