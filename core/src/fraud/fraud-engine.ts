import type { BusProducer } from '../bus/index.js';
import type { Envelope, EventRegistry } from '../envelope/index.js';
import { TOPICS } from '../envelope/index.js';
import type { DeviceStateStore } from '../geo/index.js';
import type { ModelSlot } from '../model-feed/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import { TurnBatcher } from '../records/index.js';
import type { WebhookEvent } from '../webhooks/index.js';
import { FraudDecided } from './events.js';
import { featureRow, fraudFeatures, observationsFor } from './features.js';
import type { FraudStateStore } from './fraud-state.js';
import { assertNoPan, type Payment } from './payment.js';
import type { FraudDecision, PaymentStore } from './payment-store.js';
import type { FraudScorer } from './scorer.js';

export interface FraudEngineOptions {
  registry: EventRegistry;
  producer: Pick<BusProducer, 'send'>;
  store: Pick<PaymentStore, 'requireMerchant' | 'decideMany'>;
  state: FraudStateStore;
  /** The geo pipeline's device state: where a paying device last was. */
  positions: Pick<DeviceStateStore, 'load'>;
  live: ModelSlot<FraudScorer>;
  candidate: ModelSlot<FraudScorer>;
  metrics: Metrics;
  logger: Logger;
  deviceRiskTtlMs: number;
  /** Told when a decision is stored (the API's waiting requests). */
  onDecided?: (merchantId: string, paymentId: string) => void;
  /** Told when a webhook delivery was enqueued (the sender looks at once). */
  onWebhook?: () => void;
  clock?: () => number;
}

/** The least risk a device carries after one of its payments is declined. */
export const DECLINED_DEVICE_RISK = 0.9;

/** Reasons given per decision that is not an approval (model features beyond list and rule hits). */
const TOP_REASONS = 3;

/** Most decisions stored in one transaction. */
const MAX_BATCH = 1000;

/** A decision made and not yet stored. */
interface Draft {
  payment: Payment;
  decision: FraudDecision;
  webhook: WebhookEvent | null;
  model: FraudScorer['kind'];
}

/**
 * `hx.payments` → one decision per payment on `hx.fraud-decisions`. A payment is checked (no
 * card number, a known merchant, a currency it accepts: otherwise a coded error, dead-lettered
 * by the consumer), observed against its card, customer, device, IP, e-mail and merchant (atomic,
 * idempotent), placed against where its device really is, scored by the live model (and the
 * shadow candidate, which decides nothing), and judged by the merchant's lists and rules. The
 * decision is stored with its audit rows before it is published; a redelivered payment finds it
 * stored and publishes the same decision again (same envelope id), so there is never a second.
 */
export class FraudEngine {
  readonly #o: FraudEngineOptions;
  readonly #clock: () => number;
  readonly #m;
  /**
   * Decisions of one event-loop turn — the batches of the partitions handled at once — are stored
   * together: one transaction, one upsert, one audit append for all their merchants.
   */
  readonly #batcher: TurnBatcher<Draft, { decision: FraudDecision; fresh: boolean }>;

