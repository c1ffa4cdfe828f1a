import { KafkaError, Writer } from '../../kafka-protocol/index.js';
import type { ApiHandler, BrokerContext } from '../context.js';

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

/** Fetch v4–v11 with long polling; sessionless (session 0, epoch -1). */
export const fetch: ApiHandler = async (ctx, r, header) => {
  const v = header.apiVersion;
  r.int32(); // replica_id
  const maxWaitMs = Math.min(Math.max(0, r.int32()), MAX_WAIT_CAP_MS);
  const minBytes = r.int32();
  const maxBytes = r.int32();
  r.int8(); // isolation_level: LSO = HWM, so both levels read the same
  if (v >= 7) {
    r.int32(); // session_id
    r.int32(); // session_epoch
  }
  const topics = r.array(
    (t) => ({
      name: t.string(),
      partitions: t.array((p): FetchPartition => {
        const partition = p.int32();
        if (v >= 9) p.int32(); // current_leader_epoch
        const fetchOffset = p.int64();
        if (v >= 5) p.int64(); // log_start_offset (a follower's)
        return { partition, fetchOffset, maxBytes: p.int32() };
      }, 16),
    }),
    6,
  );
  if (v >= 7) r.array((t) => ({ topic: t.string(), partitions: t.array((p) => p.int32(), 4) }), 6);
  if (v >= 11) r.string(); // rack_id

  let result = collect(ctx, topics, maxBytes);
  if (result.bytes < minBytes && !result.hasError && maxWaitMs > 0) {
    const wanted = topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partition })),
    );
    await ctx.waitForAppend(wanted, maxWaitMs);
    result = collect(ctx, topics, maxBytes);
  }

  const w = new Writer(1024);
  w.int32(0); // throttle_time_ms
  if (v >= 7) w.int16(KafkaError.NONE).int32(0); // error_code, session_id
  w.array(result.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int16(p.errorCode).int64(p.highWatermark);
      w.int64(p.highWatermark); // last_stable_offset = HWM: no transactions
      if (v >= 5) w.int64(p.logStartOffset);
      w.int32(0); // aborted_transactions: empty
      if (v >= 11) w.int32(-1); // preferred_read_replica
      w.int32(p.bytes);
      for (const chunk of p.chunks) w.raw(chunk);
    });
  });
  return w;
};

function collect(
  ctx: BrokerContext,
  topics: Array<{ name: string; partitions: FetchPartition[] }>,
  maxBytes: number,
) {
  let budget = Math.max(0, maxBytes);
  let bytes = 0;
  let hasError = false;
  const out = topics.map((t) => {
    const topic = ctx.topics.get(t.name);
    return {
      name: t.name,
      partitions: t.partitions.map((p): PartitionData => {
        const log = topic?.partitions[p.partition];
        if (log === undefined) {
          hasError = true;
          return {
            partition: p.partition,
            errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
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

/** ListOffsets v1–v3: -1 latest (HWM = LSO), -2 earliest, t ≥ 0 by timestamp. */
export const listOffsets: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  r.int32(); // replica_id
  if (v >= 2) r.int8(); // isolation_level
  const topics = r.array(
    (t) => ({
      name: t.string(),
      partitions: t.array((p) => ({ partition: p.int32(), timestamp: p.int64() }), 12),
    }),
    6,
  );
  const w = new Writer();
  if (v >= 2) w.int32(0);
  w.array(topics, (w, t) => {
    const topic = ctx.topics.get(t.name);
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      const log = topic?.partitions[p.partition];
      w.int32(p.partition);
      if (log === undefined) {
        w.int16(KafkaError.UNKNOWN_TOPIC_OR_PARTITION).int64(-1).int64(-1);
        return;
      }
      if (p.timestamp === -1) w.int16(0).int64(-1).int64(log.highWatermark);
      else if (p.timestamp === -2) w.int16(0).int64(-1).int64(log.logStartOffset);
      else {
        const hit = log.offsetForTimestamp(p.timestamp);
        w.int16(0)
          .int64(hit?.timestamp ?? -1)
          .int64(hit?.offset ?? -1);
      }
    });
  });
  return w;
};
