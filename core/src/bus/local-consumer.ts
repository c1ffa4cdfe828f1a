import { EventEmitter } from 'node:events';
import type { Kafka } from 'kafkajs';
import type { JoinRequest, JoinResponse, SyncResponse } from '../broker/index.js';
import { HexcastError } from '../errors/index.js';
import { decodeRecords, KafkaError, Reader, readBatchHeader, Writer } from '../kafka-protocol/index.js';
import type { Logger } from '../observability/index.js';
import { backoffMs, sleep } from './retry.js';

/** One partition's log, as the embedded broker holds it. */
export interface LocalPartitionLog {
  readonly highWatermark: number;
  readonly logStartOffset: number;
  /** Whole record batches from the one holding `offset`, up to `maxBytes` (at least one). */
  read(offset: number, maxBytes: number, minOne?: boolean): { chunks: Buffer[]; bytes: number };
  /** The bytes `read(offset, maxBytes)` would return, without reading them. */
  readableBytes(offset: number, maxBytes: number): number;
}

/**
 * What a consumer in the embedded broker's own process reads instead of speaking Kafka to it over
 * TCP: its logs, its group coordinator (the same state machine remote members join) and its wake-up
 * on append. The broker (`core/src/broker`) is one.
 */
export interface LocalBus {
  readonly topics: {
    get(name: string): { readonly partitions: readonly LocalPartitionLog[] } | undefined;
  };
  /** The topic as a client's Metadata request finds it: created when the broker auto-creates topics. */
  topicOrAutoCreate(name: string): { readonly partitions: readonly LocalPartitionLog[] } | undefined;
  readonly groups: {
    join(request: JoinRequest): Promise<JoinResponse>;
    sync(
      groupId: string,
      generationId: number,
      memberId: string,
      assignments: Array<{ memberId: string; assignment: Buffer }>,
    ): Promise<SyncResponse>;
    heartbeat(groupId: string, generationId: number, memberId: string): number;
    leave(groupId: string, memberId: string): number;
    commit(
      groupId: string,
      generationId: number,
      memberId: string,
      entries: Array<{ topic: string; partition: number; offset: number; metadata: string | null }>,
    ): number | Promise<number>;
    fetchOffset(groupId: string, topic: string, partition: number): { offset: number } | undefined;
  };
  /**
   * Resolves once appends to the partitions add up to `minBytes` (true; default 1), the timeout
   * passes (true) or the broker closes (false).
   */
  waitForAppend(
    partitions: Array<{ topic: string; partition: number }>,
    timeoutMs: number,
    minBytes?: number,
  ): Promise<boolean>;
}

const LOCAL = new WeakMap<Kafka, LocalBus>();

/**
 * Marks `kafka` as a client of the broker running in this process: its consumers (`ConsumerRunner`)
 * then read the broker's logs and join its groups in-process. Admin calls and remote members of
 * the same groups still go over the wire, to the same state.
 */
export function attachLocalBus(kafka: Kafka, bus: LocalBus): void {
  LOCAL.set(kafka, bus);
}

export function localBusOf(kafka: Kafka): LocalBus | undefined {
  return LOCAL.get(kafka);
}

