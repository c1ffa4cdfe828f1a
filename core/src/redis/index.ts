export { openRedis, redisConnection } from './connection.js';
export { RedisScript } from './redis-script.js';
