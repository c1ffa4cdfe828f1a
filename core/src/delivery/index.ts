export type {
  DeliveryItem,
  DeliveryQueue,
  ExpiredItem,
  ExpiredWhere,
  RejectReason,
} from './delivery-queue.js';
export { MemoryDeliveryQueue } from './delivery-queue.memory.js';
export { RedisDeliveryQueue, type RedisDeliveryQueueOptions } from './delivery-queue.redis.js';
export {
  DELIVERY_EVENTS,
  DeliveryItemEvent,
  DeliveryReceipt,
  RECEIPT_STATUSES,
  type ReceiptStatus,
  TERMINAL_STATUSES,
} from './events.js';
