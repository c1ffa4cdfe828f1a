import type { Records } from '../records/index.js';
import type { SocialPost } from './post.js';

/** A post's score as stored beside it. */
export interface PostScore {
  compound: number;
  label: 'negative' | 'neutral' | 'positive';
  reason?: string;
  modelVersion: string;
}

export interface StoredPost {
  post: SocialPost;
  score: PostScore;
  /** Whether its score has been published on `hx.sentiment` (and its alert raised). */
  announced: boolean;
  receivedAt: number;
  updatedAt: number;
}

export interface PostQuery {
  brand: string;
  label?: PostScore['label'];
  /** Posts created before this (epoch ms): the next page. */
  before?: number;
  limit: number;
}

/**
 * The message DB: posts with their attributes and scores, one row per (channel, post id). Engines:
 * the records database (PGlite, PostgreSQL) and MySQL/MariaDB sharded by a hash of (channel, post
 * id); one contract suite holds them to the same behaviour.
 */
export interface PostStore {
  /**
   * Stores each post: a new one with its score; one already stored keeps its score and takes the
   * higher engagement counts. Answers, per post, the stored score when the post still has to be
   * announced (new, or stored by an attempt that died before announcing it), else null.
   */
  upsert(
    items: ReadonlyArray<{ post: SocialPost; score: PostScore; now: number }>,
  ): Promise<Array<PostScore | null>>;
  /** Marks posts announced (their score is on `hx.sentiment`). */
  announced(keys: ReadonlyArray<{ channel: string; postId: string }>): Promise<void>;
  get(channel: string, postId: string): Promise<StoredPost | null>;
  /** A brand's posts, newest first. */
  list(query: PostQuery): Promise<StoredPost[]>;
  close(): Promise<void>;
}

export interface PostRow {
  post: string;
  compound: number;
  label: string;
  reason: string | null;
  model_version: string;
  announced: boolean | number;
  received_at: string | number;
  updated_at: string | number;
}

export const POST_COLUMNS =
  'post, compound, label, reason, model_version, announced, received_at, updated_at';

export function scoreOf(row: Pick<PostRow, 'compound' | 'label' | 'reason' | 'model_version'>): PostScore {
  return {
    compound: Number(row.compound),
    label: row.label as PostScore['label'],
    ...(row.reason === null ? {} : { reason: row.reason }),
    modelVersion: row.model_version,
  };
}

export function fromRow(row: PostRow): StoredPost {
  return {
    post: JSON.parse(row.post) as SocialPost,
    score: scoreOf(row),
    announced: Boolean(row.announced),
    receivedAt: Number(row.received_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The insert's values, in the column order both engines use. */
export function rowValues(post: SocialPost, score: PostScore, now: number): unknown[] {
  return [
    post.channel,
    post.postId,
    post.brand,
    post.author.id,
    post.createdAt,
    post.engagement.likes,
    post.engagement.shares,
    post.engagement.replies,
    score.compound,
    score.label,
    score.reason ?? null,
    score.modelVersion,
    JSON.stringify(post),
    now,
    now,
  ];
}

export const INSERT_COLUMNS =
  'channel, post_id, brand, author_id, created_at, likes, shares, replies, compound, label, reason, model_version, post, received_at, updated_at';

/** The records database (PGlite or PostgreSQL) as the message DB. */
export class RecordsPostStore implements PostStore {
  constructor(readonly db: Records) {}

  async upsert(
    items: ReadonlyArray<{ post: SocialPost; score: PostScore; now: number }>,
  ): Promise<Array<PostScore | null>> {
    if (items.length === 0) return [];
    const params: unknown[] = [];
    const tuples = items.map(({ post, score, now }) => {
      const values = rowValues(post, score, now);
      const base = params.length;
      params.push(...values);
      return `(${values.map((_, i) => `$${base + i + 1}`).join(', ')})`;
    });
    // One statement for the batch; `xmax = 0` tells a fresh row from an updated one. The stored
    // post keeps its text and score; engagement only grows (a replayed older count cannot shrink it).
    const rows = await this.db.query<
      { channel: string; post_id: string; pending: boolean } & Pick<
        PostRow,
        'compound' | 'label' | 'reason' | 'model_version'
      >
    >(
      `INSERT INTO social_posts (${INSERT_COLUMNS}) VALUES ${tuples.join(', ')}
       ON CONFLICT (channel, post_id) DO UPDATE SET
         likes = GREATEST(social_posts.likes, EXCLUDED.likes),
         shares = GREATEST(social_posts.shares, EXCLUDED.shares),
         replies = GREATEST(social_posts.replies, EXCLUDED.replies),
         post = CASE WHEN EXCLUDED.likes + EXCLUDED.shares + EXCLUDED.replies >
                          social_posts.likes + social_posts.shares + social_posts.replies
                     THEN EXCLUDED.post ELSE social_posts.post END,
         updated_at = EXCLUDED.updated_at
       RETURNING channel, post_id, NOT announced AS pending, compound, label, reason, model_version`,
      params,
    );
    const pending = new Map(
      rows.map((r) => [`${r.channel}\u0000${r.post_id}`, r.pending ? scoreOf(r) : null]),
    );
    return items.map(({ post }) => pending.get(`${post.channel}\u0000${post.postId}`) ?? null);
  }

  async announced(keys: ReadonlyArray<{ channel: string; postId: string }>): Promise<void> {
    if (keys.length === 0) return;
    await this.db.query(
      `UPDATE social_posts SET announced = true
       WHERE (channel, post_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [keys.map((k) => k.channel), keys.map((k) => k.postId)],
    );
  }

  async get(channel: string, postId: string): Promise<StoredPost | null> {
    const [row] = await this.db.query<PostRow>(
      `SELECT ${POST_COLUMNS} FROM social_posts WHERE channel = $1 AND post_id = $2`,
      [channel, postId],
    );
    return row === undefined ? null : fromRow(row);
  }

  async list(q: PostQuery): Promise<StoredPost[]> {
    const rows = await this.db.query<PostRow>(
      `SELECT ${POST_COLUMNS} FROM social_posts
       WHERE brand = $1 AND ($2::text IS NULL OR label = $2) AND created_at < $3
       ORDER BY created_at DESC, channel, post_id LIMIT $4`,
      [q.brand, q.label ?? null, q.before ?? Number.MAX_SAFE_INTEGER, q.limit],
    );
    return rows.map(fromRow);
  }

  async close(): Promise<void> {}
}
