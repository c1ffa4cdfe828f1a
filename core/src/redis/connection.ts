import { Redis } from 'ioredis';
import type { HexcastConfig } from '../config/index.js';
import type { Component } from '../lifecycle/index.js';

/** One shared Redis command connection when REDIS_URL is set. */
export function openRedis(config: Readonly<HexcastConfig>): Redis | null {
  return config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 3, enableAutoPipelining: true })
    : null;
}

/** A component that closes a service's Redis connection when the service stops. */
export function redisConnection(redis: Redis): Component {
  return { name: 'redis', start: async () => undefined, close: async () => void (await redis.quit()) };
}
