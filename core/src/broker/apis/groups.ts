import { KafkaError } from '../../kafka-protocol/index.js';
import {
  type ApiHandler,
  AUTHORIZED_OPERATIONS_OMITTED,
  type BrokerContext,
  responseWriter,
} from '../context.js';

/**
 * FindCoordinator v0–v4: this node coordinates every group (and would every transaction). v4
 * asks for several keys at once and gets one coordinator per key.
 */
export const findCoordinator: ApiHandler = (ctx, r, header, client) => {
  const v = header.apiVersion;
  const key = v <= 3 ? r.string() : '';
  if (v >= 1) r.int8(); // key_type
  const keys = v >= 4 ? r.array((k) => k.string(), 1) : [key];
  const { host, port } = client.advertised;
  const w = responseWriter(header);
  if (v >= 1) w.int32(0);
  if (v >= 4) {
    w.structs(keys, (w, k) => {
      w.string(k).int32(ctx.nodeId).string(host).int32(port).int16(KafkaError.NONE).nullableString(null);
    });
    return w;
  }
  w.int16(KafkaError.NONE);
  if (v >= 1) w.nullableString(null);
  return w.int32(ctx.nodeId).string(host).int32(port);
};

/** JoinGroup v0–v9; parks until the join phase completes. */
export const joinGroup: ApiHandler = async (ctx, r, header, client) => {
  const v = header.apiVersion;
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = v >= 1 ? r.int32() : sessionTimeoutMs;
  const memberId = r.string();
  const groupInstanceId = v >= 5 ? r.nullableString() : null;
  const protocolType = r.string();
  const protocols = r.structs((p) => ({ name: p.string(), metadata: Buffer.from(p.bytes()) }), 6);
  if (v >= 8) r.nullableString(); // reason
  const res = await ctx.groups.join({
    groupId,
    sessionTimeoutMs,
    rebalanceTimeoutMs,
    memberId,
    groupInstanceId,
    protocolType,
    protocols,
    clientId: header.clientId ?? '',
    clientHost: client.host,
    requireKnownMemberId: v >= 4,
  });
  const w = responseWriter(header);
  if (v >= 2) w.int32(0);
  w.int16(res.errorCode).int32(res.generationId);
  if (v >= 7) w.nullableString(res.errorCode === KafkaError.NONE ? protocolType : null);
  w.string(res.protocolName).string(res.leader);
  if (v >= 9) w.bool(false); // skip_assignment
  w.string(res.memberId);
  w.structs(res.members, (w, m) => {
    w.string(m.memberId);
    if (v >= 5) w.nullableString(null);
    w.bytes(m.metadata);
  });
  return w;
};

/** SyncGroup v0–v5; followers park until the leader's assignment arrives. */
export const syncGroup: ApiHandler = async (ctx, r, header) => {
  const v = header.apiVersion;
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  if (v >= 3) r.nullableString(); // group_instance_id
  const protocolType = v >= 5 ? r.nullableString() : null;
  const protocolName = v >= 5 ? r.nullableString() : null;
  const assignments = r.structs((a) => ({ memberId: a.string(), assignment: Buffer.from(a.bytes()) }), 6);
  const res = await ctx.groups.sync(groupId, generationId, memberId, assignments);
  const w = responseWriter(header);
  if (v >= 1) w.int32(0);
  w.int16(res.errorCode);
  if (v >= 5) w.nullableString(protocolType).nullableString(protocolName);
  return w.bytes(res.assignment);
};

/** Heartbeat v0–v4. */
export const heartbeat: ApiHandler = (ctx, r, header) => {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  if (header.apiVersion >= 3) r.nullableString();
  const w = responseWriter(header);
  if (header.apiVersion >= 1) w.int32(0);
  return w.int16(ctx.groups.heartbeat(groupId, generationId, memberId));
};

/** LeaveGroup v0–v5 (v3+ leaves several members at once). */
export const leaveGroup: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  const groupId = r.string();
  const w = responseWriter(header);
  if (v >= 1) w.int32(0);
  if (v < 3) return w.int16(ctx.groups.leave(groupId, r.string()));
  const members = r.structs((m) => {
    const member = { memberId: m.string(), instanceId: m.nullableString() };
    if (v >= 5) m.nullableString(); // reason
    return member;
  }, 4);
  const results = members.map((m) => ({ ...m, errorCode: ctx.groups.leave(groupId, m.memberId) }));
  w.int16(KafkaError.NONE);
  w.structs(results, (w, m) => w.string(m.memberId).nullableString(m.instanceId).int16(m.errorCode));
  return w;
};

