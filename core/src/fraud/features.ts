import { haversineM } from '../geo/index.js';
import type { EntityHistory, EntityObservation } from './fraud-state.js';
import type { Payment } from './payment.js';

/**
 * The model's inputs, in order, each with the words a reviewer reads when it drives a decision
 * (`reasons`). Counts are of the entity's payments before this one; times are the payment's.
 */
export const FRAUD_FEATURES = [
  ['amountLog', 'a large amount'],
  ['cardCount1m', 'many payments with this card in the last minute'],
  ['cardCount1h', 'many payments with this card in the last hour'],
  ['cardCount24h', 'many payments with this card today'],
  ['cardSum24hLog', 'a large total on this card today'],
  ['customerCount1h', "many of the customer's payments in the last hour"],
  ['customerCount24h', "many of the customer's payments today"],
  ['customerSum24hLog', "a large total of the customer's payments today"],
  ['deviceCount1h', 'many payments from this device in the last hour'],
  ['deviceCount24h', 'many payments from this device today'],
  ['ipCount1h', 'many payments from this IP address in the last hour'],
  ['emailCount24h', 'many payments with this e-mail today'],
  ['deviceDistinctCards', 'many different cards on this device today (card testing)'],
  ['ipDistinctCards', 'many different cards from this IP address today (card testing)'],
  ['cardNew', 'a card never seen before'],
  ['deviceNew', 'a device never seen before'],
  ['ipNew', 'an IP address never seen before'],
  ['emailNew', 'an e-mail never seen before'],
  ['deviceNewForCustomer', 'a device this customer never used before'],
  ['customerHistoryLog', "the customer's payment history (how many before)"],
  ['amountZ', "an amount far above the customer's usual"],
  ['shippingBillingMismatch', 'shipping to another country than billing'],
  ['binBillingMismatch', "a card issued in another country than the billing address's"],
  ['shippingDistanceLog', 'shipping far from the billing address'],
  ['devicePositionKnown', 'where the device is, known'],
  ['deviceDistanceLog', 'the device far from the billing and shipping addresses'],
  ['travelSpeedLog', "the customer's device moving implausibly fast since their last payment"],
  ['impossibleTravel', 'impossible travel since the last payment'],
  ['accountAgeLog', 'a new account'],
  ['merchantFraudRate', "the merchant's fraud rate"],
] as const satisfies ReadonlyArray<readonly [string, string]>;

export type FraudFeatureName = (typeof FRAUD_FEATURES)[number][0];
export const FRAUD_FEATURE_NAMES: readonly FraudFeatureName[] = FRAUD_FEATURES.map(([name]) => name);
export const FEATURE_WORDS: Readonly<Record<FraudFeatureName, string>> = Object.fromEntries(
  FRAUD_FEATURES,
) as Record<FraudFeatureName, string>;

/** Faster than an airliner between two payments' device positions: impossible. */
export const IMPOSSIBLE_KMH = 900;

/** What the payment is recorded as, per entity (absent device or IP: not observed). */
export function observationsFor(
  p: Payment,
  position: { lat: number; lng: number } | null,
): EntityObservation[] {
  const { paymentId, createdAt: at, amount } = p;
  const out: EntityObservation[] = [
    { kind: 'card', id: p.card.fingerprint, paymentId, at, amount },
    {
      kind: 'customer',
      id: `${p.merchantId}/${p.customer.id}`,
      paymentId,
      at,
      amount,
      aux: p.deviceId,
      position: position === null ? undefined : { lat: position.lat, lng: position.lng },
    },
  ];
  if (p.deviceId !== undefined)
    out.push({ kind: 'device', id: p.deviceId, paymentId, at, amount, aux: p.card.fingerprint });
  if (p.ip !== undefined) out.push({ kind: 'ip', id: p.ip, paymentId, at, amount, aux: p.card.fingerprint });
  out.push({ kind: 'email', id: p.customer.emailHash, paymentId, at, amount });
  return out;
}

export interface FeatureInputs {
  payment: Payment;
  /** `observe`'s answers for `observationsFor(payment, …)`, in the same order. */
  histories: readonly EntityHistory[];
  /** The device's last known position from the geo state the gateways keep, or null. */
  position: { lat: number; lng: number; ts: number } | null;
  /** The merchant's labelled outcomes. */
  labels: { labelled: number; frauds: number };
}

export type FraudFeatures = Record<FraudFeatureName, number>;