/** What `ConsumerRunner` reads of a record: kafkajs' `KafkaMessage` has these fields too. */
export interface RunnerMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** What `ConsumerRunner` uses of a batch call: a subset of kafkajs' `EachBatchPayload`. */
export interface RunnerBatchPayload {
  batch: { topic: string; partition: number; highWatermark: string; messages: RunnerMessage[] };
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

/** What `ConsumerRunner` uses of a consumer: a subset of kafkajs' `Consumer`. */
export interface RunnerConsumer {
  readonly events: { readonly REBALANCING: string; readonly GROUP_JOIN: string };
  on(event: string, listener: () => void): unknown;
  connect(): Promise<void>;
  subscribe(options: { topic: string; fromBeginning?: boolean }): Promise<void>;
  run(options: {
    eachBatchAutoResolve: false;
    autoCommit: false;
    partitionsConsumedConcurrently: number;
    eachBatch: (payload: RunnerBatchPayload) => Promise<void>;
  }): Promise<void>;
  pause(topics: Array<{ topic: string }>): void;
  resume(topics: Array<{ topic: string }>): void;
  commitOffsets(offsets: Array<{ topic: string; partition: number; offset: string }>): Promise<void>;
  disconnect(): Promise<void>;
}

export interface LocalConsumerOptions {
  groupId: string;
  clientId: string;
  logger: Logger;
  sessionTimeout: number;
  heartbeatInterval: number;
  maxWaitTimeInMs: number;
  minBytes: number;
  /** Per partition per fetch (kafkajs' default: 1 MiB). */
  maxBytesPerPartition?: number;
  /** Per fetch over all partitions (kafkajs' default: 10 MiB). */
  maxBytes?: number;
}

/**
 * The assignment protocol kafkajs' members speak (its `RoundRobinAssigner`, the standard consumer
 * protocol's encoding): local and remote members of one group agree on it, whoever leads.
 */
const PROTOCOL = 'RoundRobinAssigner';
const REBALANCE_TIMEOUT_MS = 60_000;
/** Backoff between refused joins and after a failed batch (kafkajs' client defaults). */
const RETRY = { retries: 8, initialMs: 100, maxMs: 5_000 };

interface Fetched {
  topic: string;
  partition: number;
  highWatermark: number;
  messages: RunnerMessage[];
}

/**
 * A group member in the embedded broker's process: it joins the broker's coordinator and reads
 * its logs by function call, and hands batches to `ConsumerRunner` the way kafkajs does (a batch
 * per partition with records, `partitionsConsumedConcurrently` at once, the next fetch once they
 * are done; what was not resolved is read again). What it skips is the protocol: no request
 * encoded, sent, parsed and answered per fetch, heartbeat and commit.
 */
export class LocalConsumer implements RunnerConsumer {
  readonly events = { REBALANCING: 'consumer.rebalancing', GROUP_JOIN: 'consumer.group_join' } as const;
  readonly #bus: LocalBus;
  readonly #options: LocalConsumerOptions;
  readonly #emitter = new EventEmitter();
  readonly #topics: string[] = [];
  #fromBeginning = true;
  #memberId = '';
  #generation = -1;
  #assigned: Array<{ topic: string; partition: number }> = [];
  /** The next offset to read, by `topic\0partition`: the last resolved one + 1. */
  readonly #positions = new Map<string, number>();
  readonly #paused = new Set<string>();
  #running = false;
  #rejoin = false;
  #loop: Promise<void> | null = null;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #interrupt: (() => void) | null = null;
  #joining = false;

  constructor(bus: LocalBus, options: LocalConsumerOptions) {
    this.#bus = bus;
    this.#options = options;
  }

  on(event: string, listener: () => void): this {
    this.#emitter.on(event, listener);
    return this;
  }

  async connect(): Promise<void> {}

  async subscribe(options: { topic: string; fromBeginning?: boolean }): Promise<void> {
    if (!this.#topics.includes(options.topic)) this.#topics.push(options.topic);
    this.#fromBeginning = options.fromBeginning ?? false;
  }

  /** Joins the group (resolves once a member with an assignment), then fetches until `disconnect`. */
  async run(options: Parameters<RunnerConsumer['run']>[0]): Promise<void> {
    this.#running = true;
    await this.#join();
    // Closed while its first join waited (its member id unknown until the join answered): it
    // leaves now, instead of holding partitions nobody reads until its session times out and
    // starting a heartbeat timer nobody would clear.
    if (!this.#running) return this.#leave();
    this.#heartbeatTimer = setInterval(() => this.#heartbeat(), this.#options.heartbeatInterval);
    this.#loop = this.#fetchLoop(options.eachBatch, Math.max(1, options.partitionsConsumedConcurrently));
  }

  pause(topics: Array<{ topic: string }>): void {
    for (const { topic } of topics) this.#paused.add(topic);
  }

  resume(topics: Array<{ topic: string }>): void {
    for (const { topic } of topics) this.#paused.delete(topic);
    this.#wake();
  }

  async commitOffsets(offsets: Array<{ topic: string; partition: number; offset: string }>): Promise<void> {
    const code = await this.#bus.groups.commit(
      this.#options.groupId,
      this.#generation,
      this.#memberId,
      offsets.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: Number(o.offset),
        metadata: null,
      })),
    );
    if (code !== KafkaError.NONE)
      throw new HexcastError('HX_BUS_COMMIT_FAILED', `offset commit refused (Kafka error ${code})`, {
        details: { groupId: this.#options.groupId, errorCode: code },
      });
  }

