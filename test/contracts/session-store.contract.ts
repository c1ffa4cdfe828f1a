import type { SessionClick, SessionStore, StoredList } from '@hexcast/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';

export interface SessionStoreFixture {
  impl: SessionStore;
  cleanup(): Promise<void>;
}

/** Makes a store with this time to live and clicks kept per session. */
export type SessionStoreFactory = (options: {
  ttlMs: number;
  maxClicks: number;
}) => Promise<SessionStoreFixture>;

const click = (
  id: string,
  productId: string,
  at: number,
  action: SessionClick['action'] = 'view',
): SessionClick => ({
  id,
  productId,
  action,
  at,
});
const list = (sessionId: string, items: string[]): StoredList => ({
  sessionId,
  deviceId: 'd1',
  // Every source, a category on some items only, and one item marked nearby: a store gives back
  // each item as it was put.
  items: items.map((productId, i) => ({
    productId,
    score: 1 / (i + 1),
    source: (['session', 'product', 'popular'] as const)[i % 3]!,
    ...(i % 2 === 0 ? { category: `cat-${i}` } : {}),
    ...(i === 1 ? { nearby: true as const } : {}),
  })),
  clickId: 'c1',
  productId: items[0] ?? 'p',
  clickedAt: 1,
  computedAt: 2,
  modelVersion: 'm1',
});

/** Every SessionStore passes this. */
export function sessionStoreContract(name: string, factory: SessionStoreFactory): void {
  describe(`SessionStore contract: ${name}`, () => {
    it("keeps a session's last clicks oldest first; a redelivered click is answered null and not kept twice", async () => {
      const f = await factory({ ttlMs: 60_000, maxClicks: 3 });
      const s = f.impl;
      expect(await s.append('s1', click('c1', 'a', 1))).toEqual([click('c1', 'a', 1)]);
      expect(await s.append('s1', click('c2', 'b', 2, 'buy'))).toEqual([
        click('c1', 'a', 1),
        click('c2', 'b', 2, 'buy'),
      ]);
      expect(await s.append('s1', click('c2', 'b', 2, 'buy'))).toBeNull();
      await s.append('s1', click('c3', 'c', 3));
      expect((await s.append('s1', click('c4', 'd', 4)))?.map((c) => c.id)).toEqual(['c2', 'c3', 'c4']);
      expect((await s.clicks('s1')).map((c) => c.id)).toEqual(['c2', 'c3', 'c4']);
      expect(await s.clicks('other')).toEqual([]);
      expect(await s.count()).toBe(1);
      await f.cleanup();
    });

    it("stores a live session's list and nothing for a session it does not hold", async () => {
      const f = await factory({ ttlMs: 60_000, maxClicks: 5 });
      const s = f.impl;
      await s.putList(list('ghost', ['x'])); // no clicks: no session, so no list
      expect(await s.list('ghost')).toBeNull();
      await s.append('s1', click('c1', 'a', 1));
      await s.putList(list('s1', ['b', 'c', 'e']));
      expect(await s.list('s1')).toEqual(list('s1', ['b', 'c', 'e']));
      await s.putList(list('s1', ['d']));
      expect((await s.list('s1'))?.items.map((i) => i.productId)).toEqual(['d']);
      await f.cleanup();
    });

    it("forgets a session's clicks and list once its time to live passes without a click", async () => {
      const f = await factory({ ttlMs: 300, maxClicks: 5 });
      const s = f.impl;
      await s.append('brief', click('c1', 'a', 1));
      await s.putList(list('brief', ['b']));
      expect(await s.list('brief')).not.toBeNull();
      await waitFor(async () => (await s.clicks('brief')).length === 0 && (await s.list('brief')) === null, {
        timeoutMs: 5000,
        message: 'the session expired',
      });
      expect(await s.count()).toBe(0);
      // A click after expiry starts the session afresh.
      expect(await s.append('brief', click('c1', 'a', 1))).toEqual([click('c1', 'a', 1)]);
      await f.cleanup();
    });
  });
}

/** Two stores given the same random clicks answer alike. */
export function sessionStoreEquivalence(a: SessionStoreFactory, b: SessionStoreFactory): void {
  it('answers like the memory store for random clicks over a few sessions, redeliveries included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            session: fc.constantFrom('s1', 's2', 's3'),
            id: fc.integer({ min: 0, max: 30 }),
            product: fc.constantFrom('a', 'b', 'c', 'd'),
          }),
          { minLength: 1, maxLength: 40, size: 'max' },
        ),
        async (ops) => {
          const [x, y] = [await a({ ttlMs: 60_000, maxClicks: 4 }), await b({ ttlMs: 60_000, maxClicks: 4 })];
          try {
            for (const [i, op] of ops.entries()) {
              const c = click(`${op.session}-${op.id}`, op.product, i);
              expect(await y.impl.append(op.session, c)).toEqual(await x.impl.append(op.session, c));
            }
          } finally {
            await x.cleanup();
            await y.cleanup();
          }
        },
      ),
      { numRuns: 25 },
    );
  });
}
