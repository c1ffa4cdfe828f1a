import { Type } from '@sinclair/typebox';
import { backoffMs, type RetryPolicy } from '../bus/index.js';
import { HexcastError } from '../errors/index.js';
import { webhookSignature } from '../http/index.js';
import type { Component } from '../lifecycle/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { Queryable, Records } from '../records/index.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/** A delivery as the API shows it, but for whom and about what (each route names those its own way). */
export const WebhookDeliveryFields = Type.Object({
  id: Type.String(),
  eventType: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')]),
  attempts: Type.Integer(),
  nextAttemptAt: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Integer(),
  deliveredAt: Type.Union([Type.Integer(), Type.Null()]),
});

export interface WebhookDelivery {
  id: string;
  /** Whose endpoint it goes to: a merchant id, or `care`. */
  target: string;
  /** What it is about: a payment id, an alert id. */
  subject: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** What an endpoint receives: the event as it is on its topic (`hx.fraud-decisions`, `hx.alerts`). */
export interface WebhookEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

const ms = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());

interface Row {
  id: string;
  target: string;
  subject: string;
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
    target: r.target,
    subject: r.subject,
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
 * The outbox of outgoing webhooks (`webhook_deliveries`), shared by merchants' fraud webhooks and
 * the care system's: an event is enqueued in the same transaction as the decision, review or
 * alert it reports, so none is lost or sent for one that did not stand. The sender claims due rows (`FOR UPDATE SKIP LOCKED`: several workers share the
 * work), posts them signed, and on failure retries with capped exponential backoff; after
 * `maxAttempts` a delivery is dead — listed by the API and retried on request.
 */
export class WebhookOutbox {
  constructor(readonly records: Records) {}

  async enqueue(tx: Queryable, target: string, subject: string, event: WebhookEvent): Promise<void> {
    await tx.query(
      `INSERT INTO webhook_deliveries (id, target, subject, event_type, body) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO NOTHING`,
      [event.id, target, subject, event.type, JSON.stringify(event)],
    );
  }

  async list(target: string, status: DeliveryStatus | undefined, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.records.query<Row>(
      `SELECT * FROM webhook_deliveries WHERE target = $1 AND ($2::text IS NULL OR status = $2)
       ORDER BY created_at DESC LIMIT $3`,
      [target, status ?? null, limit],
    );
    return rows.map(view);
  }

  /** Puts a dead delivery back in the queue, due now, with its attempts reset. */
  async retry(target: string, id: string): Promise<WebhookDelivery> {
    const rows = await this.records.query<Row>(
      `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
       WHERE target = $1 AND id = $2 AND status = 'dead' RETURNING *`,
      [target, id],
    );
    if (rows[0] === undefined)
      throw new HexcastError('HX_WEBHOOK_NOT_DEAD', `no dead delivery ${id} for ${target}`);
    return view(rows[0]);
  }

  /**
   * Claims up to `limit` due deliveries of these targets (`null`: every target but `except`) for
   * `leaseMs`; another sender skips them meanwhile.
   */
  async claim(limit: number, leaseMs: number, targets: TargetFilter): Promise<Row[]> {
    return this.records.query<Row>(
      `UPDATE webhook_deliveries SET next_attempt_at = now() + ($2::int * interval '1 millisecond')
       WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
                      AND ($3::text IS NULL OR target = $3) AND ($4::text IS NULL OR target <> $4)
                    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [limit, leaseMs, targets.only ?? null, targets.except ?? null],
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

/** The care system's target in the outbox (`#` is in no merchant id, so it cannot collide with one). */
export const CARE_WEBHOOK_TARGET = '#care';

/** Which deliveries a sender sends: one target's (`only`), or all but one's (`except`). */
export interface TargetFilter {
  only?: string;
  except?: string;
}

export interface WebhookSenderOptions {
  /** The component's name, and the metric's: `hexcast_<name>_total` (`fraud_webhooks`, `care_webhooks`). */
  name: string;
  outbox: WebhookOutbox;
  targets: TargetFilter;
  /** Where a target's events go and the secret they are signed with (null: nowhere). */
  target(target: string): Promise<{ url: string | undefined; secret: string } | null>;
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

/** Posts the outbox's due deliveries to their endpoints, signed (`Hexcast-Signature`). */
export class WebhookSender implements Component {
  readonly name: string;
  readonly #o: WebhookSenderOptions;
  readonly #m;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  readonly #inflight = new Set<AbortController>();

  constructor(options: WebhookSenderOptions) {
    this.name = options.name.replaceAll('_', '-');
    this.#o = options;
    this.#m = options.metrics.counter<'outcome'>({
      name: `${options.name}_total`,
      help: `${options.name.replaceAll('_', ' ')} attempts by outcome (delivered, failed, dead)`,
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
      const due = await this.#o.outbox.claim(50, timeoutMs * 2, this.#o.targets);
      if (due.length === 0 || this.#closed) return;
      await Promise.all(due.map((row) => this.#send(row, timeoutMs)));
    }
  }

  async #send(row: Row, timeoutMs: number): Promise<void> {
    const target = await this.#o.target(row.target);
    const url = target?.url;
    const maxAttempts = this.#o.maxAttempts ?? 8;
    const retry = { retries: maxAttempts, initialMs: 1_000, maxMs: 600_000, ...this.#o.retry };
    let error: string;
    if (target === null || url === undefined) error = `${row.target} has no webhook URL`;
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
        { code: 'HX_WEBHOOK_DEAD', target: row.target, delivery: row.id, error },
        'webhook delivery dead',
      );
  }
}