/** The feature values of one payment (named; `featureRow` orders them for the model). */
export function fraudFeatures(input: FeatureInputs): FraudFeatures {
  const { payment: p, histories, position } = input;
  // `observationsFor`'s order: card, customer, [device], [ip], email.
  const card = histories[0]!;
  const customer = histories[1]!;
  let next = 2;
  const device = p.deviceId !== undefined ? histories[next++] : undefined;
  const ip = p.ip !== undefined ? histories[next++] : undefined;
  const email = histories[next]!;
  const { n, sum, sumSq } = customer.amounts;
  const mean = n > 0 ? sum / n : 0;
  const std = n > 1 ? Math.sqrt(Math.max(sumSq / n - mean * mean, 0)) : 0;
  const amountZ = n >= 3 ? Math.min((p.amount - mean) / Math.max(std, mean * 0.25, 1), 20) : 0;
  const billing = p.billing;
  const shipping = p.shipping;
  const km = (a?: { lat?: number; lng?: number }, b?: { lat?: number; lng?: number }) =>
    a?.lat !== undefined && a.lng !== undefined && b?.lat !== undefined && b.lng !== undefined
      ? haversineKm(a.lat, a.lng, b.lat, b.lng)
      : null;
  const deviceKm =
    position === null
      ? null
      : Math.min(
          ...[km(position, billing), km(position, shipping)].map((d) => d ?? Number.POSITIVE_INFINITY),
        );
  let speed = 0;
  if (position !== null && customer.last !== null) {
    const hours = Math.max((p.createdAt - customer.last.at) / 3_600_000, 1 / 60);
    speed = haversineKm(customer.last.lat, customer.last.lng, position.lat, position.lng) / hours;
  }
  const shippingKm = km(billing, shipping);
  const accountAgeDays =
    p.customer.accountCreatedAt === undefined
      ? 0
      : Math.max(0, (p.createdAt - p.customer.accountCreatedAt) / 86_400_000);
  return {
    amountLog: Math.log1p(p.amount),
    cardCount1m: card.count1m,
    cardCount1h: card.count1h,
    cardCount24h: card.count24h,
    cardSum24hLog: Math.log1p(card.sum24h),
    customerCount1h: customer.count1h,
    customerCount24h: customer.count24h,
    customerSum24hLog: Math.log1p(customer.sum24h),
    deviceCount1h: device?.count1h ?? 0,
    deviceCount24h: device?.count24h ?? 0,
    ipCount1h: ip?.count1h ?? 0,
    emailCount24h: email.count24h,
    deviceDistinctCards: device?.distinctAux ?? 0,
    ipDistinctCards: ip?.distinctAux ?? 0,
    cardNew: card.firstSeenAt === null ? 1 : 0,
    deviceNew: device !== undefined && device.firstSeenAt === null ? 1 : 0,
    ipNew: ip !== undefined && ip.firstSeenAt === null ? 1 : 0,
    emailNew: email.firstSeenAt === null ? 1 : 0,
    deviceNewForCustomer: p.deviceId !== undefined && !customer.auxSeen && n > 0 ? 1 : 0,
    customerHistoryLog: Math.log1p(n),
    amountZ,
    shippingBillingMismatch:
      billing !== undefined && shipping !== undefined && billing.country !== shipping.country ? 1 : 0,
    binBillingMismatch: billing !== undefined && billing.country !== p.card.binCountry ? 1 : 0,
    shippingDistanceLog: Math.log1p(shippingKm ?? 0),
    devicePositionKnown: position === null ? 0 : 1,
    deviceDistanceLog: deviceKm === null || !Number.isFinite(deviceKm) ? 0 : Math.log1p(deviceKm),
    travelSpeedLog: Math.log1p(speed),
    impossibleTravel: speed > IMPOSSIBLE_KMH ? 1 : 0,
    accountAgeLog: Math.log1p(accountAgeDays),
    // Smoothed towards a 0.5% prior with the weight of 200 labels.
    merchantFraudRate: (input.labels.frauds + 1) / (input.labels.labelled + 200),
  };
}

export function featureRow(f: FraudFeatures): number[] {
  return FRAUD_FEATURE_NAMES.map((name) => f[name]);
}

function haversineKm(lat1: number, lng1: number, lat2: number, lng2: number): number {
  return haversineM(lat1, lng1, lat2, lng2) / 1000;
}
