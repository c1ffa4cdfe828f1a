import { KafkaError, ZERO_UUID } from '../../kafka-protocol/index.js';
import {
  type ApiHandler,
  AUTHORIZED_OPERATIONS_OMITTED,
  type BrokerContext,
  responseWriter,
} from '../context.js';
import type { Topic } from '../log/topic-store.js';

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export function isLegalTopicName(name: string): boolean {
  return LEGAL_TOPIC.test(name) && name !== '.' && name !== '..';
}

/**
 * Metadata v0–v12. A null topic list means all topics; an empty list means brokers only. v10+
 * answers topic ids, and v12 may ask by id alone (an unknown id: UNKNOWN_TOPIC_ID).
 */
export const metadata: ApiHandler = (ctx, r, header, client) => {
  const v = header.apiVersion;
  const requested = r.nullableStructs((t) => {
    const id = v >= 10 ? t.uuid() : ZERO_UUID;
    const name = t.nullableString();
    // A topic asked for by id alone (v12 names are nullable): its name, or null when unknown.
    return name ?? ctx.topics.byId(id)?.name ?? null;
  }, 2);
  const allowAutoCreate = v >= 4 ? r.bool() : true;
  if (v >= 8 && v <= 10) r.bool(); // include_cluster_authorized_operations
  if (v >= 8) r.bool(); // include_topic_authorized_operations
  const names: Array<string | null> =
    requested === null || (v === 0 && requested.length === 0) ? ctx.topics.names() : requested;
  const { host, port } = client.advertised;

  const w = responseWriter(header, 512);
  if (v >= 3) w.int32(0);
  w.structs([ctx.nodeId], (w, id) => {
    w.int32(id).string(host).int32(port);
    if (v >= 1) w.nullableString(null); // rack
  });
  if (v >= 2) w.nullableString(ctx.clusterId);
  if (v >= 1) w.int32(ctx.nodeId); // controller_id: this node, so admin requests come here
  w.structs(names, (w, name) => {
    const { errorCode, topic } =
      name === null ? { errorCode: KafkaError.UNKNOWN_TOPIC_ID } : resolveTopic(ctx, name, allowAutoCreate);
    w.int16(errorCode);
    if (v >= 12) w.nullableString(name);
    else w.string(name ?? '');
    if (v >= 10) w.uuid(topic?.id);
    if (v >= 1) w.bool(false);
    w.structs(topic?.partitions ?? [], (w, log) => {
      w.int16(KafkaError.NONE).int32(log.partition).int32(ctx.nodeId);
      if (v >= 7) w.int32(0); // leader_epoch
      w.array([ctx.nodeId], (w, id) => w.int32(id)); // replicas
      w.array([ctx.nodeId], (w, id) => w.int32(id)); // isr
      if (v >= 5) w.size(0); // offline_replicas
    });
    if (v >= 8) w.int32(AUTHORIZED_OPERATIONS_OMITTED);
  });
  if (v >= 8 && v <= 10) w.int32(AUTHORIZED_OPERATIONS_OMITTED);
  return w;
};

/** A topic as a client's Metadata finds it: created with the defaults when asked and allowed. */
export function resolveTopic(
  ctx: BrokerContext,
  name: string,
  allowAutoCreate: boolean,
): { errorCode: number; topic?: Topic } {
  const existing = ctx.topics.get(name);
  if (existing !== undefined) return { errorCode: KafkaError.NONE, topic: existing };
  if (!isLegalTopicName(name)) return { errorCode: KafkaError.INVALID_TOPIC_EXCEPTION };
  if (!allowAutoCreate || !ctx.settings.autoCreateTopics)
    return { errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION };
  return { errorCode: KafkaError.NONE, topic: ctx.createTopic(name, {}) };
}

