import { API_SPECS, type Broker, encodeRecordBatch } from '@hexcast/core';
import {
  apiVersionsV3,
  Connection,
  createTopicsV7,
  deleteTopicsV6,
  describeGroupsV5,
  fetchV16,
  findCoordinatorV4,
  heartbeatV4,
  initProducerIdV4,
  joinGroupV9,
  leaveGroupV5,
  listGroupsV4,
  listOffsetsV8,
  metadataV12,
  offsetCommitV8,
  offsetFetchV8,
  produceV10,
  saslAuthenticateV2,
  saslHandshakeV1,
  syncGroupV5,
} from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { classic, RawKafkaClient } from '../../helpers/raw-kafka.js';

/**
 * Every API the broker serves, on the wire at the newest version it advertises (encoded and
 * decoded by @platformatic/kafka's per-version functions: another lineage's codec) and at the
 * oldest version it implements (hand-built frames, read back field by field here).
 */

const NEWEST: Record<string, number> = {
  Produce: produceV10.api.version,
  Fetch: fetchV16.api.version,
  ListOffsets: listOffsetsV8.api.version,
  Metadata: metadataV12.api.version,
  OffsetCommit: offsetCommitV8.api.version,
  OffsetFetch: offsetFetchV8.api.version,
  FindCoordinator: findCoordinatorV4.api.version,
  JoinGroup: joinGroupV9.api.version,
  Heartbeat: heartbeatV4.api.version,
  LeaveGroup: leaveGroupV5.api.version,
  SyncGroup: syncGroupV5.api.version,
  DescribeGroups: describeGroupsV5.api.version,
  ListGroups: listGroupsV4.api.version,
  SaslHandshake: saslHandshakeV1.api.version,
  ApiVersions: apiVersionsV3.api.version,
  CreateTopics: createTopicsV7.api.version,
  DeleteTopics: deleteTopicsV6.api.version,
  InitProducerId: initProducerIdV4.api.version,
  SaslAuthenticate: saslAuthenticateV2.api.version,
};

