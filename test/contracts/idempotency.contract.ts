import type { IdempotencyStore } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

export interface IdempotencyFixture {
  impl: IdempotencyStore;
  /** Moves the store's notion of time forward (fake clock or a real wait). */
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

/** Every IdempotencyStore passes this. */
export function idempotencyContract(name: string, factory: () => Promise<IdempotencyFixture>): void {
  describe(`IdempotencyStore contract: ${name}`, () => {
    it('claims an id once within its TTL', async () => {
      const f = await factory();
      expect(await f.impl.claim('env-1', 10_000)).toBe(true);
      expect(await f.impl.claim('env-1', 10_000)).toBe(false);
      expect(await f.impl.claim('env-2', 10_000)).toBe(true);
      await f.cleanup();
    });

    it('lets an id be claimed again after its TTL', async () => {
      const f = await factory();
      expect(await f.impl.claim('env-ttl', 50)).toBe(true);
      await f.advance(120);
      expect(await f.impl.claim('env-ttl', 50)).toBe(true);
      await f.cleanup();
    });

    it('releases a claim so a failed effect can be retried', async () => {
      const f = await factory();
      expect(await f.impl.claim('env-r', 10_000)).toBe(true);
      await f.impl.release('env-r');
      expect(await f.impl.claim('env-r', 10_000)).toBe(true);
      await f.cleanup();
    });

    it('gives exactly one winner among concurrent claims', async () => {
      const f = await factory();
      const results = await Promise.all(Array.from({ length: 20 }, () => f.impl.claim('env-race', 10_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      await f.cleanup();
    });
  });
}