  /** Stops fetching, waits for the batches in hand, leaves the group. */
  async disconnect(): Promise<void> {
    this.#running = false;
    this.#wake();
    clearInterval(this.#heartbeatTimer);
    // A rejoin parked until the other members rejoin (up to the rebalance timeout) ends now: the
    // coordinator answers a member that leaves UNKNOWN_MEMBER_ID, and the loop sees it stopped.
    if (this.#joining) this.#leave();
    await this.#loop;
    this.#leave();
  }

  #leave(): void {
    if (this.#memberId !== '') this.#bus.groups.leave(this.#options.groupId, this.#memberId);
    this.#memberId = '';
  }

  #wake(): void {
    const interrupt = this.#interrupt;
    this.#interrupt = null;
    interrupt?.();
  }

  #heartbeat(): void {
    if (!this.#running || this.#rejoin) return;
    const code = this.#bus.groups.heartbeat(this.#options.groupId, this.#generation, this.#memberId);
    if (code === KafkaError.NONE) return;
    if (code === KafkaError.UNKNOWN_MEMBER_ID) this.#memberId = '';
    this.#rejoin = true;
    this.#wake();
  }

  /** JoinGroup then SyncGroup until this member has a generation and an assignment. */
  async #join(): Promise<void> {
    this.#joining = true;
    try {
      await this.#joinOnce();
    } finally {
      this.#joining = false;
    }
  }

