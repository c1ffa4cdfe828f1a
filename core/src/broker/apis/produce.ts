import { checkBatch, KafkaError, stampLogAppendTime, type Writer } from '../../kafka-protocol/index.js';
import { type ApiHandler, type BrokerContext, type RequestHeader, responseWriter } from '../context.js';
import type { PartitionLog } from '../log/partition-log.js';

interface PartitionResult {
  index: number;
  /** The log written to (or holding the duplicate), whose commit the response waits for. */
  log: PartitionLog | null;
  /** Bytes this request appended (0 for a duplicate): what parked fetches are told once committed. */
  appended: number;
  errorCode: number;
  baseOffset: number;
  logAppendTime: number;
  logStartOffset: number;
}

/**
 * Produce v3–v10: one record batch v2 per partition, validated, appended verbatim. With acks ≠ 0
 * the response waits for the partitions' group commit (`PartitionLog.commit`): a producer is
 * told a batch is accepted only once it is on stable storage, and consumers see it from then.
 */
export const produce: ApiHandler = (ctx, r, header) => {
  const transactionalId = r.nullableString();
  const acks = r.int16();
  r.int32(); // timeout_ms: no replicas to wait for; at most the local fsync of a group commit
  const topics = r.structs(
    (t) => ({
      name: t.string(),
      partitions: t.structs((p) => ({ index: p.int32(), records: p.nullableBytes() }), 8),
    }),
    6,
  );
  const results = topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((p): PartitionResult => {
      if (acks !== 0 && acks !== 1 && acks !== -1) return fail(p.index, KafkaError.INVALID_REQUIRED_ACKS);
      if (transactionalId !== null) return fail(p.index, KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      return appendPartition(ctx, topic.name, p.index, p.records);
    }),
  }));
  // The response waits for every partition's commit; with acks=0 there is none to hold back.
  let waiting = 1;
  const response = new Promise<Writer | null>((resolve) => {
    const committed = () => {
      if (--waiting === 0) resolve(acks === 0 ? null : produceResponse(results, header));
    };
    for (const topic of results) {
      for (const p of topic.partitions) {
        const log = p.log;
        if (log === null) continue;
        waiting++;
        log.commit((error) => {
          if (error === null) {
            ctx.notifyAppend(topic.name, p.index, p.appended); // consumers see it from now
          } else {
            ctx.logger.error({ err: error, topic: topic.name, partition: p.index }, 'log fsync failed');
            Object.assign(p, fail(p.index, KafkaError.KAFKA_STORAGE_ERROR));
          }
          committed();
        });
      }
    }
    committed();
  });
  return acks === 0 ? null : response;
};

function produceResponse(
  results: Array<{ name: string; partitions: PartitionResult[] }>,
  header: RequestHeader,
): Writer {
  const v = header.apiVersion;
  const w = responseWriter(header);
  w.structs(results, (w, t) => {
    w.string(t.name);
    w.structs(t.partitions, (w, p) => {
      w.int32(p.index).int16(p.errorCode).int64(p.baseOffset);
      if (v >= 2) w.int64(p.logAppendTime);
      if (v >= 5) w.int64(p.logStartOffset);
      if (v >= 8) w.size(0).nullableString(null); // record_errors, error_message
    });
  });
  w.int32(0); // throttle_time_ms
  return w;
}

function fail(index: number, errorCode: number): PartitionResult {
  return { index, log: null, appended: 0, errorCode, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 };
}

function appendPartition(
  ctx: BrokerContext,
  topicName: string,
  index: number,
  records: Buffer | null,
): PartitionResult {
  const topic = ctx.topics.get(topicName);
  const log = topic?.partitions[index];
  if (topic === undefined || log === undefined) return fail(index, KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
  if (records === null || records.length === 0) return fail(index, KafkaError.CORRUPT_MESSAGE);
  if (records.length > ctx.settings.maxMessageBytes) return fail(index, KafkaError.MESSAGE_TOO_LARGE);
  const checked = checkBatch(records, 0, true);
  if ('problem' in checked) {
    return fail(
      index,
      checked.problem === 'control' ? KafkaError.INVALID_RECORD : KafkaError.CORRUPT_MESSAGE,
    );
  }
  const batchHeader = checked.header;
  if (batchHeader.size !== records.length) return fail(index, KafkaError.CORRUPT_MESSAGE); // exactly one batch
  const tp = `${topicName}/${index}`;
  const { producerId, producerEpoch, baseSequence, recordsCount } = batchHeader;
  if (producerId >= 0) {
    const seq = ctx.producers.check(producerId, producerEpoch, tp, baseSequence, recordsCount);
    if (seq.kind === 'error') return fail(index, seq.errorCode);
    if (seq.kind === 'duplicate') {
      // Acknowledged again only once durable: the first attempt may still be awaiting its fsync.
      return {
        index,
        log,
        appended: 0,
        errorCode: KafkaError.NONE,
        baseOffset: seq.baseOffset,
        logAppendTime: -1,
        logStartOffset: log.logStartOffset,
      };
    }
  }
  let logAppendTime = -1;
  if (topic.config.logAppendTime) {
    logAppendTime = ctx.now();
    stampLogAppendTime(records, logAppendTime);
    batchHeader.maxTimestamp = logAppendTime;
  }
  let baseOffset: number;
  try {
    baseOffset = log.append(records, batchHeader);
  } catch (err) {
    ctx.logger.error({ err, topic: topicName, partition: index }, 'log append failed');
    return fail(index, KafkaError.KAFKA_STORAGE_ERROR);
  }
  if (producerId >= 0)
    ctx.producers.record(producerId, producerEpoch, tp, baseSequence, recordsCount, baseOffset);
  return {
    index,
    log,
    appended: records.length,
    errorCode: KafkaError.NONE,
    baseOffset,
    logAppendTime,
    logStartOffset: log.logStartOffset,
  };
}

/**
 * InitProducerId v0–v4: idempotent producers only; transactions are not supported. A producer
 * re-initialising with its id and epoch (v3+) gets a new id: sequences start over either way.
 */
export const initProducerId: ApiHandler = (ctx, r, header) => {
  const transactionalId = r.nullableString();
  r.int32(); // transaction_timeout_ms
  if (header.apiVersion >= 3) {
    r.int64(); // producer_id
    r.int16(); // producer_epoch
  }
  const w = responseWriter(header).int32(0);
  if (transactionalId !== null) {
    return w.int16(KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED).int64(-1).int16(-1);
  }
  const { producerId, producerEpoch } = ctx.producers.allocate();
  return w.int16(KafkaError.NONE).int64(producerId).int16(producerEpoch);
};