/** CreateTopics v0–v7. Replication factor > 1 is clamped to 1 (one node). */
export const createTopics: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  const topics = r.structs(
    (t) => ({
      name: t.string(),
      numPartitions: t.int32(),
      replicationFactor: t.int16(),
      assignments: t.structs((a) => ({ partition: a.int32(), brokers: a.array((b) => b.int32(), 4) }), 8),
      configs: t.structs((c) => ({ name: c.string(), value: c.nullableString() }), 4),
    }),
    16,
  );
  r.int32(); // timeout_ms
  const validateOnly = v >= 1 ? r.bool() : false;
  const w = responseWriter(header);
  if (v >= 2) w.int32(0);
  w.structs(topics, (w, t) => {
    const { errorCode, message, partitions } = createOne(ctx, t, validateOnly);
    w.string(t.name);
    if (v >= 7) w.uuid(ctx.topics.get(t.name)?.id);
    w.int16(errorCode);
    if (v >= 1) w.nullableString(message);
    if (v >= 5) {
      w.int32(errorCode === KafkaError.NONE ? partitions : -1);
      w.int16(errorCode === KafkaError.NONE ? 1 : -1); // replication_factor
      w.nullableArray(null, () => undefined); // configs: not described
    }
  });
  return w;
};

function createOne(
  ctx: BrokerContext,
  t: {
    name: string;
    numPartitions: number;
    assignments: Array<{ partition: number }>;
    configs: Array<{ name: string; value: string | null }>;
  },
  validateOnly: boolean,
): { errorCode: number; message: string | null; partitions: number } {
  if (!isLegalTopicName(t.name))
    return { errorCode: KafkaError.INVALID_TOPIC_EXCEPTION, message: 'illegal topic name', partitions: -1 };
  if (ctx.topics.get(t.name) !== undefined)
    return { errorCode: KafkaError.TOPIC_ALREADY_EXISTS, message: `topic ${t.name} exists`, partitions: -1 };
  const partitions =
    t.numPartitions === -1 ? t.assignments.length || ctx.settings.defaultPartitions : t.numPartitions;
  if (partitions < 1 || partitions > ctx.settings.maxPartitionsPerTopic) {
    return {
      errorCode: KafkaError.INVALID_PARTITIONS,
      message: `partitions must be 1..${ctx.settings.maxPartitionsPerTopic}`,
      partitions: -1,
    };
  }
  const config = Object.fromEntries(t.configs.map((c) => [c.name, c.value]));
  const retentionMs = config['retention.ms'];
  const retentionBytes = config['retention.bytes'];
  if (!validateOnly) {
    ctx.createTopic(t.name, {
      partitions,
      compacted: (config['cleanup.policy'] ?? '').includes('compact'),
      logAppendTime: config['message.timestamp.type'] === 'LogAppendTime',
      ...(retentionMs ? { retentionMs: Number(retentionMs) } : {}),
      ...(retentionBytes ? { retentionBytes: Number(retentionBytes) } : {}),
    });
  }
  return { errorCode: KafkaError.NONE, message: null, partitions };
}

/** DeleteTopics v0–v6 (v6 names each topic by name or by id). */
export const deleteTopics: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  const names =
    v <= 5
      ? r.array((t) => t.string(), 2)
      : r.structs((t) => {
          const name = t.nullableString();
          const id = t.uuid();
          return name ?? ctx.topics.byId(id)?.name ?? null;
        }, 2);
  r.int32(); // timeout_ms
  const w = responseWriter(header);
  if (v >= 1) w.int32(0);
  w.structs(names, (w, name) => {
    if (v >= 6) w.nullableString(name).uuid(name === null ? undefined : ctx.topics.get(name)?.id);
    else w.string(name ?? '');
    const errorCode =
      name === null
        ? KafkaError.UNKNOWN_TOPIC_ID
        : ctx.topics.delete(name)
          ? KafkaError.NONE
          : KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
    w.int16(errorCode);
    if (v >= 5) w.nullableString(null); // error_message
  });
  return w;
};
