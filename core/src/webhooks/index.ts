export {
  CARE_WEBHOOK_TARGET,
  type DeliveryStatus,
  type TargetFilter,
  type WebhookDelivery,
  type WebhookEvent,
  WebhookOutbox,
  WebhookSender,
  type WebhookSenderOptions,
} from './outbox.js';
