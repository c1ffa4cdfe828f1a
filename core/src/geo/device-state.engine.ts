import type { Redis } from 'ioredis';
import type { DeviceStateStore } from './device-state.js';
import { MemoryDeviceStateStore } from './device-state.memory.js';
import { RedisDeviceStateStore } from './device-state.redis.js';

/** Redis when the process has a connection (REDIS_URL), else memory. */
export function deviceStateStore(redis: Redis | null): DeviceStateStore {
  return redis === null ? new MemoryDeviceStateStore() : new RedisDeviceStateStore(redis);
}
