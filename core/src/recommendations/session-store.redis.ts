import type { Redis } from 'ioredis';
import { RedisScript } from '../redis/index.js';
import type { SessionClick, SessionStore, SessionStoreOptions, StoredList } from './session-store.js';

const APPEND = new RedisScript(new URL('./lua/append-click.lua', import.meta.url), 2);
const PUT_LIST = new RedisScript(new URL('./lua/put-list.lua', import.meta.url), 2);

/**
 * Sessions in Redis: `<prefix>:{<session>}:clicks` (a list of click JSON, last `maxClicks`) and
 * `<prefix>:{<session>}:list`, both expiring `ttlMs` after the last click. One hash tag per
 * session, so a cluster keeps a session's keys on one slot.
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis;
  readonly #o: SessionStoreOptions;
  readonly prefix: string;

  constructor(redis: Redis, options: SessionStoreOptions, prefix = 'hx:recs') {
    this.#redis = redis;
    this.#o = options;
    this.prefix = prefix;
  }

  #key(sessionId: string, part: 'clicks' | 'list'): string {
    return `${this.prefix}:{${sessionId}}:${part}`;
  }

  async append(sessionId: string, click: SessionClick): Promise<SessionClick[] | null> {
    // `id` first: the script finds a redelivery by the serialised `"id":…,` prefix.
    const json = JSON.stringify({
      id: click.id,
      productId: click.productId,
      action: click.action,
      at: click.at,
    });
    const out = (await APPEND.run(
      this.#redis,
      [this.#key(sessionId, 'clicks'), this.#key(sessionId, 'list')],
      [json, click.id, this.#o.maxClicks, this.#o.ttlMs],
    )) as Array<number | string>;
    if (out[0] === 0) return null;
    return out.slice(1).map((c) => JSON.parse(c as string) as SessionClick);
  }

  async clicks(sessionId: string): Promise<SessionClick[]> {
    const raw = await this.#redis.lrange(this.#key(sessionId, 'clicks'), 0, -1);
    return raw.map((c) => JSON.parse(c) as SessionClick);
  }

  async putList(list: StoredList): Promise<void> {
    // One round trip, atomic: the list lives as long as the session's clicks.
    await PUT_LIST.run(
      this.#redis,
      [this.#key(list.sessionId, 'clicks'), this.#key(list.sessionId, 'list')],
      [JSON.stringify(list)],
    );
  }

  async list(sessionId: string): Promise<StoredList | null> {
    const raw = await this.#redis.get(this.#key(sessionId, 'list'));
    return raw === null ? null : (JSON.parse(raw) as StoredList);
  }

  async count(): Promise<number> {
    let n = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(
        cursor,
        'MATCH',
        `${this.prefix}:{*}:clicks`,
        'COUNT',
        1000,
      );
      cursor = next;
      n += keys.length;
    } while (cursor !== '0');
    return n;
  }

  async close(): Promise<void> {}
}
