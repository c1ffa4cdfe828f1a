import type { EligibilityStore, IssueRequest, OfferLimits } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

export interface EligibilityFixture {
  impl: EligibilityStore;
  cleanup(): Promise<void>;
}

const LIMITS: OfferLimits = { budget: 3, capPerDevice: 2, capPerDevicePerDay: 5, couponGapMs: 60_000 };
let n = 0;
interface One {
  decisionId: string;
  campaignId: string;
  deviceId: string;
  day: string;
  now: number;
  expiresAt: number;
  limits: OfferLimits;
}
/** A decision with one candidate campaign. */
const request = (over: Partial<One> = {}): IssueRequest => {
  const r: One = {
    decisionId: `d-${++n}`,
    campaignId: 'c1',
    deviceId: 'dev-1',
    day: '2026-11-26',
    now: 1_000_000,
    expiresAt: 1_000_000 + 600_000,
    limits: LIMITS,
    ...over,
  };
  return {
    decisionId: r.decisionId,
    deviceId: r.deviceId,
    day: r.day,
    now: r.now,
    candidates: [{ campaignId: r.campaignId, expiresAt: r.expiresAt, limits: r.limits }],
  };
};
const ok = (campaignId = 'c1') => ({ issued: true, campaignId, refused: [] });
const no = (reason: string, campaignId = 'c1') => ({ issued: false, refused: [[campaignId, reason]] });

/** Every EligibilityStore passes this. Time is passed in. */
export function eligibilityContract(name: string, factory: () => Promise<EligibilityFixture>): void {
  describe(`EligibilityStore contract: ${name}`, () => {
    it('issues, then refuses while the device holds an unexpired coupon, then on cooldown, then at the device cap', async () => {
      const f = await factory();
      const s = f.impl;
      expect(await s.tryIssue(request({ now: 0, expiresAt: 10_000 }))).toEqual(ok());
      expect(await s.tryIssue(request({ now: 5_000, expiresAt: 15_000 }))).toEqual(no('holding'));
      expect(await s.tryIssue(request({ now: 20_000, expiresAt: 30_000 }))).toEqual(no('cooldown'));
      expect(await s.tryIssue(request({ now: 60_000, expiresAt: 70_000 }))).toEqual(ok());
      expect(await s.tryIssue(request({ now: 200_000, expiresAt: 210_000 }))).toEqual(no('device-cap'));
      expect(await s.spent('c1')).toBe(2);
      await f.cleanup();
    });

    it('stops at the budget and at the daily cap across campaigns', async () => {
      const f = await factory();
      const s = f.impl;
      for (const d of ['a', 'b', 'c']) expect((await s.tryIssue(request({ deviceId: d }))).issued).toBe(true);
      expect(await s.tryIssue(request({ deviceId: 'd' }))).toEqual(no('budget-exhausted'));
      const daily = { ...LIMITS, budget: 100, capPerDevicePerDay: 2 };
      expect((await s.tryIssue(request({ campaignId: 'x1', deviceId: 'z', limits: daily }))).issued).toBe(
        true,
      );
      expect((await s.tryIssue(request({ campaignId: 'x2', deviceId: 'z', limits: daily }))).issued).toBe(
        true,
      );
      expect(await s.tryIssue(request({ campaignId: 'x3', deviceId: 'z', limits: daily }))).toEqual(
        no('daily-cap', 'x3'),
      );
      // A new local day resets the daily cap.
      expect(
        (await s.tryIssue(request({ campaignId: 'x3', deviceId: 'z', limits: daily, day: '2026-11-27' })))
          .issued,
      ).toBe(true);
      await f.cleanup();
    });

    it('answers a replayed decision the same way and spends nothing more', async () => {
      const f = await factory();
      const s = f.impl;
      const first = request({ deviceId: 'r' });
      expect(await s.tryIssue(first)).toEqual(ok());
      expect(await s.tryIssue(first)).toEqual(ok());
      expect(await s.tryIssue({ ...first, now: first.now + 1 })).toEqual(ok());
      expect(await s.spent('c1')).toBe(1);
      await f.cleanup();
    });

    it('issues the first allowed candidate in rank order, only that one, and a replay keeps the answer even if the ranking changed', async () => {
      const f = await factory();
      const s = f.impl;
      const base = { deviceId: 'rank', day: '2026-11-26', now: 1_000 };
      const cand = (campaignId: string, budget = 10) => ({
        campaignId,
        expiresAt: 50_000,
        limits: { ...LIMITS, budget },
      });
      // 'spent-out' has no budget: refused; 'second' is issued; 'third' is never touched.
      const first = await s.tryIssue({
        ...base,
        decisionId: 'rank-1',
        candidates: [cand('spent-out', 0), cand('second'), cand('third')],
      });
      expect(first).toEqual({
        issued: true,
        campaignId: 'second',
        refused: [['spent-out', 'budget-exhausted']],
      });
      expect(await s.spent('second')).toBe(1);
      expect(await s.spent('third')).toBe(0);
      // Replayed with another order: the same answer, nothing spent.
      expect(
        await s.tryIssue({ ...base, decisionId: 'rank-1', candidates: [cand('third'), cand('second')] }),
      ).toEqual(first);
      expect(await s.spent('third')).toBe(0);
      // Nothing allowed: every refusal, in order; no candidates: refused with none.
      expect(
        await s.tryIssue({
          ...base,
          now: 2_000,
          decisionId: 'rank-2',
          candidates: [cand('spent-out', 0), cand('second')],
        }),
      ).toEqual({
        issued: false,
        refused: [
          ['spent-out', 'budget-exhausted'],
          ['second', 'holding'],
        ],
      });
      expect(await s.tryIssue({ ...base, decisionId: 'rank-3', candidates: [] })).toEqual({
        issued: false,
        refused: [],
      });
      await f.cleanup();
    });
  });
}
