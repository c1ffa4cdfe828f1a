import { DEFAULT_RETENTION, MemoryFraudState, RedisFraudState } from '@hexcast/core';
import { describe, expect, it } from 'vitest';
import { fraudStateContract, fraudStateEquivalence } from '../../contracts/fraud-state.contract.js';
import { hasService, useRedis } from '../../helpers/services.js';

describe.skipIf(!hasService('redis'))('redis', () => {
  const redisState = async () => {
    const redis = await useRedis();
    return { impl: new RedisFraudState(redis.client, redis.prefix), cleanup: () => redis.cleanup() };
  };
  fraudStateContract('redis', redisState);
  fraudStateEquivalence(
    async () => ({ impl: new MemoryFraudState(), cleanup: async () => undefined }),
    redisState,
  );

  it("keeps a payment's answer for the replay window, not the 24 h of the counting window", async () => {
    const redis = await useRedis();
    try {
      const state = new RedisFraudState(redis.client, redis.prefix);
      await state.observe([{ kind: 'card', id: 'c1', paymentId: 'p1', at: Date.now(), amount: 5 }]);
      const ttl = await redis.client.pttl(`${redis.prefix}:{card:c1}:p:p1`);
      expect(ttl).toBeGreaterThan(DEFAULT_RETENTION.replayMs - 60_000);
      expect(ttl).toBeLessThanOrEqual(DEFAULT_RETENTION.replayMs);
      // The counting window itself still spans a day.
      expect(await redis.client.pttl(`${redis.prefix}:{card:c1}:ev`)).toBeGreaterThan(
        DEFAULT_RETENTION.replayMs,
      );
    } finally {
      await redis.cleanup();
    }
  });
});
