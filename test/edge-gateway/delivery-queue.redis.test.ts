import { RedisDeliveryQueue } from '@hexcast/edge-gateway';
import { describe } from 'vitest';
import { deliveryQueueContract } from '../contracts/delivery-queue.contract.js';
import { hasService, useRedis } from '../helpers/services.js';

describe.skipIf(!hasService('redis'))('redis', () => {
  deliveryQueueContract('redis', async () => {
    const redis = await useRedis();
    return {
      impl: new RedisDeliveryQueue({
        redis: redis.client,
        prefix: redis.prefix,
        namespace: 'test',
        maxPerDevice: 8,
      }),
      maxPerDevice: 8,
      cleanup: () => redis.cleanup(),
    };
  });
});