/** OffsetCommit v2–v8. Accepted in Stable and PreparingRebalance; admin commits need an empty group. */
export const offsetCommit: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  if (v >= 7) r.nullableString(); // group_instance_id
  if (v >= 2 && v <= 4) r.int64(); // retention_time_ms
  const topics = r.structs(
    (t) => ({
      name: t.string(),
      partitions: t.structs((p) => {
        const partition = p.int32();
        const offset = p.int64();
        if (v >= 6) p.int32(); // committed_leader_epoch
        return { partition, offset, metadata: p.nullableString() };
      }, 14),
    }),
    6,
  );
  const entries = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
  const errorCode = ctx.groups.commit(groupId, generationId, memberId, entries);
  const w = responseWriter(header);
  if (v >= 3) w.int32(0);
  w.structs(topics, (w, t) => {
    w.string(t.name);
    w.structs(t.partitions, (w, p) => w.int32(p.partition).int16(errorCode));
  });
  return w;
};

interface FetchedTopic {
  name: string;
  partitions: number[];
}

/**
 * OffsetFetch v1–v8: no membership check; unknown partitions answer -1 with no error. v8 asks
 * for several groups at once; a null topic list means every committed partition of the group.
 */
export const offsetFetch: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  const readTopics = () =>
    r.nullableStructs(
      (t): FetchedTopic => ({ name: t.string(), partitions: t.array((p) => p.int32(), 4) }),
      6,
    );
  const groups: Array<{ groupId: string; topics: FetchedTopic[] | null }> = [];
  if (v <= 7) groups.push({ groupId: r.string(), topics: readTopics() });
  else r.structs((g) => groups.push({ groupId: g.string(), topics: readTopics() }), 2);
  if (v >= 7) r.bool(); // require_stable: no transactions, every offset is stable

  const w = responseWriter(header);
  if (v >= 3) w.int32(0);
  const writeTopics = (groupId: string, topics: FetchedTopic[]) =>
    w.structs(topics, (w, t) => {
      w.string(t.name);
      w.structs(t.partitions, (w, partition) => {
        const committed = ctx.groups.fetchOffset(groupId, t.name, partition);
        w.int32(partition).int64(committed?.offset ?? -1);
        if (v >= 5) w.int32(-1); // committed_leader_epoch
        w.nullableString(committed?.metadata ?? '').int16(KafkaError.NONE);
      });
    });
  if (v <= 7) {
    const [group] = groups;
    writeTopics(group!.groupId, group!.topics ?? committedTopics(ctx, group!.groupId));
    if (v >= 2) w.int16(KafkaError.NONE);
    return w;
  }
  w.structs(groups, (w, g) => {
    w.string(g.groupId);
    writeTopics(g.groupId, g.topics ?? committedTopics(ctx, g.groupId));
    w.int16(KafkaError.NONE);
  });
  return w;
};

function committedTopics(ctx: BrokerContext, groupId: string): FetchedTopic[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of ctx.groups.committedPartitions(groupId)) {
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  }
  return [...byTopic].map(([name, partitions]) => ({ name, partitions }));
}

/** DescribeGroups v0–v5; an unknown group is "Dead" with no error. */
export const describeGroups: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  const ids = r.array((g) => g.string(), 2);
  if (v >= 3) r.bool(); // include_authorized_operations
  const w = responseWriter(header);
  if (v >= 1) w.int32(0);
  w.structs(ids, (w, id) => {
    const g = ctx.groups.describe(id);
    w.int16(KafkaError.NONE).string(id).string(g.state).string(g.protocolType).string(g.protocol);
    w.structs(g.members, (w, m) => {
      w.string(m.memberId);
      if (v >= 4) w.nullableString(null); // group_instance_id
      w.string(m.clientId).string(m.clientHost).bytes(m.metadata).bytes(m.assignment);
    });
    if (v >= 3) w.int32(AUTHORIZED_OPERATIONS_OMITTED);
  });
  return w;
};

/** ListGroups v0–v4 (v4 filters by state and answers each group's state). */
export const listGroups: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  const states = v >= 4 ? r.array((s) => s.string(), 1) : [];
  const wanted = new Set(states.map((s) => s.toLowerCase()));
  const groups = ctx.groups
    .list()
    .map((g) => ({ ...g, state: ctx.groups.describe(g.groupId).state }))
    .filter((g) => wanted.size === 0 || wanted.has(g.state.toLowerCase()));
  const w = responseWriter(header);
  if (v >= 1) w.int32(0);
  w.int16(KafkaError.NONE);
  w.structs(groups, (w, g) => {
    w.string(g.groupId).string(g.protocolType);
    if (v >= 4) w.string(g.state);
  });
  return w;
};
