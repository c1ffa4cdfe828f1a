import { KafkaError, Writer } from '../../kafka-protocol/index.js';
import type { ApiHandler } from '../context.js';

/** FindCoordinator v0–v2: this node coordinates every group (and would every transaction). */
export const findCoordinator: ApiHandler = (ctx, r, header, client) => {
  r.string(); // key
  if (header.apiVersion >= 1) r.int8(); // key_type
  const { host, port } = client.advertised;
  const w = new Writer();
  if (header.apiVersion >= 1) w.int32(0).int16(KafkaError.NONE).nullableString(null);
  else w.int16(KafkaError.NONE);
  return w.int32(ctx.nodeId).string(host).int32(port);
};

/** JoinGroup v0–v5; parks until the join phase completes. */
export const joinGroup: ApiHandler = async (ctx, r, header, client) => {
  const v = header.apiVersion;
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = v >= 1 ? r.int32() : sessionTimeoutMs;
  const memberId = r.string();
  const groupInstanceId = v >= 5 ? r.nullableString() : null;
  const protocolType = r.string();
  const protocols = r.array((p) => ({ name: p.string(), metadata: Buffer.from(p.bytes()) }), 6);
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
  });
  const w = new Writer();
  if (v >= 2) w.int32(0);
  w.int16(res.errorCode)
    .int32(res.generationId)
    .string(res.protocolName)
    .string(res.leader)
    .string(res.memberId);
  w.array(res.members, (w, m) => {
    w.string(m.memberId);
    if (v >= 5) w.nullableString(null);
    w.bytes(m.metadata);
  });
  return w;
};

/** SyncGroup v0–v3; followers park until the leader's assignment arrives. */
export const syncGroup: ApiHandler = async (ctx, r, header) => {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  if (header.apiVersion >= 3) r.nullableString();
  const assignments = r.array((a) => ({ memberId: a.string(), assignment: Buffer.from(a.bytes()) }), 6);
  const res = await ctx.groups.sync(groupId, generationId, memberId, assignments);
  const w = new Writer();
  if (header.apiVersion >= 1) w.int32(0);
  return w.int16(res.errorCode).bytes(res.assignment);
};

/** Heartbeat v0–v3. */
export const heartbeat: ApiHandler = (ctx, r, header) => {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  if (header.apiVersion >= 3) r.nullableString();
  const w = new Writer();
  if (header.apiVersion >= 1) w.int32(0);
  return w.int16(ctx.groups.heartbeat(groupId, generationId, memberId));
};

/** LeaveGroup v0–v3 (v3 leaves several members at once). */
export const leaveGroup: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  const groupId = r.string();
  const w = new Writer();
  if (v >= 1) w.int32(0);
  if (v < 3) return w.int16(ctx.groups.leave(groupId, r.string()));
  const members = r.array((m) => ({ memberId: m.string(), instanceId: m.nullableString() }), 4);
  const results = members.map((m) => ({ ...m, errorCode: ctx.groups.leave(groupId, m.memberId) }));
  w.int16(KafkaError.NONE);
  return w.array(results, (w, m) => w.string(m.memberId).nullableString(m.instanceId).int16(m.errorCode));
};

/** OffsetCommit v2–v5. Accepted in Stable and PreparingRebalance; admin commits need an empty group. */
export const offsetCommit: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  if (v >= 2 && v <= 4) r.int64(); // retention_time_ms
  const topics = r.array(
    (t) => ({
      name: t.string(),
      partitions: t.array(
        (p) => ({ partition: p.int32(), offset: p.int64(), metadata: p.nullableString() }),
        14,
      ),
    }),
    6,
  );
  const entries = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
  const errorCode = ctx.groups.commit(groupId, generationId, memberId, entries);
  const w = new Writer();
  if (v >= 3) w.int32(0);
  return w.array(topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => w.int32(p.partition).int16(errorCode));
  });
};

/** OffsetFetch v1–v4: no membership check; unknown partitions answer -1 with no error. */
export const offsetFetch: ApiHandler = (ctx, r, header) => {
  const v = header.apiVersion;
  const groupId = r.string();
  const requested = r.nullableArray(
    (t) => ({ name: t.string(), partitions: t.array((p) => p.int32(), 4) }),
    6,
  );
  const topics =
    requested ??
    Object.entries(
      ctx.groups
        .committedPartitions(groupId)
        .reduce<Record<string, number[]>>((acc, { topic, partition }) => {
          acc[topic] = [...(acc[topic] ?? []), partition];
          return acc;
        }, {}),
    ).map(([name, partitions]) => ({ name, partitions }));
  const w = new Writer();
  if (v >= 3) w.int32(0);
  w.array(topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, partition) => {
      const committed = ctx.groups.fetchOffset(groupId, t.name, partition);
      w.int32(partition)
        .int64(committed?.offset ?? -1)
        .nullableString(committed?.metadata ?? '')
        .int16(KafkaError.NONE);
    });
  });
  if (v >= 2) w.int16(KafkaError.NONE);
  return w;
};

/** DescribeGroups v0–v2; an unknown group is "Dead" with no error. */
export const describeGroups: ApiHandler = (ctx, r, header) => {
  const ids = r.array((g) => g.string(), 2);
  const w = new Writer();
  if (header.apiVersion >= 1) w.int32(0);
  return w.array(ids, (w, id) => {
    const g = ctx.groups.describe(id);
    w.int16(KafkaError.NONE).string(id).string(g.state).string(g.protocolType).string(g.protocol);
    w.array(g.members, (w, m) => {
      w.string(m.memberId).string(m.clientId).string(m.clientHost).bytes(m.metadata).bytes(m.assignment);
    });
  });
};

/** ListGroups v0–v2. */
export const listGroups: ApiHandler = (ctx, _r, header) => {
  const w = new Writer();
  if (header.apiVersion >= 1) w.int32(0);
  w.int16(KafkaError.NONE);
  return w.array(ctx.groups.list(), (w, g) => w.string(g.groupId).string(g.protocolType));
};
