import { randomUUID } from 'node:crypto';
import { HexcastError } from '../errors/index.js';
import type { Queryable, Records } from '../records/index.js';
import { CARE_WEBHOOK_TARGET, type WebhookOutbox } from '../webhooks/index.js';
import { influence, type SocialPost } from './post.js';
import type { PostScore } from './post-store.js';
import type { Spike } from './summary.js';

export type AlertStatus = 'open' | 'claimed' | 'resolved';

export interface CareAlert {
  id: string;
  kind: 'negative-post' | 'spike';
  brand: string;
  channel: string | null;
  /** Posts grouped here (same author or conversation while the alert is open). */
  posts: number;
  priority: number;
  reason: string | null;
  detail: unknown;
  status: AlertStatus;
  claimedBy: string | null;
  leaseUntil: number | null;
  createdAt: number;
  /** First claim − creation: the first-response time (null until claimed). */
  firstResponseMs: number | null;
  resolvedBy: string | null;
  resolvedAt: number | null;
  note: string | null;
}

interface Row {
  id: string;
  kind: CareAlert['kind'];
  brand: string;
  channel: string | null;
  posts: number;
  priority: number;
  reason: string | null;
  detail: string;
  status: AlertStatus;
  claimed_by: string | null;
  lease_until: Date | string | null;
  first_response_at: Date | string | null;
  resolved_by: string | null;
  resolved_at: Date | string | null;
  note: string | null;
  created_at: Date | string;
}

const ms = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());

function view(r: Row): CareAlert {
  const created = ms(r.created_at)!;
  const first = ms(r.first_response_at);
  return {
    id: r.id,
    kind: r.kind,
    brand: r.brand,
    channel: r.channel,
    posts: Number(r.posts),
    priority: Number(r.priority),
    reason: r.reason,
    detail: JSON.parse(r.detail),
    status: r.status === 'claimed' && (ms(r.lease_until) ?? 0) < Date.now() ? 'open' : r.status,
    claimedBy: r.claimed_by,
    leaseUntil: ms(r.lease_until),
    createdAt: created,
    firstResponseMs: first === null ? null : first - created,
    resolvedBy: r.resolved_by,
    resolvedAt: ms(r.resolved_at),
    note: r.note,
  };
}

/** Reasons a care team answers first; others weigh 1. */
const REASON_WEIGHT: Readonly<Record<string, number>> = {
  lost_item: 1.5,
  damaged_item: 1.4,
  cancellation: 1.4,
  billing: 1.3,
  delay: 1.2,
  staff: 1.2,
};

/**
 * Priority of a negative post: who sees it (1 + influence) weighs most, then how urgent its
 * reason is; how negative it reads moves it by up to half.
 */
export function alertPriority(post: SocialPost, score: PostScore): number {
  return (
    (1 + influence(post)) * (0.5 + 0.5 * Math.abs(score.compound)) * (REASON_WEIGHT[score.reason ?? ''] ?? 1)
  );
}

/**
 * The care queue in the records database. A post raises at most one alert (`care_alert_posts`
 * keys posts); while an alert is open, later negative posts by the same author or in the same
 * conversation join it instead of raising another.
 */
export class CareAlerts {
  constructor(
    readonly records: Records,
    readonly clock: () => number = Date.now,
    /** With the care webhook configured: each new alert is queued for it in the alert's own transaction. */
    readonly outbox: WebhookOutbox | null = null,
  ) {}