describe('every advertised API at its newest version (@platformatic/kafka codec)', () => {
  let broker: Broker;
  let sasl: Broker;
  let connection: Connection;

  beforeAll(async () => {
    broker = await startBroker({ autoCreateTopics: false });
    sasl = await startBroker({ saslUsers: { alice: 'secret' } });
    connection = new Connection('newest');
    await connection.connect('127.0.0.1', broker.port);
  });
  afterAll(async () => {
    await connection?.close();
    await broker?.close();
    await sasl?.close();
  });

  it('covers exactly the advertised maxima', () => {
    expect(Object.fromEntries(API_SPECS.map((a) => [a.name, a.maxVersion]))).toEqual(NEWEST);
  });

  it('topics, producing and fetching by topic id', async () => {
    const versions = await apiVersionsV3.api.async(connection, 'newest', '1.0.0');
    expect(versions.apiKeys.length).toBe(API_SPECS.length);
    const created = await createTopicsV7.api.async(
      connection,
      [{ name: 'newest', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      1000,
      false,
    );
    const topicId = created.topics[0]!.topicId;
    expect(topicId).not.toBe('00000000-0000-0000-0000-000000000000');
    const metadata = await metadataV12.api.async(connection, ['newest'], false, true);
    expect(metadata.topics[0]).toMatchObject({ name: 'newest', topicId });
    expect(metadata.topics[0]!.partitions).toHaveLength(2);

    const producer = await initProducerIdV4.api.async(connection, null, 60_000, -1n, -1);
    expect(producer.producerId).toBeGreaterThanOrEqual(0n);
    const produced = await produceV10.api.async(connection, -1, 5000, [
      { topic: 'newest', partition: 1, key: Buffer.from('k'), value: Buffer.from('hello') },
    ]);
    expect((produced as produceV10.ProduceResponse).responses[0]!.partitionResponses[0]).toMatchObject({
      index: 1,
      errorCode: 0,
      baseOffset: 0n,
    });

    const fetched = await fetchV16.api.async(
      connection,
      0,
      1,
      1 << 20,
      0,
      0,
      -1,
      [
        {
          topicId,
          partitions: [
            {
              partition: 1,
              currentLeaderEpoch: -1,
              fetchOffset: 0n,
              lastFetchedEpoch: -1,
              partitionMaxBytes: 1 << 20,
            },
          ],
        },
      ],
      [],
      '',
    );
    const partition = fetched.responses[0]!.partitions[0]!;
    expect(fetched.responses[0]!.topicId).toBe(topicId);
    expect(partition.highWatermark).toBe(1n);
    expect(partition.records?.[0]?.records[0]?.value?.toString()).toBe('hello');

    const offsets = await listOffsetsV8.api.async(connection, -1, 0, [
      { name: 'newest', partitions: [{ partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1n }] },
    ]);
    expect(offsets.topics[0]!.partitions[0]!.offset).toBe(1n);
    // A later timestamp at offset 1: v7's max timestamp (KIP-734) finds it; v8's earliest local is
    // the earliest, its latest tiered none (nothing is tiered here).
    await produceV10.api.async(connection, -1, 5000, [
      { topic: 'newest', partition: 1, value: Buffer.from('later'), timestamp: BigInt(Date.now() + 60_000) },
    ]);
    const special = await listOffsetsV8.api.async(connection, -1, 0, [
      {
        name: 'newest',
        partitions: [-3n, -4n, -5n].map((timestamp) => ({
          partitionIndex: 1,
          currentLeaderEpoch: -1,
          timestamp,
        })),
      },
    ]);
    expect(special.topics[0]!.partitions.map((p) => p.offset)).toEqual([1n, 0n, -1n]);

    await deleteTopicsV6.api.async(connection, [{ name: null as unknown as string, topicId }], 1000);
    expect(broker.topics.get('newest')).toBeUndefined();
  });

  it('a consumer group from FindCoordinator to LeaveGroup', async () => {
    const coordinator = await findCoordinatorV4.api.async(connection, 0, ['newest-group']);
    expect(coordinator.coordinators[0]).toMatchObject({
      key: 'newest-group',
      port: broker.port,
      errorCode: 0,
    });
    const protocols = [{ name: 'range', metadata: Buffer.from('m') }];
    // KIP-394: the first join learns its member id.
    const first = await joinGroupV9.api
      .async(connection, 'newest-group', 10_000, 10_000, '', null, 'consumer', protocols, null)
      .catch((error: { response: { errorCode: number; memberId: string } }) => error.response);
    expect(first.errorCode).toBe(79);
    const joined = await joinGroupV9.api.async(
      connection,
      'newest-group',
      10_000,
      10_000,
      first.memberId!,
      null,
      'consumer',
      protocols,
      'because',
    );
    expect(joined).toMatchObject({ leader: first.memberId, memberId: first.memberId, protocolName: 'range' });
    const synced = await syncGroupV5.api.async(
      connection,
      'newest-group',
      joined.generationId,
      joined.memberId!,
      null,
      'consumer',
      'range',
      [{ memberId: joined.memberId!, assignment: Buffer.from('a') }],
    );
    expect(synced.assignment.toString()).toBe('a');
    await heartbeatV4.api.async(connection, 'newest-group', joined.generationId, joined.memberId!, null);
    broker.createTopic('newest-offsets', { partitions: 1 });
    await offsetCommitV8.api.async(connection, 'newest-group', joined.generationId, joined.memberId, null, [
      {
        name: 'newest-offsets',
        partitions: [
          { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: 'md' },
        ],
      },
    ]);
    const fetched = await offsetFetchV8.api.async(
      connection,
      [
        {
          groupId: 'newest-group',
          memberEpoch: -1,
          topics: [{ name: 'newest-offsets', partitionIndexes: [0] }],
        },
        { groupId: 'other-group', memberEpoch: -1, topics: null as never },
      ],
      false,
    );
    expect(fetched.groups[0]!.topics[0]!.partitions[0]).toMatchObject({
      committedOffset: 42n,
      metadata: 'md',
    });
    expect(fetched.groups[1]).toMatchObject({ groupId: 'other-group', topics: [] });
    const described = await describeGroupsV5.api.async(connection, ['newest-group'], true);
    expect(described.groups[0]).toMatchObject({ groupId: 'newest-group', groupState: 'Stable' });
    const listed = await listGroupsV4.api.async(connection, ['STABLE'], []);
    expect(listed.groups.map((g) => [g.groupId, g.groupState])).toEqual([['newest-group', 'Stable']]);
    const left = await leaveGroupV5.api.async(connection, 'newest-group', [
      { memberId: joined.memberId!, groupInstanceId: null, reason: 'done' },
    ]);
    expect(left.members[0]).toMatchObject({ memberId: joined.memberId, errorCode: 0 });
  });

  it('SaslHandshake v1 and SaslAuthenticate v2 (PLAIN)', async () => {
    const secured = new Connection('newest-sasl');
    await secured.connect('127.0.0.1', sasl.port);
    try {
      const handshake = await saslHandshakeV1.api.async(secured, 'PLAIN');
      expect(handshake.mechanisms).toContain('SCRAM-SHA-512');
      const auth = await saslAuthenticateV2.api.async(secured, Buffer.from('\0alice\0secret'));
      expect(auth.errorCode).toBe(0);
      const metadata = await metadataV12.api.async(secured, null, false, false);
      expect(metadata.brokers.length).toBe(1);
    } finally {
      await secured.close();
    }
  });
});

const { i8, i16, i32, i64, str, bytes, arr } = classic;

/** Reads a classic response body field by field. */
class Body {
  at = 0;
  constructor(readonly b: Buffer) {}
  i8() {
    return this.b.readInt8(this.at++);
  }
  i16() {
    const v = this.b.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  i32() {
    const v = this.b.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  i64() {
    const v = Number(this.b.readBigInt64BE(this.at));
    this.at += 8;
    return v;
  }
  str() {
    const n = this.i16();
    if (n < 0) return null;
    const s = this.b.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
  bytes() {
    const n = this.i32();
    const out = this.b.subarray(this.at, this.at + Math.max(0, n));
    this.at += Math.max(0, n);
    return out;
  }
}

describe('every API at the oldest version the broker implements (hand-built frames)', () => {
  let broker: Broker;
  let client: RawKafkaClient;
  let correlation = 0;
  const ask = async (name: string, version: number, body: Buffer) => {
    const spec = API_SPECS.find((a) => a.name === name)!;
    expect(version).toBe(spec.minImplemented);
    const id = ++correlation;
    const frame = await client.request(spec.key, version, id, body, 'oldest');
    expect(frame.readInt32BE(0)).toBe(id);
    return new Body(frame.subarray(4));
  };

  beforeAll(async () => {
    broker = await startBroker({ autoCreateTopics: false });
    client = await RawKafkaClient.connect(broker.port);
  });
  afterAll(async () => {
    client?.close();
    await broker?.close();
  });

  it('ApiVersions v0 lists every API from version 0', async () => {
    const r = await ask('ApiVersions', 0, Buffer.alloc(0));
    expect(r.i16()).toBe(0);
    const count = r.i32();
    const apis = Array.from({ length: count }, () => [r.i16(), r.i16(), r.i16()]);
    expect(apis).toEqual(API_SPECS.map((a) => [a.key, 0, a.maxVersion]));
  });

  it('topics, producing and fetching: CreateTopics v0, Metadata v0, InitProducerId v0, Produce v3, Fetch v4, ListOffsets v1, DeleteTopics v0', async () => {
    let r = await ask(
      'CreateTopics',
      0,
      Buffer.concat([arr([Buffer.concat([str('oldest'), i32(2), i16(1), arr([]), arr([])])]), i32(1000)]),
    );
    expect([r.i32(), r.str(), r.i16()]).toEqual([1, 'oldest', 0]);

    r = await ask('Metadata', 0, arr([str('oldest')]));
    expect(r.i32()).toBe(1); // brokers
    expect([r.i32(), r.str(), r.i32()]).toEqual([0, '127.0.0.1', broker.port]);
    expect([r.i32(), r.i16(), r.str(), r.i32()]).toEqual([1, 0, 'oldest', 2]);

    r = await ask('InitProducerId', 0, Buffer.concat([str(null), i32(60_000)]));
    expect([r.i32(), r.i16()]).toEqual([0, 0]);
    const producerId = r.i64();
    const epoch = r.i16();
    const batch = encodeRecordBatch(
      [{ key: 'k', value: 'old', timestamp: 1_700_000_000_000 }],
      producerId,
      epoch,
      0,
    );
    r = await ask(
      'Produce',
      3,
      Buffer.concat([
        str(null),
        i16(-1),
        i32(5000),
        arr([Buffer.concat([str('oldest'), arr([Buffer.concat([i32(0), bytes(batch)])])])]),
      ]),
    );
    expect([r.i32(), r.str(), r.i32(), r.i32(), r.i16(), r.i64()]).toEqual([1, 'oldest', 1, 0, 0, 0]);

    r = await ask(
      'Fetch',
      4,
      Buffer.concat([
        i32(-1),
        i32(0),
        i32(1),
        i32(1 << 20),
        i8(0),
        arr([Buffer.concat([str('oldest'), arr([Buffer.concat([i32(0), i64(0), i32(1 << 20)])])])]),
      ]),
    );
    r.i32(); // throttle
    expect([r.i32(), r.str(), r.i32(), r.i32(), r.i16(), r.i64(), r.i64()]).toEqual([
      1,
      'oldest',
      1,
      0,
      0,
      1,
      1,
    ]);
    expect(r.i32()).toBe(0); // aborted transactions
    expect(r.bytes().length).toBe(batch.length);

    r = await ask(
      'ListOffsets',
      1,
      Buffer.concat([
        i32(-1),
        arr([Buffer.concat([str('oldest'), arr([Buffer.concat([i32(0), i64(-1)])])])]),
      ]),
    );
    expect([r.i32(), r.str(), r.i32(), r.i32(), r.i16(), r.i64(), r.i64()]).toEqual([
      1,
      'oldest',
      1,
      0,
      0,
      -1,
      1,
    ]);

    r = await ask('DeleteTopics', 0, Buffer.concat([arr([str('oldest')]), i32(1000)]));
    expect([r.i32(), r.str(), r.i16()]).toEqual([1, 'oldest', 0]);
    expect(broker.topics.get('oldest')).toBeUndefined();
  });

  it('a group at v0 (JoinGroup v0 joins with an empty member id at once: no MEMBER_ID_REQUIRED before v4)', async () => {
    let r = await ask('FindCoordinator', 0, str('oldest-group'));
    expect([r.i16(), r.i32(), r.str(), r.i32()]).toEqual([0, 0, '127.0.0.1', broker.port]);

    r = await ask(
      'JoinGroup',
      0,
      Buffer.concat([
        str('oldest-group'),
        i32(10_000),
        str(''),
        str('consumer'),
        arr([Buffer.concat([str('range'), bytes(Buffer.from('m'))])]),
      ]),
    );
    expect(r.i16()).toBe(0);
    const generation = r.i32();
    expect(r.str()).toBe('range');
    const leader = r.str()!;
    const memberId = r.str()!;
    expect(memberId).not.toBe('');
    expect(leader).toBe(memberId);
    expect(r.i32()).toBe(1);

    r = await ask(
      'SyncGroup',
      0,
      Buffer.concat([
        str('oldest-group'),
        i32(generation),
        str(memberId),
        arr([Buffer.concat([str(memberId), bytes(Buffer.from('a'))])]),
      ]),
    );
    expect(r.i16()).toBe(0);
    expect(r.bytes().toString()).toBe('a');

    r = await ask('Heartbeat', 0, Buffer.concat([str('oldest-group'), i32(generation), str(memberId)]));
    expect(r.i16()).toBe(0);

    broker.createTopic('oldest-offsets', { partitions: 1 });
    r = await ask(
      'OffsetCommit',
      2,
      Buffer.concat([
        str('oldest-group'),
        i32(generation),
        str(memberId),
        i64(-1),
        arr([Buffer.concat([str('oldest-offsets'), arr([Buffer.concat([i32(0), i64(7), str('md')])])])]),
      ]),
    );
    expect([r.i32(), r.str(), r.i32(), r.i32(), r.i16()]).toEqual([1, 'oldest-offsets', 1, 0, 0]);

    r = await ask(
      'OffsetFetch',
      1,
      Buffer.concat([str('oldest-group'), arr([Buffer.concat([str('oldest-offsets'), arr([i32(0)])])])]),
    );
    expect([r.i32(), r.str(), r.i32(), r.i32(), r.i64(), r.str(), r.i16()]).toEqual([
      1,
      'oldest-offsets',
      1,
      0,
      7,
      'md',
      0,
    ]);

    r = await ask('DescribeGroups', 0, arr([str('oldest-group')]));
    expect([r.i32(), r.i16(), r.str(), r.str(), r.str(), r.str()]).toEqual([
      1,
      0,
      'oldest-group',
      'Stable',
      'consumer',
      'range',
    ]);

    r = await ask('ListGroups', 0, Buffer.alloc(0));
    expect([r.i16(), r.i32(), r.str(), r.str()]).toEqual([0, 1, 'oldest-group', 'consumer']);

    r = await ask('LeaveGroup', 0, Buffer.concat([str('oldest-group'), str(memberId)]));
    expect(r.i16()).toBe(0);
  });

  it('SaslHandshake v1 and SaslAuthenticate v0 (PLAIN)', async () => {
    const sasl = await startBroker({ saslUsers: { alice: 'secret' } });
    const secured = await RawKafkaClient.connect(sasl.port);
    try {
      let frame = await secured.request(17, 1, 1, str('PLAIN'));
      let r = new Body(frame.subarray(4));
      expect(r.i16()).toBe(0);
      frame = await secured.request(36, 0, 2, bytes(Buffer.from('\0alice\0secret')));
      r = new Body(frame.subarray(4));
      expect([r.i16(), r.str()]).toEqual([0, null]);
    } finally {
      secured.close();
      await sasl.close();
    }
  });
});
