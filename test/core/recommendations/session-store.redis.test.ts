import { MemorySessionStore, RedisSessionStore } from '@hexcast/core';
import { describe } from 'vitest';
import {
  type SessionStoreFactory,
  sessionStoreContract,
  sessionStoreEquivalence,
} from '../../contracts/session-store.contract.js';
import { hasService, useRedis } from '../../helpers/services.js';

describe.skipIf(!hasService('redis'))('redis', () => {
  const redisStore: SessionStoreFactory = async (options) => {
    const redis = await useRedis();
    return {
      impl: new RedisSessionStore(redis.client, options, redis.prefix),
      cleanup: () => redis.cleanup(),
    };
  };
  sessionStoreContract('redis', redisStore);
  sessionStoreEquivalence(
    async (options) => ({ impl: new MemorySessionStore(options), cleanup: async () => undefined }),
    redisStore,
  );
});
