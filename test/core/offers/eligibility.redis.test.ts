import { type IssueRequest, RedisEligibilityStore } from '@hexcast/core';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { eligibilityContract } from '../../contracts/eligibility.contract.js';
import { hasService, useRedis } from '../../helpers/services.js';

describe.skipIf(!hasService('redis'))('redis', () => {
  eligibilityContract('redis', async () => {
    const redis = await useRedis();
    return { impl: new RedisEligibilityStore(redis.client, redis.prefix), cleanup: () => redis.cleanup() };
  });

  it('two workers racing never overspend the budget nor exceed a device cap', async () => {
    const redis = await useRedis();
    // Two workers: two stores on two connections.
    const second = new Redis(redis.client.options);
    const workers = [
      new RedisEligibilityStore(redis.client, redis.prefix),
      new RedisEligibilityStore(second, redis.prefix),
    ];
    // 30 devices ask four campaigns in turn: 'tiny' has budget for 10 of them; one coupon per
    // device per campaign; three per device per day.
    const campaigns = ['big', 'other', 'tiny', 'extra'];
    const limitsOf = (campaign: string) => ({
      budget: campaign === 'tiny' ? 10 : 1000,
      capPerDevice: 1,
      capPerDevicePerDay: 3,
      couponGapMs: 0,
    });
    const requests: Array<IssueRequest & { campaignId: string }> = [];
    for (let i = 0; i < 400; i++) {
      const device = `dev-${i % 30}`;
      const campaign = campaigns[Math.floor(i / 30) % campaigns.length]!;
      requests.push({
        decisionId: `ev-${i}`,
        campaignId: campaign,
        deviceId: device,
        day: '2026-11-26',
        now: 1000 + i,
        // expires at once: holding never blocks, only the caps and budget do
        candidates: [{ campaignId: campaign, expiresAt: 1000 + i, limits: limitsOf(campaign) }],
      });
    }
    // Every request is sent by both workers (a replay across workers), interleaved.
    const results = await Promise.all(
      requests.flatMap((r, i) => [workers[i % 2]!.tryIssue(r), workers[(i + 1) % 2]!.tryIssue(r)]),
    );
    const issued = requests.filter((_, i) => results[2 * i]!.issued);
    // Both workers got the same answer for the same decision.
    for (let i = 0; i < requests.length; i++) expect(results[2 * i]).toEqual(results[2 * i + 1]);
    const byCampaign = (c: string) => issued.filter((r) => r.campaignId === c).length;
    expect(byCampaign('tiny')).toBe(10);
    for (const c of campaigns) expect(await workers[campaigns.indexOf(c) % 2]!.spent(c)).toBe(byCampaign(c));
    const perDeviceCampaign = new Map<string, number>();
    const perDeviceDay = new Map<string, number>();
    for (const r of issued) {
      const k = `${r.campaignId}|${r.deviceId}`;
      perDeviceCampaign.set(k, (perDeviceCampaign.get(k) ?? 0) + 1);
      perDeviceDay.set(r.deviceId, (perDeviceDay.get(r.deviceId) ?? 0) + 1);
    }
    expect(Math.max(...perDeviceCampaign.values())).toBe(1);
    expect(Math.max(...perDeviceDay.values())).toBe(3);
    // Every limit was actually reached under the race, not just respected.
    const reasons = new Set(results.flatMap((r) => (r.issued ? [] : r.refused.map(([, why]) => why))));
    expect([...reasons].sort()).toEqual(['budget-exhausted', 'daily-cap', 'device-cap']);
    second.disconnect();
    await redis.cleanup();
  });
});
