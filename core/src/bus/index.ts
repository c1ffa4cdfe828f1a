export {
  type BatchHandler,
  type BatchItem,
  ConsumerRunner,
  type ConsumerRunnerOptions,
  type EnvelopeHandler,
  inKeyOrder,
  type RecordContext,
} from './consumer-runner.js';
export { Feed, type FeedOptions, type FeedSpec } from './feed.js';
export {
  type BusSecurity,
  busConnectError,
  busSecurity,
  createKafka,
  type KafkaFactoryOptions,
  kafkaBrokers,
} from './kafka.js';
export {
  attachLocalBus,
  type LocalBus,
  LocalConsumer,
  localBusOf,
} from './local-consumer.js';
export { BusProducer, type BusProducerOptions, type SendCallback } from './producer.js';
export { parseReplayFrom, type ReplayFrom, replayGroup } from './replay.js';
export { backoffMs, isRetriable, type RetryPolicy } from './retry.js';
export { ensureTopics } from './topics.js';
export {
  groupBy,
  ProduceError,
  WireProducer,
  type WireProducerOptions,
  type WireRecord,
} from './wire-producer.js';
