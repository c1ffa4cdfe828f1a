import { backoffMs, type RetryPolicy } from '../bus/index.js';
import { HexcastError } from '../errors/index.js';
import { webhookSignature } from '../http/index.js';
import type { Component } from '../lifecycle/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { Queryable, Records } from '../records/index.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface WebhookDelivery {
  id: string;
  merchantId: string;
  paymentId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** What a merchant's endpoint receives: the event, as on `hx.fraud-decisions`. */
export interface WebhookEvent {
  id: string;
  type: string;
  data: { paymentId: string; merchantId: string } & Record<string, unknown>;
}

const ms = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());

interface Row {
  id: string;
  merchant_id: string;
  payment_id: string;
  event_type: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | string;
  last_error: string | null;
  created_at: Date | string;
  delivered_at: Date | string | null;
}

function view(r: Row): WebhookDelivery {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    paymentId: r.payment_id,
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: ms(r.next_attempt_at)!,
    lastError: r.last_error,
    createdAt: ms(r.created_at)!,
    deliveredAt: ms(r.delivered_at),
  };
}

/**
 * The merchant webhook's outbox (`webhook_deliveries`): an event is enqueued in the same
 * transaction as the decision or review it reports, so none is lost or sent for a decision that
 * did not stand. The sender claims due rows (`FOR UPDATE SKIP LOCKED`: several workers share the
 * work), posts them signed, and on failure retries with capped exponential backoff; after
 * `maxAttempts` a delivery is dead — listed by the API and retried on request.
 */
export class WebhookOutbox {
  constructor(readonly records: Records) {}

  async enqueue(tx: Queryable, event: WebhookEvent): Promise<void> {
    await tx.query(
      `INSERT INTO webhook_deliveries (id, merchant_id, payment_id, event_type, body) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO NOTHING`,
      [event.id, event.data.merchantId, event.data.paymentId, event.type, JSON.stringify(event)],
    );
  }

  async list(
    merchantId: string,
    status: DeliveryStatus | undefined,
    limit: number,
  ): Promise<WebhookDelivery[]> {
    const rows = await this.records.query<Row>(
      `SELECT * FROM webhook_deliveries WHERE merchant_id = $1 AND ($2::text IS NULL OR status = $2)
       ORDER BY created_at DESC LIMIT $3`,
      [merchantId, status ?? null, limit],
    );
    return rows.map(view);
  }

  /** Puts a dead delivery back in the queue, due now, with its attempts reset. */
  async retry(merchantId: string, id: string): Promise<WebhookDelivery> {
    const rows = await this.records.query<Row>(
      `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
       WHERE merchant_id = $1 AND id = $2 AND status = 'dead' RETURNING *`,
      [merchantId, id],
    );
    if (rows[0] === undefined)
      throw new HexcastError('HX_WEBHOOK_NOT_DEAD', `no dead delivery ${id} for merchant ${merchantId}`);
    return view(rows[0]);
  }

  /** Claims up to `limit` due deliveries for `leaseMs` (another sender skips them meanwhile). */
  async claim(limit: number, leaseMs: number): Promise<Row[]> {
    return this.records.query<Row>(
      `UPDATE webhook_deliveries SET next_attempt_at = now() + ($2::int * interval '1 millisecond')
       WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
                    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [limit, leaseMs],
    );
  }

  async delivered(id: string): Promise<void> {
    await this.records.query(
      `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1`,
      [id],
    );
  }

  async failed(id: string, error: string, dead: boolean, retryInMs: number): Promise<void> {
    await this.records.query(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $2,
         status = CASE WHEN $3 THEN 'dead' ELSE 'pending' END,
         next_attempt_at = now() + ($4::int * interval '1 millisecond')
       WHERE id = $1`,
      [id, error.slice(0, 500), dead, retryInMs],
    );
  }
}

export interface WebhookSenderOptions {
  outbox: WebhookOutbox;
  /** Where a merchant's events go and the secret they are signed with (null: nowhere). */
  target(merchantId: string): Promise<{ url: string | undefined; secret: string } | null>;
  metrics: Metrics;
  logger: Logger;
  /** Attempts before a delivery is dead. */
  maxAttempts?: number;
  retry?: Omit<RetryPolicy, 'retries'>;
  /** How often the sender looks for due deliveries (it is also nudged after each decision). */
  pollMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  clock?: () => number;
}

/** Posts the outbox's due deliveries to the merchants' endpoints. */
export class WebhookSender implements Component {
  readonly name = 'fraud-webhooks';
  readonly #o: WebhookSenderOptions;
  readonly #m;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  readonly #inflight = new Set<AbortController>();

  constructor(options: WebhookSenderOptions) {
    this.#o = options;
    this.#m = options.metrics.counter<'outcome'>({
      name: 'fraud_webhooks_total',
      help: 'merchant webhook attempts by outcome (delivered, failed, dead)',
      labelNames: ['outcome'],
    });
  }

  async start(): Promise<void> {
    this.#schedule();
  }

  /** Look now (a decision was just stored). */
  nudge(): void {
    if (this.#closed) return;
    if (this.#running !== undefined) this.#again = true;
    else this.#tick();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const c of this.#inflight) c.abort();
    await this.#running;
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), this.#o.pollMs ?? 1_000);
    this.#timer.unref();
  }

  #tick(): void {
    if (this.#running !== undefined || this.#closed) return;
    this.#running = this.#sendDue()
      .catch((error: unknown) => this.#o.logger.warn({ err: error }, 'webhook round failed; retrying later'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.#tick();
        } else this.#schedule();
      });
  }

  async #sendDue(): Promise<void> {
    const timeoutMs = this.#o.timeoutMs ?? 5_000;
    for (;;) {
      const due = await this.#o.outbox.claim(50, timeoutMs * 2);
      if (due.length === 0 || this.#closed) return;
      await Promise.all(due.map((row) => this.#send(row, timeoutMs)));
    }
  }

  async #send(row: Row, timeoutMs: number): Promise<void> {
    const target = await this.#o.target(row.merchant_id);
    const url = target?.url;
    const maxAttempts = this.#o.maxAttempts ?? 8;
    const retry = { retries: maxAttempts, initialMs: 1_000, maxMs: 600_000, ...this.#o.retry };
    let error: string;
    if (target === null || url === undefined) error = 'the merchant has no webhook URL';
    else {
      const abort = new AbortController();
      this.#inflight.add(abort);
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      try {
        const now = Math.floor((this.#o.clock ?? Date.now)() / 1000);
        const response = await (this.#o.fetch ?? fetch)(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'hexcast-event-id': row.id,
            'hexcast-signature': webhookSignature(target.secret, row.body, now),
          },
          body: row.body,
          signal: abort.signal,
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          await this.#o.outbox.delivered(row.id);
          this.#m.inc({ outcome: 'delivered' });
          return;
        }
        error = `HTTP ${response.status}`;
      } catch (cause) {
        error = abort.signal.aborted
          ? `no answer within ${timeoutMs} ms`
          : String((cause as Error).message ?? cause);
      } finally {
        clearTimeout(timer);
        this.#inflight.delete(abort);
      }
    }
    const dead = row.attempts + 1 >= maxAttempts;
    await this.#o.outbox.failed(row.id, error, dead, backoffMs(retry, row.attempts));
    this.#m.inc({ outcome: dead ? 'dead' : 'failed' });
    if (dead)
      this.#o.logger.warn(
        { code: 'HX_WEBHOOK_DEAD', merchantId: row.merchant_id, delivery: row.id, error },
        'webhook delivery dead',
      );
  }
}
