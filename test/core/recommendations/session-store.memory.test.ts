import { MemorySessionStore, type SessionClick, type StoredList } from '@hexcast/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sessionStoreContract } from '../../contracts/session-store.contract.js';

sessionStoreContract('memory', async (options) => ({
  impl: new MemorySessionStore(options),
  cleanup: async () => undefined,
}));

/** What the store must answer, kept the plain way: an object per session, in last-click order. */
class ReferenceStore {
  readonly sessions = new Map<
    string,
    { clicks: SessionClick[]; list: StoredList | null; expiresAt: number }
  >();
  constructor(
    readonly ttlMs: number,
    readonly maxClicks: number,
    readonly now: () => number,
  ) {}
  live(id: string) {
    const s = this.sessions.get(id);
    if (s !== undefined && s.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }
  append(id: string, click: SessionClick): SessionClick[] | null {
    const s = this.live(id) ?? { clicks: [], list: null, expiresAt: 0 };
    if (s.clicks.some((c) => c.id === click.id)) return null;
    s.clicks = [...s.clicks, click].slice(-this.maxClicks);
    s.expiresAt = this.now() + this.ttlMs;
    this.sessions.delete(id);
    this.sessions.set(id, s);
    return [...s.clicks];
  }
  putList(list: StoredList): void {
    const s = this.live(list.sessionId);
    if (s !== undefined) s.list = structuredClone(list);
  }
  sweep(): number {
    let dropped = 0;
    for (const [id, s] of this.sessions) {
      if (s.expiresAt > this.now()) break;
      this.sessions.delete(id);
      dropped++;
    }
    return dropped;
  }
}

// Ids as the pipeline makes them (a UUID, a SHA-1 in base64url), short ones, ones past the
// store's 47 bytes, and ones whose UTF-8 is longer than their characters.
const ids = [
  '0190f5e2-7a3c-7def-8a12-3456789abcde',
  'q6qX1m0pHcLq4yW1v5w3Z8bK2nA',
  'c1',
  'c2',
  'x'.repeat(47),
  'x'.repeat(48),
  `long-${'é'.repeat(30)}`,
  'ü'.repeat(23),
  'ü'.repeat(24),
];
const list = (sessionId: string, length: number, seed: number): StoredList => ({
  sessionId,
  deviceId: `d-${sessionId}-${seed % 2}`, // lists of one session may name other devices: each is kept as put
  items: Array.from({ length }, (_, i) => ({
    productId: `p${(seed + i) % 7}`,
    score: (seed + 1) / (i + 3),
    source: (['session', 'product', 'popular'] as const)[(seed + i) % 3]!,
    ...((seed + i) % 2 === 0 ? { category: `cat-${i % 4}` } : {}),
    ...((seed + i) % 5 === 1 ? { nearby: true as const } : {}),
  })),
  clickId: ids[seed % ids.length]!,
  productId: `p${seed % 7}`,
  clickedAt: 1_796_000_000_000 + seed,
  computedAt: 1_796_000_000_005 + seed,
  modelVersion: `recs-${seed % 2}`,
});

const long = (id: string) => Buffer.byteLength(id) > 47;

describe('MemorySessionStore', () => {
  it('renews a session on each click, and its sweep drops the expired oldest first without touching the live', async () => {
    let now = 0;
    const s = new MemorySessionStore({ ttlMs: 100, maxClicks: 5, now: () => now });
    await s.append('old', { id: 'c1', productId: 'a', action: 'view', at: 0 });
    now = 60;
    await s.append('busy', { id: 'c1', productId: 'a', action: 'view', at: 60 });
    now = 90;
    await s.append('old', { id: 'c2', productId: 'b', action: 'view', at: 90 }); // renewed until 190
    now = 170; // busy's 160 passed; old lives on
    expect(s.sweep()).toBe(1);
    expect((await s.clicks('old')).length).toBe(2);
    expect(await s.clicks('busy')).toEqual([]);
    now = 190;
    expect(s.sweep()).toBe(1);
    expect(await s.count()).toBe(0);
  });

  it('answers as an object per session would, for random clicks, lists, time passing and sweeps', async () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('append' as const),
        session: fc.integer({ min: 0, max: 5 }),
        id: fc.constantFrom(...ids),
        product: fc.integer({ min: 0, max: 6 }),
        action: fc.constantFrom('view', 'click', 'cart', 'buy'),
      }),
      fc.record({
        kind: fc.constant('list' as const),
        session: fc.integer({ min: 0, max: 5 }),
        // Past the 20 items a slot holds at first: the lists are laid out again.
        length: fc.integer({ min: 0, max: 45 }),
        seed: fc.integer({ min: 0, max: 50 }),
      }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ kind: fc.constant('sweep' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 80, size: 'max' }), async (ops) => {
        let now = 1000;
        const options = { ttlMs: 100, maxClicks: 3, now: () => now };
        const store = new MemorySessionStore(options);
        const reference = new ReferenceStore(options.ttlMs, options.maxClicks, options.now);
        for (const [i, o] of ops.entries()) {
          if (o.kind === 'append') {
            const click = { id: o.id, productId: `p${o.product}`, action: o.action, at: now + i };
            expect(await store.append(`s${o.session}`, click)).toEqual(
              reference.append(`s${o.session}`, click),
            );
          } else if (o.kind === 'list') {
            const l = list(`s${o.session}`, o.length, o.seed);
            await store.putList(l);
            reference.putList(l);
          } else if (o.kind === 'wait') now += o.ms;
          else expect(store.sweep()).toBe(reference.sweep());
          for (let s = 0; s < 6; s++) {
            expect(await store.list(`s${s}`)).toEqual(reference.live(`s${s}`)?.list ?? null);
            expect(await store.clicks(`s${s}`)).toEqual(reference.live(`s${s}`)?.clicks ?? []);
          }
          // Read, every expired session is gone on both sides. Ids past a cell's 47 bytes are kept
          // aside: only those of live clicks and lists may stay.
          expect(store.longIds).toBe(
            [...reference.sessions.values()].reduce(
              (n, s) =>
                n +
                s.clicks.filter((c) => long(c.id)).length +
                (s.list !== null && long(s.list.clickId) ? 1 : 0),
              0,
            ),
          );
        }
        reference.sweep();
        expect(await store.count()).toBe(reference.sessions.size);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps thousands of sessions apart over several pages of columns, and reuses the slots of expired ones', async () => {
    let now = 0;
    const s = new MemorySessionStore({ ttlMs: 1000, maxClicks: 4, now: () => now });
    const click = (session: number, k: number): SessionClick => ({
      id: `${session}-${k}`,
      productId: `p${(session * 7 + k) % 500}`,
      action: 'view',
      at: session * 10 + k,
    });
    const fill = async (from: number, to: number) => {
      for (let session = from; session < to; session++) {
        for (let k = 0; k < 1 + (session % 6); k++) await s.append(`s${session}`, click(session, k));
        await s.putList(list(`s${session}`, session % 25, session));
      }
    };
    const check = async (from: number, to: number) => {
      for (let session = from; session < to; session++) {
        const n = 1 + (session % 6);
        expect(await s.clicks(`s${session}`)).toEqual(
          Array.from({ length: Math.min(n, 4) }, (_, k) => click(session, n - Math.min(n, 4) + k)),
        );
        expect(await s.list(`s${session}`)).toEqual(list(`s${session}`, session % 25, session));
      }
    };
    await fill(0, 9000); // three pages of 4,096 slots, the lists laid out again for 21 items and more
    await check(0, 9000);
    now = 500;
    for (let session = 0; session < 9000; session += 2) await s.append(`s${session}`, click(session, 9));
    now = 1200; // the odd sessions' time passed; the even ones clicked at 500
    expect(s.sweep()).toBe(4500);
    const bytes = s.bytes;
    expect(bytes).toBeGreaterThan(0);
    await fill(9000, 13_500); // into the freed slots: no page added
    expect(s.bytes).toBe(bytes);
    expect(await s.count()).toBe(9000);
    await check(9000, 13_500);
    for (let session = 1; session < 9000; session += 2) expect(await s.clicks(`s${session}`)).toEqual([]);
    expect((await s.clicks('s2')).at(-1)).toEqual(click(2, 9));
    await s.close();
    expect(await s.count()).toBe(0);
    expect(s.bytes).toBe(0);
    await fill(0, 10); // usable after close, from empty
    await check(0, 10);
  });
});
