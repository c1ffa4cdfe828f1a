export { delivery } from './capability.js';
export {
  DELIVERY_EVENTS,
  DeliveryItemEvent,
  DeliveryReceipt,
  RECEIPT_STATUSES,
  type ReceiptStatus,
  TERMINAL_STATUSES,
} from './events.js';
