import { createHash, randomBytes } from 'node:crypto';
import { HexcastError } from '../errors/index.js';
import { type Queryable, type Records, TurnBatcher } from '../records/index.js';
import { type WebhookEvent, WebhookOutbox } from '../webhooks/index.js';
import type { AuditEntry, AuditLog } from './audit-log.js';
import type { FraudFeatures } from './features.js';
import type { Payment } from './payment.js';
import { CompiledPolicy, type MerchantPolicyBody, type RuleHit } from './policy.js';
import type { RuleAction } from './rules.js';

export interface Merchant {
  id: string;
  ownerKeyId: string;
  policy: CompiledPolicy;
  webhookSecret: string;
}

/** A decision as stored and published. */
export interface FraudDecision {
  paymentId: string;
  merchantId: string;
  action: RuleAction;
  score: number;
  modelVersion: string;
  shadow: { score: number; version: string; action: RuleAction } | null;
  reasons: string[];
  ruleHits: RuleHit[];
  features: FraudFeatures;
  decidedAt: number;
}

export interface PaymentView {
  paymentId: string;
  merchantId: string;
  status: 'pending' | RuleAction;
  receivedAt: number;
  payment: Payment;
  decision: Omit<FraudDecision, 'paymentId' | 'merchantId'> | null;
  review: {
    status: 'open' | 'decided';
    claimedBy: string | null;
    leaseUntil: number | null;
    decision: 'approve' | 'decline' | null;
    label: 'fraud' | 'legit' | null;
    note: string | null;
    reviewedBy: string | null;
    reviewedAt: number | null;
  } | null;
}

interface Row {
  merchant_id: string;
  id: string;
  request_hash: string;
  idempotency_key: string | null;
  body: Payment;
  received_at: Date | string;
  decision: RuleAction | null;
  score: number | null;
  model_version: string | null;
  shadow_score: number | null;
  shadow_version: string | null;
  shadow_action: RuleAction | null;
  reasons: string[] | null;
  features: FraudFeatures | null;
  rule_hits: RuleHit[] | null;
  decided_at: Date | string | null;
  review_status: 'open' | 'decided' | null;
  claimed_by: string | null;
  lease_until: Date | string | null;
  final_decision: 'approve' | 'decline' | null;
  label: 'fraud' | 'legit' | null;
  review_note: string | null;
  reviewed_by: string | null;
  reviewed_at: Date | string | null;
}

const ms = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());

/** A payment's identity: its merchant and its id. */
const paymentKey = (merchantId: string, paymentId: string) => `${merchantId}\u0000${paymentId}`;

/** The stored rows of these payments, by `paymentKey` (one statement). */
async function rowsOf(
  q: Queryable,
  keys: ReadonlyArray<{ merchantId: string; paymentId: string }>,
): Promise<Map<string, Row>> {
  const rows = await q.query<Row>(
    'SELECT * FROM payments WHERE (merchant_id, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
    [keys.map((k) => k.merchantId), keys.map((k) => k.paymentId)],
  );
  return new Map(rows.map((r) => [paymentKey(r.merchant_id, r.id), r]));
}

/** A payment as `submit` stores it. */
interface Submission {
  payment: Payment;
  idempotencyKey: string | null;
  hash: string;
}

