import { RedisDeviceStateStore } from '@hexcast/core';
import { describe } from 'vitest';
import { deviceStateContract } from '../../../contracts/device-state.contract.js';
import { hasService, useRedis } from '../../../helpers/services.js';
import { waitFor } from '../../../helpers/wait-for.js';

describe.skipIf(!hasService('redis'))('redis', () => {
  deviceStateContract('redis', async () => {
    const redis = await useRedis();
    return {
      impl: new RedisDeviceStateStore(redis.client, redis.prefix),
      advance: async (ms) => {
        const started = Date.now();
        await waitFor(() => Date.now() - started >= ms, { intervalMs: 10 });
      },
      cleanup: () => redis.cleanup(),
    };
  });
});