  async #joinOnce(): Promise<void> {
    const { groupId, clientId, sessionTimeout } = this.#options;
    // What kafkajs' Metadata request does before it joins (a topic no one has produced to yet).
    for (const topic of this.#topics) this.#bus.topicOrAutoCreate(topic);
    for (let attempt = 0; this.#running; attempt++) {
      const joined = await this.#bus.groups.join({
        groupId,
        sessionTimeoutMs: sessionTimeout,
        rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
        memberId: this.#memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: PROTOCOL, metadata: encodeSubscription(this.#topics) }],
        clientId,
        clientHost: 'in-process',
        requireKnownMemberId: false,
      });
      if (joined.errorCode === KafkaError.UNKNOWN_MEMBER_ID) {
        this.#memberId = '';
        continue;
      }
      if (joined.errorCode !== KafkaError.NONE) {
        this.#options.logger.warn({ groupId, errorCode: joined.errorCode }, 'join refused; retrying');
        await sleep(backoffMs(RETRY, Math.min(attempt, RETRY.retries)));
        continue;
      }
      this.#memberId = joined.memberId;
      this.#generation = joined.generationId;
      const assignments = joined.leader === joined.memberId ? this.#assign(joined.members) : [];
      const synced = await this.#bus.groups.sync(groupId, joined.generationId, joined.memberId, assignments);
      if (synced.errorCode === KafkaError.UNKNOWN_MEMBER_ID) this.#memberId = '';
      if (synced.errorCode !== KafkaError.NONE) continue;
      this.#assigned = decodeAssignment(synced.assignment);
      this.#positions.clear();
      for (const { topic, partition } of this.#assigned) {
        const committed = this.#bus.groups.fetchOffset(groupId, topic, partition)?.offset ?? -1;
        const log = this.#log(topic, partition);
        if (log !== undefined)
          this.#positions.set(key(topic, partition), committed >= 0 ? committed : this.#reset(log));
      }
      this.#rejoin = false;
      this.#emitter.emit(this.events.GROUP_JOIN);
      return;
    }
  }

  /** The leader's assignment: every subscribed partition round robin over the members, sorted (kafkajs' order). */
  #assign(members: Array<{ memberId: string; metadata: Buffer }>) {
    const topics = [...new Set(members.flatMap((m) => decodeSubscription(m.metadata)))];
    const ids = members.map((m) => m.memberId).sort();
    const byMember = new Map<string, Map<string, number[]>>(ids.map((id) => [id, new Map()]));
    let i = 0;
    for (const topic of topics) {
      const count = this.#bus.topics.get(topic)?.partitions.length ?? 0;
      for (let partition = 0; partition < count; partition++, i++) {
        const mine = byMember.get(ids[i % ids.length]!)!;
        const list = mine.get(topic) ?? [];
        list.push(partition);
        mine.set(topic, list);
      }
    }
    return ids.map((memberId) => ({ memberId, assignment: encodeAssignment(byMember.get(memberId)!) }));
  }

  #log(topic: string, partition: number): LocalPartitionLog | undefined {
    return this.#bus.topics.get(topic)?.partitions[partition];
  }

  /** Where a partition with no (or an out-of-range) committed offset starts: `fromBeginning` or the end. */
  #reset(log: LocalPartitionLog): number {
    return this.#fromBeginning ? log.logStartOffset : log.highWatermark;
  }

  async #fetchLoop(
    eachBatch: (payload: RunnerBatchPayload) => Promise<void>,
    concurrency: number,
  ): Promise<void> {
    while (this.#running) {
      try {
        if (this.#rejoin) {
          // What is settled is committed by this generation before the group moves on.
          this.#emitter.emit(this.events.REBALANCING);
          await this.#join();
          continue;
        }
        // A turn of the event loop between fetches, as a fetch over the wire gives: a handler that
        // settles in microtasks alone must not keep sockets and timers waiting while records flow.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const fetched = await this.#fetch();
        if (fetched.length === 0) continue;
        const generation = this.#generation;
        let next = 0;
        const worker = async () => {
          while (next < fetched.length) await eachBatch(this.#payload(fetched[next++]!, generation));
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, fetched.length) }, worker));
      } catch (error) {
        // kafkajs' runner does the same with a batch that throws: logged, read again.
        this.#options.logger.error(
          { err: error, groupId: this.#options.groupId },
          'local consumer batch failed',
        );
        await sleep(backoffMs(RETRY, 3));
      }
    }
  }

  /**
   * The partitions' records from their positions; waits (Kafka's long poll) while under `minBytes`.
   * The wait counts what is appended to the partitions from then on, and returns once that makes
   * up what was missing (or at `maxWaitTimeInMs`): no read until there is enough to send.
   */
  async #fetch(): Promise<Fetched[]> {
    const deadline = performance.now() + this.#options.maxWaitTimeInMs;
    const minBytes = Math.max(1, this.#options.minBytes);
    for (;;) {
      const active = this.#assigned.filter((p) => !this.#paused.has(p.topic));
      const left = deadline - performance.now();
      const readable =
        left <= 0 || !this.#running || this.#rejoin ? minBytes : this.#readable(active, minBytes);
      if (readable >= minBytes) return this.#collect(active).batches;
      const interrupted = new Promise<boolean>((resolve) => {
        this.#interrupt = () => resolve(false);
      });
      const open = await Promise.race([
        this.#bus.waitForAppend(active, left, minBytes - readable),
        interrupted,
      ]);
      this.#interrupt = null;
      if (!open) return this.#collect(active).batches;
    }
  }

  /**
   * What `#collect` would read in bytes, from the logs' indexes, counted up to `enough`
   * (infinite where it would reset a position).
   */
  #readable(active: Array<{ topic: string; partition: number }>, enough: number): number {
    const perPartition = this.#options.maxBytesPerPartition ?? 1 << 20;
    let budget = this.#options.maxBytes ?? 10 << 20;
    let total = 0;
    for (const { topic, partition } of active) {
      if (budget <= 0 || total >= enough) break;
      const log = this.#log(topic, partition);
      const position = this.#positions.get(key(topic, partition));
      if (log === undefined || position === undefined) continue;
      if (position < log.logStartOffset || position > log.highWatermark) return Number.POSITIVE_INFINITY;
      if (position >= log.highWatermark) continue;
      const bytes = log.readableBytes(position, Math.min(perPartition, budget, enough - total));
      budget -= bytes;
      total += bytes;
    }
    return total;
  }

  #collect(active: Array<{ topic: string; partition: number }>): { batches: Fetched[]; bytes: number } {
    const perPartition = this.#options.maxBytesPerPartition ?? 1 << 20;
    let budget = this.#options.maxBytes ?? 10 << 20;
    const batches: Fetched[] = [];
    let total = 0;
    for (const { topic, partition } of active) {
      if (budget <= 0) break;
      const log = this.#log(topic, partition);
      const k = key(topic, partition);
      let position = this.#positions.get(k);
      if (log === undefined || position === undefined) continue;
      if (position < log.logStartOffset || position > log.highWatermark) {
        // Kafka's OFFSET_OUT_OF_RANGE, reset as kafkajs resets it.
        const reset = this.#reset(log);
        this.#options.logger.warn({ topic, partition, position, reset }, 'offset out of range; reset');
        position = reset;
        this.#positions.set(k, position);
      }
      if (position >= log.highWatermark) continue;
      const read = log.read(position, Math.min(perPartition, budget), true);
      budget -= read.bytes;
      total += read.bytes;
      const messages = decodeChunks(read.chunks, position);
      if (messages.length > 0) batches.push({ topic, partition, highWatermark: log.highWatermark, messages });
    }
    return { batches, bytes: total };
  }

  #payload(fetched: Fetched, generation: number): RunnerBatchPayload {
    const k = key(fetched.topic, fetched.partition);
    return {
      batch: {
        topic: fetched.topic,
        partition: fetched.partition,
        highWatermark: String(fetched.highWatermark),
        messages: fetched.messages,
      },
      resolveOffset: (offset) => {
        if (generation !== this.#generation) return;
        const next = Number(offset) + 1;
        if (next > (this.#positions.get(k) ?? -1)) this.#positions.set(k, next);
      },
      heartbeat: async () => this.#heartbeat(),
      isRunning: () => this.#running,
      isStale: () => generation !== this.#generation || this.#rejoin,
    };
  }
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The records of whole batches from `from` on. A batch whose codec the broker cannot decode
 * (snappy, lz4, zstd from a foreign producer) yields its offsets with no value, so the runner
 * dead-letters each with a reason code instead of the partition stalling on it.
 */
function decodeChunks(chunks: Buffer[], from: number): RunnerMessage[] {
  const messages: RunnerMessage[] = [];
  for (const chunk of chunks) {
    for (let pos = 0; pos < chunk.length; ) {
      const header = readBatchHeader(chunk, pos);
      if (header === null) break;
      const batch = chunk.subarray(pos, pos + header.size);
      pos += header.size;
      if ((header.attributes & 0x20) !== 0) continue; // a control batch (transactions): no records
      const records = decodeRecords(batch);
      if (records === null) {
        for (let o = header.baseOffset; o <= header.baseOffset + header.lastOffsetDelta; o++)
          if (o >= from) messages.push({ offset: String(o), key: null, value: null });
        continue;
      }
      for (const r of records)
        if (r.offset >= from) messages.push({ offset: String(r.offset), key: r.key, value: r.value });
    }
  }
  return messages;
}

/** ConsumerProtocol Subscription v0: the topics a member wants. */
function encodeSubscription(topics: string[]): Buffer {
  const w = new Writer(64);
  w.int16(0)
    .array(topics, (w, t) => w.string(t))
    .bytes(Buffer.alloc(0));
  return w.toBuffer();
}

function decodeSubscription(metadata: Buffer): string[] {
  try {
    const r = new Reader(metadata);
    r.int16();
    return r.array((r) => r.string());
  } catch {
    return [];
  }
}

/** ConsumerProtocol Assignment v0: topic → partitions. */
function encodeAssignment(assignment: Map<string, number[]>): Buffer {
  const w = new Writer(64);
  w.int16(0)
    .array([...assignment], (w, [topic, partitions]) =>
      w.string(topic).array(partitions, (w, p) => w.int32(p)),
    )
    .bytes(Buffer.alloc(0));
  return w.toBuffer();
}

function decodeAssignment(buffer: Buffer): Array<{ topic: string; partition: number }> {
  if (buffer.length < 2) return [];
  const r = new Reader(buffer);
  r.int16();
  return r
    .array((r) => {
      const topic = r.string();
      return r.array((r) => r.int32()).map((partition) => ({ topic, partition }));
    })
    .flat();
}