/** The request's fingerprint for idempotency: SHA-256 of its canonical JSON. */
export function requestHash(payment: Payment): string {
  return createHash('sha256').update(canonical(payment)).digest('hex');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * Merchants, payments, decisions and reviews in the records database, every change that matters
 * appended to the audit log in the same transaction.
 */
export class PaymentStore {
  readonly #merchants = new Map<string, { merchant: Merchant | null; at: number }>();
  readonly outbox: WebhookOutbox;
  /** The submissions of one turn of the event loop, stored by one statement (a statement costs the same whatever it holds). */
  readonly #inserts = new TurnBatcher<Submission, Row | null>((items) => this.#insertMany(items));
  /** One merchant's payments read in one turn (each waiting request reads its own), by one statement. */
  readonly #reads = new TurnBatcher<{ merchantId: string; paymentId: string }, Row | null>(async (keys) => {
    const found = await rowsOf(this.records, keys);
    return keys.map((k) => found.get(paymentKey(k.merchantId, k.paymentId)) ?? null);
  });

  constructor(
    readonly records: Records,
    readonly audit: AuditLog,
    /** How long a merchant's policy is cached (a change reaches workers within this). */
    readonly merchantCacheMs = 5_000,
    readonly clock: () => number = Date.now,
  ) {
    this.outbox = new WebhookOutbox(records);
  }

  /** Creates or replaces a merchant's policy (compiled first: a bad rule changes nothing). */
  async putMerchant(
    id: string,
    ownerKeyId: string,
    body: MerchantPolicyBody,
  ): Promise<{ merchant: Merchant; created: boolean }> {
    const policy = new CompiledPolicy(id, body);
    const rows = await this.records.query<{ owner_key_id: string; webhook_secret: string; created: boolean }>(
      `INSERT INTO merchants (id, owner_key_id, policy, webhook_secret) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET policy = EXCLUDED.policy, updated_at = now()
       RETURNING owner_key_id, webhook_secret, (xmax = 0) AS created`,
      [id, ownerKeyId, JSON.stringify(body), randomBytes(24).toString('base64url')],
    );
    const row = rows[0]!;
    const merchant = { id, ownerKeyId: row.owner_key_id, policy, webhookSecret: row.webhook_secret };
    this.#merchants.set(id, { merchant, at: this.clock() });
    return { merchant, created: row.created };
  }

  /** The merchant, or null when unknown (cached for `merchantCacheMs`). */
  async merchant(id: string): Promise<Merchant | null> {
    const cached = this.#merchants.get(id);
    if (cached !== undefined && this.clock() - cached.at < this.merchantCacheMs) return cached.merchant;
    const [row] = await this.records.query<{
      owner_key_id: string;
      policy: MerchantPolicyBody;
      webhook_secret: string;
    }>('SELECT owner_key_id, policy, webhook_secret FROM merchants WHERE id = $1', [id]);
    const merchant =
      row === undefined
        ? null
        : {
            id,
            ownerKeyId: row.owner_key_id,
            policy: new CompiledPolicy(id, row.policy),
            webhookSecret: row.webhook_secret,
          };
    // An unknown merchant is not cached: one signing up must not see its payments refused for the cache's time.
    if (merchant !== null) this.#merchants.set(id, { merchant, at: this.clock() });
    return merchant;
  }

  /** The merchant, or `HX_PAYMENT_MERCHANT_UNKNOWN`. */
  async requireMerchant(id: string): Promise<Merchant> {
    const merchant = await this.merchant(id);
    if (merchant === null)
      throw new HexcastError(
        'HX_PAYMENT_MERCHANT_UNKNOWN',
        `no merchant ${id} (create it: PUT /v1/merchants/${id})`,
        {
          details: { merchantId: id },
        },
      );
    return merchant;
  }

  /** Where a merchant's webhook events go and the secret that signs them (null: no such merchant). */
  async webhookTarget(id: string): Promise<{ url: string | undefined; secret: string } | null> {
    const merchant = await this.merchant(id);
    return merchant === null
      ? null
      : { url: merchant.policy.body.webhookUrl, secret: merchant.webhookSecret };
  }

  /** The ids of the merchants a key owns. */
  async merchantsOf(keyId: string): Promise<string[]> {
    const rows = await this.records.query<{ id: string }>(
      'SELECT id FROM merchants WHERE owner_key_id = $1 ORDER BY id',
      [keyId],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Records a submitted payment once. The same payment id or idempotency key with the same body
   * is a replay (the stored payment is returned); with another body it is refused.
   */
  async submit(
    payment: Payment,
    idempotencyKey: string | null,
  ): Promise<{ replayed: boolean; view: PaymentView }> {
    const hash = requestHash(payment);
    const inserted = await this.#inserts.add({ payment, idempotencyKey, hash });
    if (inserted !== null) return { replayed: false, view: view(inserted) };
    const [existing] = await this.records.query<Row>(
      `SELECT * FROM payments WHERE merchant_id = $1 AND (id = $2 OR ($3::text IS NOT NULL AND idempotency_key = $3))
       ORDER BY (idempotency_key = $3) DESC NULLS LAST LIMIT 1`,
      [payment.merchantId, payment.paymentId, idempotencyKey],
    );
    if (existing === undefined)
      throw new HexcastError('HX_RECORDS_UNAVAILABLE', 'the payment was neither stored nor found');
    if (
      existing.request_hash === hash &&
      (idempotencyKey === null || existing.idempotency_key === idempotencyKey)
    )
      return { replayed: true, view: view(existing) };
    if (idempotencyKey !== null && existing.idempotency_key === idempotencyKey)
      throw new HexcastError(
        'HX_PAYMENT_IDEMPOTENCY_CONFLICT',
        `Idempotency-Key ${idempotencyKey} was used for another request (payment ${existing.id})`,
        { details: { idempotencyKey, paymentId: existing.id } },
      );
    throw new HexcastError(
      'HX_PAYMENT_DUPLICATE',
      `payment ${payment.paymentId} was already submitted with another body`,
      {
        details: { paymentId: payment.paymentId },
      },
    );
  }

  /**
   * Inserts the submissions that are new, in one statement; each gets the row it inserted, or null
   * (its id or idempotency key was taken, maybe by an earlier submission of the same batch: rows
   * go in in order) and then reads what is stored.
   */
  async #insertMany(items: Submission[]): Promise<Array<Row | null>> {
    const params: unknown[] = [];
    const values = items.map(({ payment, idempotencyKey, hash }, i) => {
      params.push(
        payment.merchantId,
        payment.paymentId,
        idempotencyKey,
        hash,
        JSON.stringify(payment),
        payment.deviceId ?? null,
        payment.amount,
        payment.currency,
        new Date(payment.createdAt),
      );
      return `(${Array.from({ length: 9 }, (_, k) => `$${9 * i + k + 1}`).join(', ')})`;
    });
    const rows = await this.records.query<Row>(
      `INSERT INTO payments (merchant_id, id, idempotency_key, request_hash, body, device_id, amount, currency, created_at)
       VALUES ${values.join(', ')} ON CONFLICT DO NOTHING RETURNING *`,
      params,
    );
    // A row answers the first submission it matches in every stored field that tells them apart.
    const answers: Array<Row | null> = items.map(() => null);
    for (const row of rows) {
      const i = items.findIndex(
        (s, k) =>
          answers[k] === null &&
          s.payment.merchantId === row.merchant_id &&
          s.payment.paymentId === row.id &&
          s.hash === row.request_hash &&
          s.idempotencyKey === row.idempotency_key,
      );
      if (i >= 0) answers[i] = row;
    }
    return answers;
  }

  /**
   * Stores each decision unless its payment has one (first writer wins), in one transaction: one
   * upsert for every payment of the batch (inserting those that came by the topic), and each
   * merchant's audit rows — the payment and its decision — appended in merchant order (so two
   * batches never wait on each other's chain heads crosswise). Returns, per item, the decision
   * that stands and whether it is this one.
   */
  async decideMany(
    items: ReadonlyArray<{ payment: Payment; decision: FraudDecision; webhook?: WebhookEvent | null }>,
  ): Promise<Array<{ decision: FraudDecision; fresh: boolean }>> {
    // A batch may hold a payment twice (a redelivery): the first one is decided.
    const unique = new Map<
      string,
      { payment: Payment; decision: FraudDecision; webhook?: WebhookEvent | null }
    >();
    for (const item of items) {
      const k = paymentKey(item.payment.merchantId, item.payment.paymentId);
      if (!unique.has(k)) unique.set(k, item);
    }
    const ordered = [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const at = await this.audit.prepare(new Date(this.clock()));
    // Serialised once: stored as the payment's body and appended to the audit log as is.
    const texts = new Map(ordered.map(([k, { payment }]) => [k, JSON.stringify(payment)]));
    const stood = await this.records.transaction(async (tx) => {
      const params: unknown[] = [];
      const values = ordered.map(([k, { payment: p, decision: d }]) => {
        const text = texts.get(k)!;
        const row = [
          p.merchantId,
          p.paymentId,
          requestHash(p),
          text,
          p.deviceId ?? null,
          p.amount,
          p.currency,
          new Date(p.createdAt),
          d.action,
          d.score,
          d.modelVersion,
          d.shadow?.score ?? null,
          d.shadow?.version ?? null,
          d.shadow?.action ?? null,
          JSON.stringify(d.reasons),
          JSON.stringify(d.features),
          JSON.stringify(d.ruleHits),
          new Date(d.decidedAt),
          d.action === 'review' ? 'open' : null,
        ];
        const first = params.length + 1;
        params.push(...row);
        return `(${row.map((_, i) => `$${first + i}`).join(', ')})`;
      });
      const fresh = await tx.query<{ merchant_id: string; id: string }>(
        `INSERT INTO payments AS p (merchant_id, id, request_hash, body, device_id, amount, currency, created_at,
           decision, score, model_version, shadow_score, shadow_version, shadow_action, reasons, features, rule_hits,
           decided_at, review_status)
         VALUES ${values.join(', ')}
         ON CONFLICT (merchant_id, id) DO UPDATE SET decision = EXCLUDED.decision, score = EXCLUDED.score,
           model_version = EXCLUDED.model_version, shadow_score = EXCLUDED.shadow_score,
           shadow_version = EXCLUDED.shadow_version, shadow_action = EXCLUDED.shadow_action,
           reasons = EXCLUDED.reasons, features = EXCLUDED.features, rule_hits = EXCLUDED.rule_hits,
           decided_at = EXCLUDED.decided_at, review_status = EXCLUDED.review_status
         WHERE p.decided_at IS NULL
         RETURNING p.merchant_id, p.id`,
        params,
      );
      const freshKeys = new Set(fresh.map((r) => paymentKey(r.merchant_id, r.id)));
      const result = new Map<string, { decision: FraudDecision; fresh: boolean }>();
      const byMerchant = new Map<string, AuditEntry[]>();
      for (const [k, { payment, decision, webhook }] of ordered) {
        if (!freshKeys.has(k)) continue;
        result.set(k, { decision, fresh: true });
        if (webhook) await this.outbox.enqueue(tx, payment.merchantId, payment.paymentId, webhook);
        const entries = byMerchant.get(payment.merchantId) ?? [];
        entries.push(
          { kind: 'payment', paymentId: payment.paymentId, body: payment, text: texts.get(k)! },
          { kind: 'decision', paymentId: payment.paymentId, body: decision },
        );
        byMerchant.set(payment.merchantId, entries);
      }
      await this.audit.appendMany(tx, byMerchant, at);
      const stale = ordered.filter(([k]) => !freshKeys.has(k)).map(([, { payment }]) => payment);
      if (stale.length > 0)
        for (const [k, row] of await rowsOf(tx, stale))
          result.set(k, { decision: decisionOf(row)!, fresh: false });
      return result;
    });
    return items.map((item) => {
      const k = paymentKey(item.payment.merchantId, item.payment.paymentId);
      const r = stood.get(k);
      if (r === undefined)
        throw new HexcastError('HX_RECORDS_UNAVAILABLE', `payment ${item.payment.paymentId} was not stored`);
      // The second of two copies in one batch is a replay of the first.
      return unique.get(k) === item ? r : { decision: r.decision, fresh: false };
    });
  }

  async get(merchantIds: readonly string[] | 'any', paymentId: string): Promise<PaymentView | null> {
    if (merchantIds !== 'any' && merchantIds.length === 1) {
      const row = await this.#reads.add({ merchantId: merchantIds[0]!, paymentId });
      return row === null ? null : view(row);
    }
    const rows =
      merchantIds === 'any'
        ? await this.records.query<Row>('SELECT * FROM payments WHERE id = $1 ORDER BY merchant_id LIMIT 1', [
            paymentId,
          ])
        : await this.records.query<Row>(
            'SELECT * FROM payments WHERE id = $1 AND merchant_id = ANY($2::text[]) LIMIT 1',
            [paymentId, merchantIds],
          );
    return rows[0] === undefined ? null : view(rows[0]);
  }

  /** Open reviews, riskiest first, then oldest. */
  async queue(limit: number): Promise<PaymentView[]> {
    const rows = await this.records.query<Row>(
      `SELECT * FROM payments WHERE review_status = 'open' ORDER BY score DESC, decided_at ASC LIMIT $1`,
      [limit],
    );
    return rows.map(view);
  }

  /** How many reviews are open, and how many of them past `slaMs`. */
  async openReviews(slaMs: number): Promise<{ open: number; overdue: number }> {
    const [row] = await this.records.query<{ open: string | number; overdue: string | number }>(
      `SELECT count(*) AS open, count(*) FILTER (WHERE decided_at < $1) AS overdue
       FROM payments WHERE review_status = 'open'`,
      [new Date(this.clock() - slaMs)],
    );
    return { open: Number(row?.open ?? 0), overdue: Number(row?.overdue ?? 0) };
  }

  /** Claims a review for `reviewer` for `leaseMs` (renewing their own claim); refused while another holds it. */
  async claim(
    merchantId: string,
    paymentId: string,
    reviewer: string,
    leaseMs: number,
  ): Promise<PaymentView> {
    const rows = await this.records.query<Row>(
      `UPDATE payments SET claimed_by = $3, lease_until = now() + ($4::int * interval '1 millisecond')
       WHERE merchant_id = $1 AND id = $2 AND review_status = 'open'
         AND (claimed_by IS NULL OR claimed_by = $3 OR lease_until < now()) RETURNING *`,
      [merchantId, paymentId, reviewer, leaseMs],
    );
    if (rows[0] !== undefined) return view(rows[0]);
    throw await this.#whyNot(merchantId, paymentId);
  }

  /** Decides a claimed review (the claim must be the reviewer's and unexpired); audited; returns the label. */
  async resolve(
    merchantId: string,
    paymentId: string,
    reviewer: string,
    outcome: { decision: 'approve' | 'decline'; label: 'fraud' | 'legit'; note: string },
    /** The `fraud.reviewed` event for the merchant's webhook, given its review time. */
    webhook: ((reviewedAt: number) => WebhookEvent) | null = null,
  ): Promise<PaymentView> {
    const at = await this.audit.prepare(new Date(this.clock()));
    const row = await this.records.transaction(async (tx) => {
      const rows = await tx.query<Row>(
        `UPDATE payments SET review_status = 'decided', final_decision = $4, label = $5, review_note = $6,
           reviewed_by = $3, reviewed_at = now(), lease_until = NULL
         WHERE merchant_id = $1 AND id = $2 AND review_status = 'open' AND claimed_by = $3 AND lease_until >= now()
         RETURNING *`,
        [merchantId, paymentId, reviewer, outcome.decision, outcome.label, outcome.note],
      );
      if (rows[0] === undefined) return null;
      await this.audit.append(
        tx,
        merchantId,
        [{ kind: 'review', paymentId, body: { reviewer, ...outcome, reviewedAt: ms(rows[0].reviewed_at) } }],
        at,
      );
      if (webhook !== null)
        await this.outbox.enqueue(tx, merchantId, paymentId, webhook(ms(rows[0].reviewed_at)!));
      return rows[0];
    });
    if (row === null) throw await this.#whyNot(merchantId, paymentId, reviewer);
    return view(row);
  }

  /** Reviewed payments with their feature snapshots: labels for training (`--from-labels`). */
  async labelled(
    limit = 1_000_000,
  ): Promise<Array<{ features: FraudFeatures; fraud: boolean; decidedAt: number }>> {
    const rows = await this.records.query<{
      features: FraudFeatures;
      label: string;
      decided_at: Date | string;
    }>(
      `SELECT features, label, decided_at FROM payments WHERE label IS NOT NULL AND features IS NOT NULL
       ORDER BY decided_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      features: r.features,
      fraud: r.label === 'fraud',
      decidedAt: ms(r.decided_at)!,
    }));
  }

  async #whyNot(merchantId: string, paymentId: string, reviewer?: string): Promise<HexcastError> {
    const [row] = await this.records.query<Row>('SELECT * FROM payments WHERE merchant_id = $1 AND id = $2', [
      merchantId,
      paymentId,
    ]);
    if (row === undefined)
      return new HexcastError('HX_PAYMENT_NOT_FOUND', `no payment ${paymentId} of merchant ${merchantId}`);
    if (row.review_status !== 'open')
      return new HexcastError('HX_REVIEW_NOT_OPEN', `payment ${paymentId} has no open review`, {
        details: { reviewStatus: row.review_status },
      });
    const until = ms(row.lease_until);
    if (row.claimed_by !== null && row.claimed_by !== reviewer && until !== null && until >= this.clock())
      return new HexcastError(
        'HX_REVIEW_CLAIMED',
        `payment ${paymentId} is being reviewed by ${row.claimed_by}`,
        {
          details: { claimedBy: row.claimed_by, leaseUntil: until },
        },
      );
    return new HexcastError(
      'HX_REVIEW_NOT_CLAIMED',
      `claim payment ${paymentId} before deciding it (or claim it again: the lease ran out)`,
    );
  }
}

function decisionOf(row: Row): FraudDecision | null {
  if (row.decision === null) return null;
  return {
    paymentId: row.id,
    merchantId: row.merchant_id,
    action: row.decision,
    score: row.score!,
    modelVersion: row.model_version!,
    shadow:
      row.shadow_version === null
        ? null
        : { score: row.shadow_score!, version: row.shadow_version, action: row.shadow_action! },
    reasons: row.reasons ?? [],
    ruleHits: row.rule_hits ?? [],
    features: row.features!,
    decidedAt: ms(row.decided_at)!,
  };
}

function view(row: Row): PaymentView {
  const decision = decisionOf(row);
  return {
    paymentId: row.id,
    merchantId: row.merchant_id,
    status: row.decision ?? 'pending',
    receivedAt: ms(row.received_at)!,
    payment: row.body,
    decision: decision === null ? null : (({ paymentId: _p, merchantId: _m, ...d }) => d)(decision),
    review:
      row.review_status === null
        ? null
        : {
            status: row.review_status,
            claimedBy: row.claimed_by,
            leaseUntil: ms(row.lease_until),
            decision: row.final_decision,
            label: row.label,
            note: row.review_note,
            reviewedBy: row.reviewed_by,
            reviewedAt: ms(row.reviewed_at),
          },
  };
}