  constructor(options: FraudEngineOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#batcher = new TurnBatcher((drafts) => options.store.decideMany(drafts), MAX_BATCH);
    this.#m = {
      decisions: options.metrics.counter<'action' | 'model'>({
        name: 'fraud_decisions_total',
        help: 'fraud decisions by action and the kind of scorer (model, rules)',
        labelNames: ['action', 'model'],
      }),
      replays: options.metrics.counter({
        name: 'fraud_decisions_replayed_total',
        help: 'payments seen again that already had a decision (republished, not decided twice)',
      }),
      shadowAgree: options.metrics.counter<'agree'>({
        name: 'fraud_shadow_total',
        help: 'decisions with a shadow candidate, by whether its action matched the live one',
        labelNames: ['agree'],
      }),
      latency: options.metrics.histogram({
        name: 'fraud_decision_seconds',
        help: 'payment created → decision stored (observed once the store has answered)',
        buckets: [0.005, 0.01, 0.015, 0.02, 0.025, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 5],
      }),
    };
  }

  async handle(envelope: Envelope): Promise<void> {
    await this.handleBatch([{ envelope }]);
  }

  /**
   * A fetched batch of payments: each checked, observed and scored (payments are independent:
   * concurrently), the decisions stored in one transaction with those of the other partitions'
   * batches in hand, then published together. One bad payment fails the batch; the consumer then
   * handles the batch payment by payment and dead-letters only it (observations are idempotent,
   * so the retry counts nothing twice).
   */
  async handleBatch(records: ReadonlyArray<{ envelope: Envelope }>): Promise<void> {
    const drafts = await Promise.all(records.map(({ envelope }) => this.#decide(envelope.data as Payment)));
    const stored = await Promise.all(drafts.map((draft) => this.#batcher.add(draft)));
    await Promise.all(drafts.map((draft, i) => this.#announce(draft, stored[i]!)));
  }

  /** A payment's decision, not yet stored: checks, observations, features, the scores and the merchant's policy. */
  async #decide(payment: Payment): Promise<Draft> {
    assertNoPan(payment);
    const merchant = await this.#o.store.requireMerchant(payment.merchantId);
    merchant.policy.assertAccepts(payment.currency);

    const position = await this.#position(payment);
    const histories = await this.#o.state.observe(observationsFor(payment, position));
    const features = fraudFeatures({
      payment,
      histories,
      position,
      labels: await this.#o.state.labels(payment.merchantId),
    });
    const row = featureRow(features);
    // One read of each slot: a swap in between changes nothing for this payment.
    const live = this.#o.live.current;
    const candidate = this.#o.candidate.current;
    const score = clamp(live.score(row));
    const verdict = merchant.policy.decide(payment, features, score, () => live.explain(row, TOP_REASONS));
    let shadow: FraudDecision['shadow'] = null;
    if (candidate.kind !== 'none') {
      const shadowScore = clamp(candidate.score(row));
      const action = merchant.policy.decide(payment, features, shadowScore, () => []).action;
      shadow = { score: shadowScore, version: candidate.version, action };
      this.#m.shadowAgree.inc({ agree: String(action === verdict.action) });
    }
    const decision: FraudDecision = {
      paymentId: payment.paymentId,
      merchantId: payment.merchantId,
      action: verdict.action,
      score,
      modelVersion: live.version,
      shadow,
      reasons: verdict.reasons,
      ruleHits: verdict.ruleHits,
      features,
      decidedAt: this.#clock(),
    };
    // The merchant's webhook gets the decision if it stands (enqueued in the same transaction).
    const webhook =
      merchant.policy.body.webhookUrl === undefined
        ? null
        : { id: decidedEventId(decision), type: FraudDecided.type, data: decidedData(payment, decision) };
    return { payment, decision, webhook, model: live.kind };
  }

  /** After the store: the device's risk raised (a fresh decision), the stored decision published. */
  async #announce(draft: Draft, stored: { decision: FraudDecision; fresh: boolean }): Promise<void> {
    const { payment } = draft;
    const { decision, fresh } = stored;
    if (fresh) {
      if (draft.webhook !== null) this.#o.onWebhook?.();
      this.#m.decisions.inc({ action: decision.action, model: draft.model });
      this.#m.latency.observe(Math.max(0, this.#clock() - payment.createdAt) / 1000);
      // A declined payment makes its device risky whatever the score (a block list, a rule).
      const risk =
        decision.action === 'decline' ? Math.max(decision.score, DECLINED_DEVICE_RISK) : decision.score;
      if (payment.deviceId !== undefined)
        await this.#o.state.raiseDeviceRisk(payment.deviceId, risk, this.#o.deviceRiskTtlMs);
    } else this.#m.replays.inc();
    this.#o.onDecided?.(decision.merchantId, decision.paymentId);
    await this.#o.producer.send(
      TOPICS.fraudDecisions,
      this.#o.registry.create(FraudDecided, {
        id: decidedEventId(decision),
        key: decision.paymentId,
        source: { kind: 'worker', id: 'fraud' },
        data: decidedData(payment, decision),
      }),
    );
  }

  async #position(payment: Payment): Promise<{ lat: number; lng: number; ts: number } | null> {
    if (payment.deviceId === undefined) return null;
    const { position } = await this.#o.positions.load(payment.deviceId);
    return position === null ? null : { lat: position.lat, lng: position.lng, ts: position.ts };
  }
}

function decidedEventId(d: FraudDecision): string {
  return `decision:${d.merchantId}:${d.paymentId}`;
}

/** `fraud.decided`'s data: what `hx.fraud-decisions` and the merchant's webhook carry. */
function decidedData(payment: Payment, d: FraudDecision) {
  return {
    paymentId: d.paymentId,
    merchantId: d.merchantId,
    ...(payment.deviceId !== undefined ? { deviceId: payment.deviceId } : {}),
    action: d.action,
    score: d.score,
    modelVersion: d.modelVersion,
    shadow: d.shadow,
    reasons: d.reasons,
    ruleHits: d.ruleHits,
    createdAt: payment.createdAt,
    decidedAt: d.decidedAt,
  };
}

function clamp(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
