export { crc32c, crc32cImplementation, crc32cJs } from './crc32c.js';
export { KafkaError, type KafkaErrorCode } from './errors.js';
export { murmur2, murmur2Text } from './partitioner.js';
export { MalformedRequest, Reader } from './reader.js';
export {
  BATCH_HEADER_BYTES,
  BATCH_OVERHEAD,
  type BatchHeader,
  type BatchProblem,
  type BatchRecord,
  Codec,
  canDecode,
  checkBatch,
  decodeRecords,
  type EncodeBatchOptions,
  encodeBatch,
  encodeRecordBatch,
  type ProducerRecord,
  readBatchHeader,
  setBaseOffset,
  stampLogAppendTime,
} from './record-batch.js';
export {
  parsePlainMessage,
  plainMessage,
  SASL_MECHANISMS,
  SaslError,
  type SaslMechanism,
  SCRAM_MIN_ITERATIONS,
  ScramClient,
  type ScramCredential,
  ScramServer,
  scramCredential,
} from './sasl.js';
export {
  decodeZigZag,
  decodeZigZag32,
  encodeZigZag,
  varLongSize,
  writeVarInt,
  writeVarLong,
} from './varint.js';
export { Writer, ZERO_UUID } from './writer.js';
