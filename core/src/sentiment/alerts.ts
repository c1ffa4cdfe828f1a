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

/** An alert a batch of posts raises or joins: `insert` holds a new one's columns (null: already stored). */
interface Group {
  id: string;
  added: number;
  priority: number;
  insert: { brand: string; channel: string; group: string; reason: string | null; detail: string } | null;
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

  /**
   * The alert the post raised — new, or raised by this post before (a replay) — or null when it
   * joined an open one (now or before).
   */
  async raiseForPost(post: SocialPost, score: PostScore): Promise<CareAlert | null> {
    const [alert] = await this.raiseForPosts([{ post, score }]);
    return alert ?? null;
  }

  /**
   * {@link raiseForPost} for several distinct posts in order, in two statements: one reads which
   * posts already have an alert and which of their groups have an open one; one writes the new
   * alerts, the joins and the posts' links at once. A post joins the open alert of its author or
   * conversation, one raised for an earlier post of the batch included. A brand's posts are handled
   * by one worker at a time; should two ever race, the posts' key and the open-group index refuse
   * the second write, and the batch is retried on what the first wrote.
   */
  async raiseForPosts(
    items: ReadonlyArray<{ post: SocialPost; score: PostScore }>,
  ): Promise<Array<CareAlert | null>> {
    if (items.length === 0) return [];
    const groupOf = (post: SocialPost) =>
      post.conversationId === undefined ? `author:${post.author.id}` : `conversation:${post.conversationId}`;
    const posts = items.map(({ post }) => post);
    const known = await this.records.query<{
      kind: 'seen' | 'open';
      a: string;
      b: string;
      id: string | null;
    }>(
      `SELECT 'seen' AS kind, channel AS a, post_id AS b, alert_id AS id FROM care_alert_posts
         WHERE (channel, post_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       UNION ALL
       SELECT 'open', brand, group_key, id FROM care_alerts
         WHERE status <> 'resolved' AND (brand, group_key) IN (SELECT * FROM unnest($3::text[], $4::text[]))`,
      [
        posts.map((p) => p.channel),
        posts.map((p) => p.postId),
        posts.map((p) => p.brand),
        posts.map(groupOf),
      ],
    );
    const seen = new Set(known.filter((r) => r.kind === 'seen').map((r) => `${r.a}\u0000${r.b}`));
    // Groups with an open alert; joins add to them.
    const open = new Map(
      known
        .filter((r) => r.kind === 'open')
        .map((r): [string, Group] => [
          `${r.a}\u0000${r.b}`,
          { id: r.id!, added: 0, priority: 0, insert: null },
        ]),
    );
    const links: Array<[string, string, string]> = [];
    for (const { post, score } of items) {
      if (seen.has(`${post.channel}\u0000${post.postId}`)) continue;
      const group = groupOf(post);
      const key = `${post.brand}\u0000${group}`;
      const priority = alertPriority(post, score);
      let target = open.get(key);
      if (target === undefined) {
        // Raised now; later posts of the group join it.
        const id = `alert-${randomUUID()}`;
        const detail = {
          post: { channel: post.channel, postId: post.postId, url: post.url ?? null },
          author: post.author,
          text: post.text,
          compound: score.compound,
          engagement: post.engagement,
        };
        target = {
          id,
          added: 0,
          priority,
          insert: {
            brand: post.brand,
            channel: post.channel,
            group,
            reason: score.reason ?? null,
            detail: JSON.stringify(detail),
          },
        };
        open.set(key, target);
      }
      target.added++;
      target.priority = Math.max(target.priority, priority);
      links.push([post.channel, post.postId, target.id]);
    }
    const created = [...open.values()].filter((g) => g.insert !== null);
    const joined = [...open.values()].filter((g) => g.insert === null && g.added > 0);
    const write = async (db: Queryable) => {
      // One statement: atomic, and the links' foreign keys are checked at its end, new alerts included.
      const rows = await db.query<Row>(
        `WITH created AS (
           INSERT INTO care_alerts (id, kind, brand, channel, group_key, reason, detail, priority, posts, created_at)
           SELECT id, 'negative-post', brand, channel, group_key, reason, detail, priority, posts, to_timestamp($9 / 1000.0)
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::real[], $8::int[])
             AS t (id, brand, channel, group_key, reason, detail, priority, posts)
           RETURNING *
         ), joined AS (
           UPDATE care_alerts a SET posts = a.posts + j.n, priority = GREATEST(a.priority, j.priority)
           FROM unnest($10::text[], $11::int[], $12::real[]) AS j (id, n, priority) WHERE a.id = j.id
           RETURNING a.id
         ), linked AS (
           INSERT INTO care_alert_posts (channel, post_id, alert_id)
           SELECT * FROM unnest($13::text[], $14::text[], $15::text[])
           RETURNING alert_id
         )
         SELECT * FROM created`,
        [
          created.map((g) => g.id),
          created.map((g) => g.insert!.brand),
          created.map((g) => g.insert!.channel),
          created.map((g) => g.insert!.group),
          created.map((g) => g.insert!.reason),
          created.map((g) => g.insert!.detail),
          created.map((g) => g.priority),
          created.map((g) => g.added),
          this.clock(),
          joined.map((g) => g.id),
          joined.map((g) => g.added),
          joined.map((g) => g.priority),
          links.map((l) => l[0]),
          links.map((l) => l[1]),
          links.map((l) => l[2]),
        ],
      );
      const alerts = rows.map(view);
      for (const alert of alerts) await this.#queue(db, alert);
      return alerts;
    };
    // With the care webhook, each new alert is queued for it in the same transaction.
    const alerts =
      links.length === 0
        ? []
        : this.outbox === null
          ? await write(this.records)
          : await this.records.transaction(write);
    // A post seen again that raised its alert before (a replay of a post whose score and alert
    // were never announced): its alert again, to be announced under the same id.
    const before = [...new Set(known.filter((r) => r.kind === 'seen').map((r) => r.id!))];
    if (before.length > 0)
      alerts.push(
        ...(
          await this.records.query<Row>(
            `SELECT * FROM care_alerts WHERE id = ANY($1::text[]) AND kind = 'negative-post'`,
            [before],
          )
        ).map(view),
      );
    const raised = new Map(
      alerts.map((alert) => {
        const detail = alert.detail as { post: { channel: string; postId: string } };
        return [`${detail.post.channel}\u0000${detail.post.postId}`, alert];
      }),
    );
    return items.map(({ post }) => raised.get(`${post.channel}\u0000${post.postId}`) ?? null);
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
