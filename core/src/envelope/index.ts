export {
  defineEvent,
  ENVELOPE_VERSION,
  type Envelope,
  EnvelopeSchema,
  type EnvelopeSource,
  EVENT_TYPE_PATTERN,
  type EventType,
} from './envelope.js';
export { CORE_EVENTS, createEventRegistry, DeadLetter, DeviceClick, DeviceLocation } from './events.js';
export { type CreateEnvelopeInput, EventRegistry, type EventRegistryOptions } from './registry.js';
export {
  deliveriesTopic,
  TOPICS,
  type TopicId,
  type TopicSpec,
  topicByName,
  topicCatalogue,
} from './topics.js';
export { type Clock, deadlineFrom, isExpired, remainingMs, systemClock } from './ttl.js';
