import { KafkaError } from '../../kafka-protocol/index.js';
import { type ApiHandler, type BrokerContext, responseWriter } from '../context.js';

interface FetchPartition {
  partition: number;
  fetchOffset: number;
  maxBytes: number;
}

interface PartitionData {
  partition: number;
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  chunks: Buffer[];
  bytes: number;
}

const MAX_WAIT_CAP_MS = 30_000;

/** Fetch v4–v16 with long polling; sessionless (session 0, epoch -1); topics by id from v13. */
export const fetch: ApiHandler = async (ctx, r, header) => {
  const v = header.apiVersion;
  if (v <= 14) r.int32(); // replica_id (a tagged replica_state from v15)
  const maxWaitMs = Math.min(Math.max(0, r.int32()), MAX_WAIT_CAP_MS);
  const minBytes = r.int32();
  const maxBytes = r.int32();
  r.int8(); // isolation_level: LSO = HWM, so both levels read the same
  if (v >= 7) {
    r.int32(); // session_id
    r.int32(); // session_epoch
  }
  const topics = r.structs((t) => {
    // v13+: by topic id; an unknown id answers UNKNOWN_TOPIC_ID under that id.
    const id = v >= 13 ? t.uuid() : undefined;
    return {
      name: id === undefined ? t.string() : (ctx.topics.byId(id)?.name ?? null),
      id,
      partitions: t.structs((p): FetchPartition => {
        const partition = p.int32();
        if (v >= 9) p.int32(); // current_leader_epoch
        const fetchOffset = p.int64();
        if (v >= 12) p.int32(); // last_fetched_epoch
        if (v >= 5) p.int64(); // log_start_offset (a follower's)
        return { partition, fetchOffset, maxBytes: p.int32() };
      }, 16),
    };
  }, 6);
  if (v >= 7)
    r.structs(
      (t) => ({ topic: v >= 13 ? t.uuid() : t.string(), partitions: t.array((p) => p.int32(), 4) }),
      6,
    );
  if (v >= 11) r.string(); // rack_id

  let result = collect(ctx, topics, maxBytes);
  if (result.bytes < minBytes && !result.hasError && maxWaitMs > 0) {
    // Kafka's long poll: answer once `minBytes` have accumulated or the wait is over, whichever
    // comes first (a consumer asking for more than one append's worth gets bigger batches). An
    // unknown topic id is an error above, so no wait: every topic here has a name.
    const wanted = topics.flatMap(({ name, partitions }) =>
      name === null ? [] : partitions.map((p) => ({ topic: name, partition: p.partition })),
    );
    // The wait counts the bytes appended to these partitions from now (each append adds its
    // batch, at no other cost) and answers once they make up what `minBytes` still lacks, or at
    // `maxWait`: a busy topic under a large `minBytes` costs an addition per append.
    await ctx.waitForAppend(wanted, maxWaitMs, minBytes - result.bytes);
    result = collect(ctx, topics, maxBytes);
  }

  const w = responseWriter(header, 1024);
  w.int32(0); // throttle_time_ms
  if (v >= 7) w.int16(KafkaError.NONE).int32(0); // error_code, session_id
  w.structs(result.topics, (w, t) => {
    if (v >= 13) w.uuid(t.id);
    else w.string(t.name ?? '');
    w.structs(t.partitions, (w, p) => {
      w.int32(p.partition).int16(p.errorCode).int64(p.highWatermark);
      w.int64(p.highWatermark); // last_stable_offset = HWM: no transactions
      if (v >= 5) w.int64(p.logStartOffset);
      w.size(0); // aborted_transactions: empty
      if (v >= 11) w.int32(-1); // preferred_read_replica
      w.size(p.bytes);
      for (const chunk of p.chunks) w.raw(chunk);
    });
  });
  return w;
};

