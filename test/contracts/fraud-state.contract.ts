import type { EntityObservation, FraudStateStore } from '@hexcast/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

export interface FraudStateFixture {
  impl: FraudStateStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 2, 12);
const MIN = 60_000;
const HOUR = 3_600_000;

const obs = (
  kind: EntityObservation['kind'],
  id: string,
  paymentId: string,
  at: number,
  amount: number,
  extra: Partial<EntityObservation> = {},
) => ({ kind, id, paymentId, at, amount, ...extra }) as EntityObservation;

/** Every FraudStateStore passes this. */
export function fraudStateContract(name: string, factory: () => Promise<FraudStateFixture>): void {
  describe(`FraudStateStore contract: ${name}`, () => {
    it("answers each entity's history from just before the payment: 1 min / 1 h / 24 h counts and sums", async () => {
      const f = await factory();
      const s = f.impl;
      const first = await s.observe([obs('card', 'c1', 'p1', T0, 10)]);
      expect(first[0]).toEqual({
        count1m: 0,
        count1h: 0,
        count24h: 0,
        sum1h: 0,
        sum24h: 0,
        firstSeenAt: null,
        distinctAux: 0,
        auxSeen: false,
        amounts: { n: 0, sum: 0, sumSq: 0 },
        last: null,
      });
      await s.observe([obs('card', 'c1', 'p2', T0 + 30 * MIN, 20)]);
      await s.observe([obs('card', 'c1', 'p3', T0 + 2 * HOUR, 5)]);
      const [h] = await s.observe([obs('card', 'c1', 'p4', T0 + 2 * HOUR + 30_000, 1)]);
      expect(h).toMatchObject({ count1m: 1, count1h: 1, count24h: 3, firstSeenAt: T0 });
      // 90 s later: out of the minute, still within the hour.
      const [edge] = await s.observe([obs('card', 'c1', 'p4b', T0 + 2 * HOUR + 120_000, 1)]);
      expect(edge).toMatchObject({ count1m: 0, count1h: 2 });
      expect(h!.sum1h).toBeCloseTo(5);
      expect(h!.sum24h).toBeCloseTo(35);
      expect(h!.amounts.n).toBe(3);
      expect(h!.amounts.sum).toBeCloseTo(35);
      expect(h!.amounts.sumSq).toBeCloseTo(100 + 400 + 25);
      // A day later the window is empty but the card is not new.
      const [later] = await s.observe([obs('card', 'c1', 'p5', T0 + 27 * HOUR, 1)]);
      expect(later).toMatchObject({ count24h: 0, firstSeenAt: T0 });
      // Another card, another kind with the same id: separate.
      const [other] = await s.observe([obs('device', 'c1', 'p6', T0, 1)]);
      expect(other!.firstSeenAt).toBeNull();
      await f.cleanup();
    });

    it('counts distinct aux values (cards per device) and says whether this one was seen', async () => {
      const f = await factory();
      const s = f.impl;
      const seen: Array<[number, boolean]> = [];
      for (const [i, card] of ['a', 'b', 'a', 'c'].entries()) {
        const [h] = await s.observe([obs('device', 'd1', `p${i}`, T0 + i * MIN, 2, { aux: card })]);
        seen.push([h!.distinctAux, h!.auxSeen]);
      }
      expect(seen).toEqual([
        [1, false],
        [2, false],
        [2, true],
        [3, false],
      ]);
      await f.cleanup();
    });

    it('keeps the last position for impossible travel', async () => {
      const f = await factory();
      const s = f.impl;
      await s.observe([obs('customer', 'u1', 'p1', T0, 10, { position: { lat: 48.85, lng: 2.35 } })]);
      const [h] = await s.observe([
        obs('customer', 'u1', 'p2', T0 + HOUR, 10, { position: { lat: 40.4, lng: -3.7 } }),
      ]);
      expect(h!.last).toEqual({ lat: 48.85, lng: 2.35, at: T0 });
      const [h2] = await s.observe([obs('customer', 'u1', 'p3', T0 + 2 * HOUR, 10)]);
      expect(h2!.last).toEqual({ lat: 40.4, lng: -3.7, at: T0 + HOUR });
      await f.cleanup();
    });

    it('is idempotent per (entity, payment): a redelivered payment gets the same answer and counts once', async () => {
      const f = await factory();
      const s = f.impl;
      await s.observe([obs('ip', 'i1', 'p1', T0, 3, { aux: 'k1' })]);
      const once = await s.observe([obs('ip', 'i1', 'p2', T0 + MIN, 4, { aux: 'k2' })]);
      const again = await s.observe([obs('ip', 'i1', 'p2', T0 + MIN, 4, { aux: 'k2' })]);
      expect(again).toEqual(once);
      const [next] = await s.observe([obs('ip', 'i1', 'p3', T0 + 2 * MIN, 5, { aux: 'k3' })]);
      expect(next).toMatchObject({ count1h: 2, amounts: { n: 2 }, distinctAux: 3 });
      await f.cleanup();
    });

    it('is atomic per key: concurrent payments of one card each see a different count', async () => {
      const f = await factory();
      const s = f.impl;
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => s.observe([obs('card', 'hot', `p${i}`, T0 + i, 1)])),
      );
      const counts = answers.map((a) => a[0]!.count24h).sort((a, b) => a - b);
      expect(counts).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(answers.filter((a) => a[0]!.firstSeenAt === null)).toHaveLength(1);
      await f.cleanup();
    });

    it('keeps labels per merchant and the highest recent device risk', async () => {
      const f = await factory();
      const s = f.impl;
      expect(await s.labels('m1')).toEqual({ labelled: 0, frauds: 0 });
      await s.recordLabel('m1', true);
      await s.recordLabel('m1', false);
      expect(await s.labels('m1')).toEqual({ labelled: 2, frauds: 1 });
      expect(await s.deviceRisk('d1')).toBeNull();
      await s.raiseDeviceRisk('d1', 0.4, 60_000);
      await s.raiseDeviceRisk('d1', 0.9, 60_000);
      await s.raiseDeviceRisk('d1', 0.2, 60_000);
      expect(await s.deviceRisk('d1')).toBeCloseTo(0.9);
      await f.cleanup();
    });
  });
}

