import { MemoryFraudState, RedisFraudState } from '@hexcast/core';
import { describe } from 'vitest';
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
});
