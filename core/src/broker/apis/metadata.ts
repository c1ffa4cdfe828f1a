import { KafkaError, Writer } from '../../kafka-protocol/index.js';
import type { ApiHandler, BrokerContext } from '../context.js';
import type { Topic } from '../log/topic-store.js';

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export function isLegalTopicName(name: string): boolean {
  return LEGAL_TOPIC.test(name) && name !== '.' && name !== '..';
}

/** Metadata v0–v6. A null topic list means all topics; an empty list means brokers only. */
export const metadata: ApiHandler = (ctx, r, header, client) => {
  const v = header.apiVersion;
  const requested = r.nullableArray((t) => t.string(), 2);
  const allowAutoCreate = v >= 4 ? r.bool() : true;
  const names = requested === null || (v === 0 && requested.length === 0) ? ctx.topics.names() : requested;
  const { host, port } = client.advertised;

  const w = new Writer(512);
  if (v >= 3) w.int32(0);
  w.array([ctx.nodeId], (w, id) => {
    w.int32(id).string(host).int32(port);
    if (v >= 1) w.nullableString(null); // rack
  });
  if (v >= 2) w.nullableString(ctx.clusterId);
  if (v >= 1) w.int32(ctx.nodeId); // controller_id: this node, so admin requests come here
  w.array(names, (w, name) => {
    const { errorCode, topic } = resolveTopic(ctx, name, allowAutoCreate);
    w.int16(errorCode).string(name);
    if (v >= 1) w.bool(false);
    w.array(topic?.partitions ?? [], (w, log) => {
      w.int16(KafkaError.NONE).int32(log.partition).int32(ctx.nodeId);
      w.array([ctx.nodeId], (w, id) => w.int32(id)); // replicas
      w.array([ctx.nodeId], (w, id) => w.int32(id)); // isr
      if (v >= 5) w.int32(0); // offline_replicas
    });
  });
  return w;
};

function resolveTopic(
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

/** CreateTopics v0–v4. Replication factor > 1 is clamped to 1 (one node). */
export const createTopics: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  const topics = r.array(
    (t) => ({
      name: t.string(),
      numPartitions: t.int32(),
      replicationFactor: t.int16(),
      assignments: t.array((a) => ({ partition: a.int32(), brokers: a.array((b) => b.int32(), 4) }), 8),
      configs: t.array((c) => ({ name: c.string(), value: c.nullableString() }), 4),
    }),
    16,
  );
  r.int32(); // timeout_ms
  const validateOnly = v >= 1 ? r.bool() : false;
  const w = new Writer();
  if (v >= 2) w.int32(0);
  w.array(topics, (w, t) => {
    const { errorCode, message } = createOne(ctx, t, validateOnly);
    w.string(t.name).int16(errorCode);
    if (v >= 1) w.nullableString(message);
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
): { errorCode: number; message: string | null } {
  if (!isLegalTopicName(t.name))
    return { errorCode: KafkaError.INVALID_TOPIC_EXCEPTION, message: 'illegal topic name' };
  if (ctx.topics.get(t.name) !== undefined)
    return { errorCode: KafkaError.TOPIC_ALREADY_EXISTS, message: `topic ${t.name} exists` };
  const partitions =
    t.numPartitions === -1 ? t.assignments.length || ctx.settings.defaultPartitions : t.numPartitions;
  if (partitions < 1 || partitions > ctx.settings.maxPartitionsPerTopic) {
    return {
      errorCode: KafkaError.INVALID_PARTITIONS,
      message: `partitions must be 1..${ctx.settings.maxPartitionsPerTopic}`,
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
  return { errorCode: KafkaError.NONE, message: null };
}

/** DeleteTopics v0–v1. */
export const deleteTopics: ApiHandler = (ctx, r, header) => {
  const names = r.array((t) => t.string(), 2);
  r.int32(); // timeout_ms
  const w = new Writer();
  if (header.apiVersion >= 1) w.int32(0);
  w.array(names, (w, name) => {
    w.string(name).int16(ctx.topics.delete(name) ? KafkaError.NONE : KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
  });
  return w;
};