/** Random payment streams over a few entities: the two engines must answer alike, payment by payment. */
export function fraudStateEquivalence(
  a: () => Promise<FraudStateFixture>,
  b: () => Promise<FraudStateFixture>,
): void {
  it('answers exactly like the memory engine on random payment streams (fast-check)', async () => {
    const step = fc.record({
      kind: fc.constantFrom<EntityObservation['kind']>('card', 'device', 'customer'),
      id: fc.constantFrom('x', 'y'),
      dt: fc.oneof(fc.integer({ min: 0, max: 2 * MIN }), fc.integer({ min: 0, max: 2 * HOUR })),
      amount: fc.integer({ min: 1, max: 50_000 }).map((c) => c / 100),
      aux: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined }),
      position: fc.option(
        fc.record({ lat: fc.integer({ min: -80, max: 80 }), lng: fc.integer({ min: -170, max: 170 }) }),
        {
          nil: undefined,
        },
      ),
      replay: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25, size: 'max' }), async (steps) => {
        const [fa, fb] = [await a(), await b()];
        try {
          let at = T0;
          const sent: EntityObservation[] = [];
          for (const [i, st] of steps.entries()) {
            at += st.dt;
            const o =
              st.replay && sent.length > 0
                ? sent[sent.length - 1]!
                : obs(st.kind, st.id, `p${i}`, at, st.amount, {
                    ...(st.aux ? { aux: st.aux } : {}),
                    ...(st.position ? { position: st.position } : {}),
                  });
            sent.push(o);
            const [x] = await fa.impl.observe([o]);
            const [y] = await fb.impl.observe([o]);
            expect(y!.count1m).toBe(x!.count1m);
            expect(y!.count1h).toBe(x!.count1h);
            expect(y!.count24h).toBe(x!.count24h);
            expect(y!.sum24h).toBeCloseTo(x!.sum24h, 6);
            expect(y!.firstSeenAt).toBe(x!.firstSeenAt);
            expect([y!.distinctAux, y!.auxSeen]).toEqual([x!.distinctAux, x!.auxSeen]);
            expect(y!.amounts.n).toBe(x!.amounts.n);
            expect(y!.last).toEqual(x!.last);
          }
        } finally {
          await fa.cleanup();
          await fb.cleanup();
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
}
