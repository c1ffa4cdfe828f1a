export type {
  DeliveryItem,
  DeliveryQueue,
  ExpiredItem,
  ExpiredWhere,
  RejectReason,
} from './delivery-queue.js';
export { MemoryDeliveryQueue } from './delivery-queue.memory.js';
export { RedisDeliveryQueue, type RedisDeliveryQueueOptions } from './delivery-queue.redis.js';
