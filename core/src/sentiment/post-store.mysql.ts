import { createHash } from 'node:crypto';
import mysql, { type Pool } from 'mysql2/promise';
import { HexcastError } from '../errors/index.js';
import type { SocialPost } from './post.js';
import {
  fromRow,
  INSERT_COLUMNS,
  POST_COLUMNS,
  type PostQuery,
  type PostRow,
  type PostScore,
  type PostStore,
  rowValues,
  type StoredPost,
  scoreOf,
} from './post-store.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS social_posts (
    channel VARCHAR(32) NOT NULL,
    post_id VARCHAR(128) NOT NULL,
    brand VARCHAR(64) NOT NULL,
    author_id VARCHAR(128) NOT NULL,
    created_at BIGINT NOT NULL,
    likes INT NOT NULL,
    shares INT NOT NULL,
    replies INT NOT NULL,
    compound DOUBLE NOT NULL,
    label VARCHAR(16) NOT NULL,
    reason VARCHAR(32) NULL,
    model_version VARCHAR(128) NOT NULL,
    post MEDIUMTEXT NOT NULL,
    announced BOOLEAN NOT NULL DEFAULT FALSE,
    received_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (channel, post_id),
    KEY social_posts_brand (brand, created_at)
  ) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`;

/** The shard of a post: the first 4 bytes of SHA-1(channel NUL post id), modulo the shard count. */
export function shardOf(channel: string, postId: string, shards: number): number {
  return createHash('sha1').update(`${channel}\u0000${postId}`).digest().readUInt32BE(0) % shards;
}

/**
 * The message DB on MySQL/MariaDB, sharded: `HX_POSTS_DB_URLS` lists one database per shard, and
 * a post lives in the shard of a hash of (channel, post id). Lookups go to one shard; a brand's
 * list asks every shard and merges.
 */
export class MysqlPostStore implements PostStore {
  readonly #pools: Pool[];

  private constructor(pools: Pool[]) {
    this.#pools = pools;
  }

  static async open(urls: readonly string[]): Promise<MysqlPostStore> {
    if (urls.length === 0 || urls.some((u) => !/^mysql:\/\//.test(u)))
      throw new HexcastError(
        'HX_POSTS_DB_URL_INVALID',
        'HX_POSTS_DB_URLS takes mysql:// URLs, one per shard',
      );
    const pools = urls.map((uri) => mysql.createPool({ uri, connectionLimit: 4, supportBigNumbers: true }));
    const store = new MysqlPostStore(pools);
    try {
      await Promise.all(pools.map((p) => p.query(SCHEMA)));
    } catch (cause) {
      await store.close();
      throw new HexcastError('HX_RECORDS_UNAVAILABLE', `posts database: ${(cause as Error).message}`, {
        cause,
      });
    }
    return store;
  }

  get shards(): number {
    return this.#pools.length;
  }

  #pool(channel: string, postId: string): Pool {
    return this.#pools[shardOf(channel, postId, this.#pools.length)]!;
  }

  async upsert(
    items: ReadonlyArray<{ post: SocialPost; score: PostScore; now: number }>,
  ): Promise<Array<PostScore | null>> {
    return Promise.all(
      items.map(async ({ post, score, now }) => {
        const pool = this.#pool(post.channel, post.postId);
        const values = rowValues(post, score, now) as Array<string | number | null>;
        await pool.execute(
          `INSERT INTO social_posts (${INSERT_COLUMNS}) VALUES (${values.map(() => '?').join(', ')})
           ON DUPLICATE KEY UPDATE
             post = IF(VALUES(likes) + VALUES(shares) + VALUES(replies) > likes + shares + replies, VALUES(post), post),
             likes = GREATEST(likes, VALUES(likes)),
             shares = GREATEST(shares, VALUES(shares)),
             replies = GREATEST(replies, VALUES(replies)),
             updated_at = VALUES(updated_at)`,
          values,
        );
        const [rows] = await pool.execute(
          'SELECT announced, compound, label, reason, model_version FROM social_posts WHERE channel = ? AND post_id = ?',
          [post.channel, post.postId],
        );
        const row = (rows as Array<PostRow>)[0];
        return row === undefined || row.announced ? null : scoreOf(row);
      }),
    );
  }

  async announced(keys: ReadonlyArray<{ channel: string; postId: string }>): Promise<void> {
    await Promise.all(
      keys.map((k) =>
        this.#pool(k.channel, k.postId).execute(
          'UPDATE social_posts SET announced = TRUE WHERE channel = ? AND post_id = ?',
          [k.channel, k.postId],
        ),
      ),
    );
  }

  async get(channel: string, postId: string): Promise<StoredPost | null> {
    const [rows] = await this.#pool(channel, postId).execute(
      `SELECT ${POST_COLUMNS} FROM social_posts WHERE channel = ? AND post_id = ?`,
      [channel, postId],
    );
    const row = (rows as PostRow[])[0];
    return row === undefined ? null : fromRow(row);
  }

  async list(q: PostQuery): Promise<StoredPost[]> {
    const perShard = await Promise.all(
      this.#pools.map(async (pool) => {
        const [rows] = await pool.query(
          `SELECT ${POST_COLUMNS}, created_at, channel, post_id FROM social_posts
           WHERE brand = ? AND (? IS NULL OR label = ?) AND created_at < ?
           ORDER BY created_at DESC, channel, post_id LIMIT ?`,
          [q.brand, q.label ?? null, q.label ?? null, q.before ?? Number.MAX_SAFE_INTEGER, q.limit],
        );
        return (rows as Array<PostRow & { created_at: number; channel: string; post_id: string }>).map(
          (r) => ({
            sort: [Number(r.created_at), r.channel, r.post_id] as const,
            post: fromRow(r),
          }),
        );
      }),
    );
    return perShard
      .flat()
      .sort(
        (a, b) =>
          b.sort[0] - a.sort[0] ||
          (a.sort[1] < b.sort[1] ? -1 : a.sort[1] > b.sort[1] ? 1 : a.sort[2] < b.sort[2] ? -1 : 1),
      )
      .slice(0, q.limit)
      .map((x) => x.post);
  }

  async close(): Promise<void> {
    await Promise.all(this.#pools.map((p) => p.end()));
  }
}
