export type { DeviceGeoState, DevicePosition, DeviceStateStore } from './device-state.js';
export { MemoryDeviceStateStore } from './device-state.memory.js';
export { RedisDeviceStateStore } from './device-state.redis.js';
export { RedisScript } from './redis-scripts.js';