  async #queue(tx: Queryable, alert: CareAlert): Promise<void> {
    if (this.outbox === null) return;
    await this.outbox.enqueue(tx, CARE_WEBHOOK_TARGET, alert.id, {
      id: `care:${alert.id}`,
      type: 'care.alert',
      data: alert as unknown as Record<string, unknown>,
    });
  }

  /** The new alert, or null when the post already has one or joined an open one. */
  async raiseForPost(post: SocialPost, score: PostScore): Promise<CareAlert | null> {
    const group =
      post.conversationId === undefined ? `author:${post.author.id}` : `conversation:${post.conversationId}`;
    const priority = alertPriority(post, score);
    return this.records.transaction(async (tx) => {
      const [seen] = await tx.query<{ alert_id: string }>(
        'SELECT alert_id FROM care_alert_posts WHERE channel = $1 AND post_id = $2',
        [post.channel, post.postId],
      );
      if (seen !== undefined) return null;
      const [open] = await tx.query<{ id: string }>(
        `UPDATE care_alerts SET posts = posts + 1, priority = GREATEST(priority, $3)
         WHERE brand = $1 AND group_key = $2 AND status <> 'resolved' RETURNING id`,
        [post.brand, group, priority],
      );
      if (open !== undefined) {
        await tx.query('INSERT INTO care_alert_posts (channel, post_id, alert_id) VALUES ($1, $2, $3)', [
          post.channel,
          post.postId,
          open.id,
        ]);
        return null;
      }
      const id = `alert-${randomUUID()}`;
      const detail = {
        post: { channel: post.channel, postId: post.postId, url: post.url ?? null },
        author: post.author,
        text: post.text,
        compound: score.compound,
        engagement: post.engagement,
      };
      const [row] = await tx.query<Row>(
        `INSERT INTO care_alerts (id, kind, brand, channel, group_key, priority, reason, detail, created_at)
         VALUES ($1, 'negative-post', $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0)) RETURNING *`,
        [
          id,
          post.brand,
          post.channel,
          group,
          priority,
          score.reason ?? null,
          JSON.stringify(detail),
          this.clock(),
        ],
      );
      await tx.query('INSERT INTO care_alert_posts (channel, post_id, alert_id) VALUES ($1, $2, $3)', [
        post.channel,
        post.postId,
        id,
      ]);
      const alert = view(row!);
      await this.#queue(tx, alert);
      return alert;
    });
  }

  /** The spike's alert, or null when another process already raised it (one id per brand, channel and minute). */
  async raiseForSpike(spike: Spike): Promise<CareAlert | null> {
    const id = `spike:${spike.brand}:${spike.channel}:${spike.minute}`;
    return this.records.transaction(async (tx) => {
      const [row] = await tx.query<Row>(
        `INSERT INTO care_alerts (id, kind, brand, channel, group_key, priority, reason, detail, created_at)
         VALUES ($1, 'spike', $2, $3, $1, $4, NULL, $5, to_timestamp($6 / 1000.0))
         ON CONFLICT (id) DO NOTHING RETURNING *`,
        [id, spike.brand, spike.channel, 10 * spike.negativeShare, JSON.stringify(spike), this.clock()],
      );
      if (row === undefined) return null;
      const alert = view(row);
      await this.#queue(tx, alert);
      return alert;
    });
  }

  async get(id: string): Promise<CareAlert> {
    const [row] = await this.records.query<Row>('SELECT * FROM care_alerts WHERE id = $1', [id]);
    if (row === undefined) throw new HexcastError('HX_ALERT_NOT_FOUND', `no care alert ${id}`);
    return view(row);
  }

  /** Unresolved alerts (or one status), highest priority first, then oldest. */
  async list(filter: { status?: AlertStatus; brand?: string; limit: number }): Promise<CareAlert[]> {
    const rows = await this.records.query<Row>(
      `SELECT * FROM care_alerts
       WHERE ($1::text IS NULL AND status <> 'resolved' OR status = $1) AND ($2::text IS NULL OR brand = $2)
       ORDER BY priority DESC, created_at LIMIT $3`,
      [filter.status ?? null, filter.brand ?? null, filter.limit],
    );
    return rows.map(view);
  }

  async claim(id: string, agent: string, leaseMs: number): Promise<CareAlert> {
    const [row] = await this.records.query<Row>(
      `UPDATE care_alerts SET status = 'claimed', claimed_by = $2,
         lease_until = now() + ($3::int * interval '1 millisecond'),
         first_response_at = COALESCE(first_response_at, now())
       WHERE id = $1 AND status <> 'resolved' AND (claimed_by IS NULL OR claimed_by = $2 OR lease_until < now())
       RETURNING *`,
      [id, agent, leaseMs],
    );
    if (row !== undefined) return view(row);
    const current = await this.get(id);
    if (current.status === 'resolved') throw new HexcastError('HX_ALERT_NOT_OPEN', `alert ${id} is resolved`);
    throw new HexcastError('HX_ALERT_CLAIMED', `alert ${id} is claimed by ${current.claimedBy}`, {
      details: { claimedBy: current.claimedBy, leaseUntil: current.leaseUntil },
    });
  }

  async resolve(id: string, agent: string, note: string): Promise<CareAlert> {
    const [row] = await this.records.query<Row>(
      `UPDATE care_alerts SET status = 'resolved', resolved_by = $2, resolved_at = now(), note = $3, lease_until = NULL
       WHERE id = $1 AND status = 'claimed' AND claimed_by = $2 AND lease_until >= now() RETURNING *`,
      [id, agent, note],
    );
    if (row !== undefined) return view(row);
    const current = await this.get(id);
    if (current.status === 'resolved') throw new HexcastError('HX_ALERT_NOT_OPEN', `alert ${id} is resolved`);
    throw new HexcastError(
      'HX_ALERT_NOT_CLAIMED',
      `claim alert ${id} before resolving it (or claim it again: the lease ran out)`,
    );
  }
}
