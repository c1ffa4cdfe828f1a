import type { EligibilityStore, IssueRequest, OfferLimits } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

export interface EligibilityFixture {
  impl: EligibilityStore;
  cleanup(): Promise<void>;
}

const LIMITS: OfferLimits = { budget: 3, capPerDevice: 2, capPerDevicePerDay: 5, cooldownMs: 60_000 };
let n = 0;
const request = (over: Partial<IssueRequest> = {}): IssueRequest => ({
  decisionId: `d-${++n}`,
  campaignId: 'c1',
  deviceId: 'dev-1',
  day: '2026-11-26',
  now: 1_000_000,
  expiresAt: 1_000_000 + 600_000,
  limits: LIMITS,
  ...over,
});

/** Every EligibilityStore passes this. Time is passed in. */
export function eligibilityContract(name: string, factory: () => Promise<EligibilityFixture>): void {
  describe(`EligibilityStore contract: ${name}`, () => {
    it('issues, then refuses while the device holds an unexpired coupon, then on cooldown, then at the device cap', async () => {
      const f = await factory();
      const s = f.impl;
      expect(await s.tryIssue(request({ now: 0, expiresAt: 10_000 }))).toEqual({ issued: true });
      expect(await s.tryIssue(request({ now: 5_000, expiresAt: 15_000 }))).toEqual({
        issued: false,
        reason: 'holding',
      });
      expect(await s.tryIssue(request({ now: 20_000, expiresAt: 30_000 }))).toEqual({
        issued: false,
        reason: 'cooldown',
      });
      expect(await s.tryIssue(request({ now: 60_000, expiresAt: 70_000 }))).toEqual({ issued: true });
      expect(await s.tryIssue(request({ now: 200_000, expiresAt: 210_000 }))).toEqual({
        issued: false,
        reason: 'device-cap',
      });
      expect(await s.spent('c1')).toBe(2);
      await f.cleanup();
    });

    it('stops at the budget and at the daily cap across campaigns', async () => {
      const f = await factory();
      const s = f.impl;
      for (const d of ['a', 'b', 'c']) expect((await s.tryIssue(request({ deviceId: d }))).issued).toBe(true);
      expect(await s.tryIssue(request({ deviceId: 'd' }))).toEqual({
        issued: false,
        reason: 'budget-exhausted',
      });
      const daily = { ...LIMITS, budget: 100, capPerDevicePerDay: 2 };
      expect((await s.tryIssue(request({ campaignId: 'x1', deviceId: 'z', limits: daily }))).issued).toBe(
        true,
      );
      expect((await s.tryIssue(request({ campaignId: 'x2', deviceId: 'z', limits: daily }))).issued).toBe(
        true,
      );
      expect(await s.tryIssue(request({ campaignId: 'x3', deviceId: 'z', limits: daily }))).toEqual({
        issued: false,
        reason: 'daily-cap',
      });
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
      expect(await s.tryIssue(first)).toEqual({ issued: true });
      expect(await s.tryIssue(first)).toEqual({ issued: true });
      expect(await s.tryIssue({ ...first, now: first.now + 1 })).toEqual({ issued: true });
      expect(await s.spent('c1')).toBe(1);
      await f.cleanup();
    });
  });
}
