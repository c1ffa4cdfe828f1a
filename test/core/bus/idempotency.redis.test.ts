import { RedisIdempotencyStore } from '@hexcast/core';
import { describe } from 'vitest';
import { idempotencyContract } from '../../contracts/idempotency.contract.js';
import { hasService, useRedis } from '../../helpers/services.js';
import { waitFor } from '../../helpers/wait-for.js';

describe.skipIf(!hasService('redis'))('redis', () => {
  idempotencyContract('redis', async () => {
    const redis = await useRedis();
    const impl = new RedisIdempotencyStore(redis.client, `${redis.prefix}idem:`);
    return {
      impl,
      // Redis keeps real time: wait until the key has really expired.
      advance: async (ms) => {
        const started = Date.now();
        await waitFor(() => Date.now() - started >= ms, { intervalMs: 10 });
      },
      cleanup: () => redis.cleanup(),
    };
  });
});
