import { RedisFenceIndex } from '@hexcast/core';
import { describe } from 'vitest';
import { fenceIndexContract } from '../../contracts/fence-index.contract.js';
import { hasService, useRedis } from '../../helpers/services.js';

describe.skipIf(!hasService('redis'))('redis', () => {
  fenceIndexContract('redis', async () => {
    const redis = await useRedis();
    return { impl: new RedisFenceIndex(redis.client, redis.prefix, 0), cleanup: () => redis.cleanup() };
  });
});