function collect(
  ctx: BrokerContext,
  topics: Array<{ name: string | null; id: string | undefined; partitions: FetchPartition[] }>,
  maxBytes: number,
) {
  let budget = Math.max(0, maxBytes);
  let bytes = 0;
  let hasError = false;
  const out = topics.map((t) => {
    const topic = t.name === null ? undefined : ctx.topics.get(t.name);
    const missing = t.name === null ? KafkaError.UNKNOWN_TOPIC_ID : KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
    return {
      name: t.name,
      id: t.id,
      partitions: t.partitions.map((p): PartitionData => {
        const log = topic?.partitions[p.partition];
        if (log === undefined) {
          hasError = true;
          return {
            partition: p.partition,
            errorCode: missing,
            highWatermark: -1,
            logStartOffset: -1,
            chunks: [],
            bytes: 0,
          };
        }
        const base = {
          partition: p.partition,
          highWatermark: log.highWatermark,
          logStartOffset: log.logStartOffset,
        };
        if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.highWatermark) {
          hasError = true;
          return { ...base, errorCode: KafkaError.OFFSET_OUT_OF_RANGE, chunks: [], bytes: 0 };
        }
        if (p.fetchOffset === log.highWatermark || (budget <= 0 && bytes > 0)) {
          return { ...base, errorCode: KafkaError.NONE, chunks: [], bytes: 0 };
        }
        // KIP-74: the first batch returned may exceed the limits so a consumer always progresses.
        const limit = Math.max(0, Math.min(p.maxBytes, budget));
        const read = log.read(p.fetchOffset, limit, bytes === 0);
        bytes += read.bytes;
        budget -= read.bytes;
        return { ...base, errorCode: KafkaError.NONE, chunks: read.chunks, bytes: read.bytes };
      }),
    };
  });
  return { topics: out, bytes, hasError };
}

/** ListOffsets v1–v8: -1 latest (HWM = LSO), -2 earliest, -3 max timestamp, -4 earliest local, -5 latest tiered, t ≥ 0 by timestamp. */
export const listOffsets: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  r.int32(); // replica_id
  if (v >= 2) r.int8(); // isolation_level
  const topics = r.structs(
    (t) => ({
      name: t.string(),
      partitions: t.structs((p) => {
        const partition = p.int32();
        if (v >= 4) p.int32(); // current_leader_epoch
        return { partition, timestamp: p.int64() };
      }, 12),
    }),
    6,
  );
  const w = responseWriter(header);
  if (v >= 2) w.int32(0);
  w.structs(topics, (w, t) => {
    const topic = ctx.topics.get(t.name);
    w.string(t.name);
    w.structs(t.partitions, (w, p) => {
      const log = topic?.partitions[p.partition];
      w.int32(p.partition);
      let answer: { errorCode: number; timestamp: number; offset: number };
      if (log === undefined)
        answer = { errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1, offset: -1 };
      else if (p.timestamp === -1) answer = { errorCode: 0, timestamp: -1, offset: log.highWatermark };
      // -2 earliest; -4 earliest local (v8, KIP-1005): the same here, nothing is tiered.
      else if (p.timestamp === -2 || p.timestamp === -4)
        answer = { errorCode: 0, timestamp: -1, offset: log.logStartOffset };
      else if (p.timestamp === -3) {
        // v7 (KIP-734): the record with the largest timestamp.
        const hit = log.maxTimestampOffset();
        answer = { errorCode: 0, timestamp: hit?.timestamp ?? -1, offset: hit?.offset ?? -1 };
      }
      // -5 latest tiered (v8): nothing is in remote storage.
      else if (p.timestamp === -5) answer = { errorCode: 0, timestamp: -1, offset: -1 };
      else {
        const hit = log.offsetForTimestamp(p.timestamp);
        answer = { errorCode: 0, timestamp: hit?.timestamp ?? -1, offset: hit?.offset ?? -1 };
      }
      w.int16(answer.errorCode).int64(answer.timestamp).int64(answer.offset);
      if (v >= 4) w.int32(log === undefined ? -1 : 0); // leader_epoch
    });
  });
  return w;
};
