export {
  CARE_WEBHOOK_TARGET,
  type DeliveryStatus,
  type TargetFilter,
  type WebhookDelivery,
  WebhookDeliveryFields,
  type WebhookEvent,
  WebhookOutbox,
  WebhookSender,
  type WebhookSenderOptions,
} from './outbox.js';
