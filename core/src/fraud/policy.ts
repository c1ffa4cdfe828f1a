import { type Static, Type } from '@sinclair/typebox';
import { HexcastError } from '../errors/index.js';
import { FRAUD_FEATURE_NAMES, type FraudFeatures } from './features.js';
import type { Payment } from './payment.js';
import { ACTION_RANK, CompiledRule, type RuleAction, type RuleScope } from './rules.js';
import type { Contribution } from './scorer.js';

const Ids = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
  maxItems: 10_000,
  uniqueItems: true,
});
const Lists = Type.Object(
  {
    cards: Type.Optional(Ids),
    customers: Type.Optional(Ids),
    emails: Type.Optional(Ids),
    devices: Type.Optional(Ids),
    ips: Type.Optional(Ids),
  },
  { additionalProperties: false },
);

/** What a merchant sets: currencies, thresholds, allow / block lists, rules, a webhook. */
export const MerchantPolicyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    /** ISO 4217 codes payments may use. */
    currencies: Type.Array(Type.String({ pattern: '^[A-Z]{3}$' }), {
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
    }),
    /** Model score at or above which a payment goes to review (default 0.5). */
    reviewAt: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Model score at or above which a payment is declined (default 0.9). */
    declineAt: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    allow: Type.Optional(Lists),
    block: Type.Optional(Lists),
    rules: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
            when: Type.String({ minLength: 1, maxLength: 1000 }),
            action: Type.Union([Type.Literal('approve'), Type.Literal('review'), Type.Literal('decline')]),
            reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 200 },
      ),
    ),
    /** Where decisions are posted (signed), if anywhere. */
    webhookUrl: Type.Optional(Type.String({ format: 'uri', maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type MerchantPolicyBody = Static<typeof MerchantPolicyBody>;

export interface RuleHit {
  rule: string;
  action: RuleAction;
  reason: string;
}

export interface Verdict {
  action: RuleAction;
  /** Plain words, strongest first: list and rule hits, then the model's top features. */
  reasons: string[];
  ruleHits: RuleHit[];
}

/** Names a rule may read: every feature, plus the payment's own fields. */
export const RULE_NAMES: ReadonlySet<string> = new Set([
  ...FRAUD_FEATURE_NAMES,
  'score',
  'amount',
  'currency',
  'binCountry',
  'billingCountry',
  'shippingCountry',
  'hasDevice',
]);

const LIST_FIELDS = {
  cards: (p: Payment) => p.card.fingerprint,
  customers: (p: Payment) => p.customer.id,
  emails: (p: Payment) => p.customer.emailHash,
  devices: (p: Payment) => p.deviceId,
  ips: (p: Payment) => p.ip,
} as const;

/**
 * A merchant's policy, compiled once per change: block list → decline; allow list → approve;
 * then every rule is tested and the model's score placed against the thresholds — the strongest
 * action wins (a rule may lower the model's review to approve only if no rule says otherwise).
 */
export class CompiledPolicy {
  readonly rules: CompiledRule[];
  readonly reviewAt: number;
  readonly declineAt: number;
  readonly #allow: Map<keyof typeof LIST_FIELDS, Set<string>>;
  readonly #block: Map<keyof typeof LIST_FIELDS, Set<string>>;

  constructor(
    readonly merchantId: string,
    readonly body: MerchantPolicyBody,
  ) {
    this.rules = (body.rules ?? []).map((r) => new CompiledRule(r, RULE_NAMES));
    this.reviewAt = body.reviewAt ?? 0.5;
    this.declineAt = Math.max(body.declineAt ?? 0.9, this.reviewAt);
    const lists = (l: MerchantPolicyBody['allow']) =>
      new Map(Object.entries(l ?? {}).map(([k, v]) => [k as keyof typeof LIST_FIELDS, new Set(v)]));
    this.#allow = lists(body.allow);
    this.#block = lists(body.block);
  }

  /** Refuses a currency the merchant does not take (`HX_PAYMENT_CURRENCY_UNSUPPORTED`). */
  assertAccepts(currency: string): void {
    if (!this.body.currencies.includes(currency))
      throw new HexcastError(
        'HX_PAYMENT_CURRENCY_UNSUPPORTED',
        `merchant ${this.merchantId} takes ${this.body.currencies.join(', ')}, not ${currency}`,
        { details: { currency, accepted: this.body.currencies } },
      );
  }

  decide(payment: Payment, features: FraudFeatures, score: number, explain: () => Contribution[]): Verdict {
    const listed = (lists: Map<keyof typeof LIST_FIELDS, Set<string>>) => {
      for (const [field, ids] of lists) {
        const value = LIST_FIELDS[field](payment);
        if (value !== undefined && ids.has(value)) return field;
      }
      return null;
    };
    const blocked = listed(this.#block);
    if (blocked !== null) {
      const hit = {
        rule: `block:${blocked}`,
        action: 'decline' as const,
        reason: `${singular(blocked)} on the block list`,
      };
      return { action: 'decline', reasons: [hit.reason], ruleHits: [hit] };
    }
    const allowed = listed(this.#allow);
    if (allowed !== null) {
      const hit = {
        rule: `allow:${allowed}`,
        action: 'approve' as const,
        reason: `${singular(allowed)} on the allow list`,
      };
      return { action: 'approve', reasons: [hit.reason], ruleHits: [hit] };
    }
    const scope: RuleScope =
      this.rules.length === 0
        ? {}
        : {
            ...features,
            score,
            amount: payment.amount,
            currency: payment.currency,
            binCountry: payment.card.binCountry,
            billingCountry: payment.billing?.country ?? '',
            shippingCountry: payment.shipping?.country ?? '',
            hasDevice: payment.deviceId !== undefined,
          };
    const ruleHits: RuleHit[] = this.rules
      .filter((r) => r.test(scope))
      .map((r) => ({
        rule: r.spec.id,
        action: r.spec.action,
        reason: r.spec.reason ?? `rule ${r.spec.id}: ${r.spec.when}`,
      }));
    const byModel: RuleAction =
      score >= this.declineAt ? 'decline' : score >= this.reviewAt ? 'review' : 'approve';
    const strongestRule = ruleHits.reduce<RuleAction | null>(
      (a, h) => (a === null || ACTION_RANK[h.action] > ACTION_RANK[a] ? h.action : a),
      null,
    );
    const action =
      strongestRule === null
        ? byModel
        : strongestRule === 'approve'
          ? 'approve'
          : ACTION_RANK[strongestRule] >= ACTION_RANK[byModel]
            ? strongestRule
            : byModel;
    const reasons = [
      ...ruleHits.filter((h) => h.action === action || action !== 'approve').map((h) => h.reason),
    ];
    if (byModel !== 'approve' || action !== 'approve') reasons.push(...explain().map((c) => c.words));
    return { action, reasons, ruleHits };
  }
}

function singular(field: keyof typeof LIST_FIELDS): string {
  return { cards: 'card', customers: 'customer', emails: 'e-mail', devices: 'device', ips: 'IP address' }[
    field
  ];
}
