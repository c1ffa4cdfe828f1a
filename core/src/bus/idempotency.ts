import type { Redis } from 'ioredis';
import type { Clock } from '../envelope/index.js';

/**
 * Claims an envelope id for a while, so a side effect runs once even when the record is
 * consumed twice (at-least-once delivery + idempotent effects = effectively once).
 */
export interface IdempotencyStore {
  /** True the first time an id is claimed within its TTL; false for a repeat. */
  claim(id: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back (the effect failed and should be retried). */
  release(id: string): Promise<void>;
}

/** In-process claims with expiry; bounded, evicting the oldest claims first. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #claims = new Map<string, number>();

  constructor(
    readonly clock: Clock = Date.now,
    readonly maxEntries = 1_000_000,
  ) {}

  async claim(id: string, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    const until = this.#claims.get(id);
    if (until !== undefined && until > now) return false;
    this.#claims.delete(id);
    this.#claims.set(id, now + ttlMs);
    this.#evict(now);
    return true;
  }

  async release(id: string): Promise<void> {
    this.#claims.delete(id);
  }

  get size(): number {
    return this.#claims.size;
  }

  #evict(now: number): void {
    // Map keeps insertion order: expired or surplus claims sit at the front.
    for (const [id, until] of this.#claims) {
      if (this.#claims.size <= this.maxEntries && until > now) break;
      this.#claims.delete(id);
    }
  }
}

/** Claims as `SET hx:idem:{id} 1 NX PX ttl` — one round trip, expiring on its own. */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    readonly redis: Redis,
    readonly prefix = 'hx:idem:',
  ) {}

  async claim(id: string, ttlMs: number): Promise<boolean> {
    return (
      (await this.redis.set(`${this.prefix}${id}`, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK'
    );
  }

  async release(id: string): Promise<void> {
    await this.redis.del(`${this.prefix}${id}`);
  }
}
