export { API_SPECS, type ApiSpec } from './apis/api-versions.js';
export { Broker, type BrokerOptions, brokerOptionsFromConfig } from './broker.js';
export { type LogSettings, PartitionLog } from './log/partition-log.js';
export { DiskSegmentFile } from './log/segment-file.js';
export { crc32c, crc32cImplementation, crc32cJs } from './protocol/crc32c.js';
export { KafkaError } from './protocol/errors.js';
export {
  type BatchRecord,
  Codec,
  checkBatch,
  decodeRecords,
  encodeBatch,
  readBatchHeader,
} from './protocol/record-batch.js';
export { decodeZigZag, encodeZigZag } from './protocol/varint.js';
