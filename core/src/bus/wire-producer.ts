import { connect, isIP, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { HexcastError } from '../errors/index.js';
import {
  encodeRecordBatch,
  murmur2Text,
  type ProducerRecord,
  plainMessage,
  Reader,
  SaslError,
  type SaslMechanism,
  ScramClient,
  Writer,
} from '../kafka-protocol/index.js';
import { TLS_ERROR } from './kafka.js';
import { backoffMs, isRetriable, type RetryPolicy, sleep } from './retry.js';

/**
 * A Kafka produce client that does one thing: send keyed records with acks=all, idempotently,
 * the way the bus needs it. It exists because kafkajs' producer was the gateway's largest cost
 * after the GC it caused (an object, an encoder and a `Long` per record; a partition's array
 * rebuilt per message): here a partition's records are written straight into one record-batch
 * buffer. Plaintext, TLS, and SASL (PLAIN, SCRAM-SHA-256/512) as `busSecurity` configures.
 * Consumers and the admin client stay on kafkajs.
 *
 * Wire: Metadata v4, InitProducerId v0, Produce v7 (record batch v2), SaslHandshake v1 and
 * SaslAuthenticate v1 — all supported by Kafka 2.1 through 4.x and by the embedded broker.
 * Partitioning is Java's (murmur2 of the key, positive, modulo the partition count), as kafkajs'
 * default partitioner and Kafka's own clients do, so a key lands where the rest of the system
 * expects it.
 */

export type WireRecord = ProducerRecord;

export interface WireProducerOptions {
  brokers: readonly string[];
  clientId: string;
  /** Idempotent (producer id + sequence numbers): a retried batch is never written twice. */
  idempotent?: boolean;
  requestTimeoutMs?: number;
  /** Attempts per batch after the first, with exponential backoff from `retryBackoffMs`. */
  retries?: number;
  retryBackoffMs?: number;
  /** TLS to every broker; plaintext when unset. */
  tls?: ConnectionOptions;
  /** SASL credentials, sent on every new connection before any other request. */
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  /** Opens the socket to a broker (tests route it through a fault proxy); `net.connect` or `tls.connect` by default. */
  socketFactory?: (host: string, port: number) => Socket;
}

const API_PRODUCE = 0;
const API_METADATA = 3;
const API_INIT_PRODUCER_ID = 22;
const API_SASL_HANDSHAKE = 17;
const API_SASL_AUTHENTICATE = 36;

/** Kafka error codes that mean "try again, maybe elsewhere" (refreshing metadata first). */
const RETRIABLE = new Set([
  3, // UNKNOWN_TOPIC_OR_PARTITION
  5, // LEADER_NOT_AVAILABLE
  6, // NOT_LEADER_OR_FOLLOWER
  7, // REQUEST_TIMED_OUT
  13, // NETWORK_EXCEPTION
  14, // COORDINATOR_LOAD_IN_PROGRESS
  15, // COORDINATOR_NOT_AVAILABLE
  19, // NOT_ENOUGH_REPLICAS
  20, // NOT_ENOUGH_REPLICAS_AFTER_APPEND
]);
const DUPLICATE_SEQUENCE_NUMBER = 46;

/** A failed produce: the Kafka error code (or -1 for the network) and whether retrying may help. */
export class ProduceError extends HexcastError {
  constructor(
    readonly kafkaCode: number,
    message: string,
    retriable: boolean,
  ) {
    super('HX_BUS_PRODUCE_FAILED', message, { retriable });
  }
}

type ConnectOptions = Required<Omit<WireProducerOptions, 'tls' | 'sasl'>> &
  Pick<WireProducerOptions, 'tls' | 'sasl'>;

/** A connection refused at the SASL step: our credentials or mechanism; retrying will not help. */
function authError(address: string, why: string, cause?: unknown): HexcastError {
  return new HexcastError('HX_BUS_AUTH_FAILED', `broker ${address} refused SASL authentication: ${why}`, {
    cause,
  });
}

/** One partition's records on their way: encoded once, re-sent as is (same sequence) on retry. */
interface PartitionBatch {
  topic: string;
  partition: number;
  batch: Buffer;
}

export class WireProducer {
  readonly #o: ConnectOptions;
  readonly #retry: RetryPolicy;
  readonly #connections = new Map<string, Promise<Connection>>();
  #brokers = new Map<number, string>();
  /** Topic → leader node id per partition (index = partition). */
  #leaders = new Map<string, number[]>();
  #producerId = -1;
  #epoch = -1;
  readonly #sequences = new Map<string, number>();
  #closed = false;

  constructor(options: WireProducerOptions) {
    this.#o = {
      idempotent: true,
      requestTimeoutMs: 30_000,
      retries: 8,
      retryBackoffMs: 100,
      socketFactory: (host, port) =>
        options.tls === undefined
          ? connect({ host, port })
          : tlsConnect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...options.tls }),
      ...options,
    };
    this.#retry = { retries: this.#o.retries, initialMs: this.#o.retryBackoffMs, maxMs: 5_000 };
  }

  async connect(): Promise<void> {
    await this.#withRetries(() => this.#refreshMetadata([]));
    if (this.#o.idempotent) await this.#withRetries(() => this.#initProducerId());
  }

  async disconnect(): Promise<void> {
    this.#closed = true;
    const connections = await Promise.allSettled(this.#connections.values());
    for (const c of connections) if (c.status === 'fulfilled') c.value.close();
    this.#connections.clear();
  }

  /**
   * Sends the records (topic → records) and resolves once every one is acknowledged by all
   * in-sync replicas; rejects with a `ProduceError` once retries are spent. Records of one key
   * keep their order. One call at a time per producer (sequence numbers advance per call).
   */
  async send(byTopic: ReadonlyMap<string, readonly WireRecord[]>): Promise<void> {
    const unknown = () => [...byTopic.keys()].filter((t) => !this.#leaders.has(t));
    if (unknown().length > 0) {
      // A topic being auto-created has no leader for a moment: ask again.
      await this.#withRetries(async () => {
        await this.#refreshMetadata(unknown());
        if (unknown().length > 0) throw new ProduceError(3, `unknown topics: ${unknown().join(', ')}`, true);
      });
    }
    let pending: PartitionBatch[] = [];
    for (const [topic, records] of byTopic) pending.push(...this.#partitionBatches(topic, records));
    let attempt = 0;
    for (;;) {
      const failed = await this.#sendOnce(pending);
      if (failed.length === 0) return;
      const worst = failed.find((f) => !f.error.retriable)?.error;
      if (worst !== undefined || attempt >= this.#retry.retries || this.#closed) {
        // Sequence numbers were spent on batches that may not have been written: start over
        // with a new producer id rather than leave a gap the broker would refuse.
        if (this.#o.idempotent) await this.#reset();
        throw worst ?? failed[0]!.error;
      }
      await sleep(backoffMs(this.#retry, attempt));
      attempt++;
      await this.#refreshMetadata([...new Set(failed.map((f) => f.batch.topic))]).catch(() => undefined);
      pending = failed.map((f) => f.batch);
    }
  }

  /** Groups one topic's records by partition and encodes each group as one record batch. */
  #partitionBatches(topic: string, records: readonly WireRecord[]): PartitionBatch[] {
    const partitions = this.#leaders.get(topic)!.length;
    const groups = groupBy(records, (record) => (murmur2Text(record.key) & 0x7fffffff) % partitions);
    const out: PartitionBatch[] = [];
    for (const [partition, group] of groups) {
      const id = `${topic}:${partition}`;
      const sequence = this.#o.idempotent ? (this.#sequences.get(id) ?? 0) : -1;
      const batch = encodeRecordBatch(group, this.#producerId, this.#epoch, sequence);
      if (this.#o.idempotent) this.#sequences.set(id, (sequence + group.length) % 2 ** 31);
      out.push({ topic, partition, batch });
    }
    return out;
  }

  /** One produce request per leader; returns the partitions that failed and why. */
  async #sendOnce(batches: PartitionBatch[]): Promise<Array<{ batch: PartitionBatch; error: ProduceError }>> {
    const failed: Array<{ batch: PartitionBatch; error: ProduceError }> = [];
    const byLeader = groupBy(batches, (b) => this.#leaders.get(b.topic)?.[b.partition] ?? -1);
    for (const [leader, list] of byLeader) {
      if (leader >= 0 && this.#brokers.has(leader)) continue;
      byLeader.delete(leader);
      for (const b of list)
        failed.push({
          batch: b,
          error: new ProduceError(5, `no leader for ${b.topic}/${b.partition}`, true),
        });
    }
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        try {
          const connection = await this.#connection(this.#brokers.get(leader)!);
          const response = await connection.request(
            API_PRODUCE,
            7,
            produceRequest(list, this.#o.requestTimeoutMs),
          );
          const errors = readProduceResponse(response);
          for (const b of list) {
            const code = errors.get(`${b.topic}:${b.partition}`) ?? -1;
            if (code === 0 || code === DUPLICATE_SEQUENCE_NUMBER) continue;
            failed.push({
              batch: b,
              error: new ProduceError(
                code,
                `produce to ${b.topic}/${b.partition} failed: Kafka error ${code}`,
                RETRIABLE.has(code),
              ),
            });
          }
        } catch (cause) {
          const error =
            cause instanceof ProduceError
              ? cause
              : new ProduceError(-1, `produce request failed: ${(cause as Error).message}`, true);
          for (const b of list) failed.push({ batch: b, error });
        }
      }),
    );
    return failed;
  }

  async #connection(address: string): Promise<Connection> {
    let connection = this.#connections.get(address);
    if (connection !== undefined) {
      const ready = await connection.catch(() => null);
      if (ready !== null && !ready.closed) return ready;
    }
    connection = Connection.open(address, this.#o);
    this.#connections.set(address, connection);
    return connection;
  }

  /** Any reachable broker: a known one first, else the bootstrap list. */
  async #anyConnection(): Promise<Connection> {
    const addresses = [...new Set([...this.#brokers.values(), ...this.#o.brokers])];
    let last: unknown;
    for (const address of addresses) {
      try {
        return await this.#connection(address);
      } catch (error) {
        last = error;
      }
    }
    // Refused credentials or TLS: say so, do not retry.
    if (!isRetriable(last)) throw last;
    throw new ProduceError(
      -1,
      `no broker reachable (${addresses.join(', ')}): ${(last as Error)?.message}`,
      true,
    );
  }

  /** Metadata for `topics` (all known ones too; none = brokers only), auto-creating as kafkajs did. */
  async #refreshMetadata(topics: string[]): Promise<void> {
    const names = [...new Set([...this.#leaders.keys(), ...topics])];
    const w = new Writer();
    w.array(names, (w, name) => w.string(name)).bool(true);
    const connection = await this.#anyConnection();
    const r = new Reader(await connection.request(API_METADATA, 4, w.toBuffer()));
    r.int32(); // throttle
    const brokers = new Map<number, string>();
    r.array((r) => {
      const node = r.int32();
      const host = r.string();
      const port = r.int32();
      r.nullableString(); // rack
      brokers.set(node, `${host}:${port}`);
    });
    r.nullableString(); // cluster id
    r.int32(); // controller
    const leaders = new Map<string, number[]>();
    r.array((r) => {
      const error = r.int16();
      const name = r.string();
      r.bool(); // internal
      const partitions: number[] = [];
      r.array((r) => {
        r.int16(); // partition error: the leader says it all
        const index = r.int32();
        partitions[index] = r.int32();
        r.array((r) => r.int32()); // replicas
        r.array((r) => r.int32()); // isr
      });
      if (error === 0 && partitions.length > 0) leaders.set(name, partitions);
    });
    this.#brokers = brokers;
    for (const [name, partitions] of leaders) this.#leaders.set(name, partitions);
  }

  async #initProducerId(): Promise<void> {
    const w = new Writer();
    w.nullableString(null).int32(60_000);
    const connection = await this.#anyConnection();
    const r = new Reader(await connection.request(API_INIT_PRODUCER_ID, 0, w.toBuffer()));
    r.int32(); // throttle
    const error = r.int16();
    if (error !== 0)
      throw new ProduceError(error, `InitProducerId failed: Kafka error ${error}`, RETRIABLE.has(error));
    this.#producerId = r.int64();
    this.#epoch = r.int16();
    this.#sequences.clear();
  }

  /** After a failed send (or the broker lost our producer state): a new producer id, sequences from 0. */
  async #reset(): Promise<void> {
    await this.#initProducerId().catch(() => {
      this.#producerId = -1;
    });
  }

  async #withRetries<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (!isRetriable(error) || attempt >= this.#retry.retries || this.#closed) throw error;
        await sleep(backoffMs(this.#retry, attempt));
      }
    }
  }
}

/** Items grouped by a key, in arrival order within each group. */
export function groupBy<K, T>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

/** Produce v3–v7 request body: no transaction, acks=all. */
function produceRequest(batches: PartitionBatch[], timeoutMs: number): Buffer[] {
  const byTopic = groupBy(batches, (b) => b.topic);
  const w = new Writer();
  w.nullableString(null).int16(-1).int32(timeoutMs);
  w.array([...byTopic], (w, [topic, list]) => {
    w.string(topic);
    w.array(list, (w, b) => w.int32(b.partition).bytes(b.batch));
  });
  return w.chunks();
}

/** Produce v7 response → error code per `topic:partition`. */
function readProduceResponse(body: Buffer): Map<string, number> {
  const r = new Reader(body);
  const codes = new Map<string, number>();
  r.array((r) => {
    const topic = r.string();
    r.array((r) => {
      const partition = r.int32();
      codes.set(`${topic}:${partition}`, r.int16());
      r.int64(); // base offset
      r.int64(); // log append time
      r.int64(); // log start offset
    });
  });
  return codes;
}

/**
 * One TCP connection to a broker: requests framed with a v1 header (api key, version,
 * correlation id, client id), responses matched by correlation id (v0 response header).
 */
class Connection {
  #correlation = 0;
  readonly #pending = new Map<number, { resolve(body: Buffer): void; reject(error: Error): void }>();
  #buffer: Buffer = Buffer.alloc(0);
  closed = false;

  /** Whether any response came back: a connection closed before one points at TLS or SASL. */
  #answered = false;

  private constructor(
    readonly socket: Socket,
    readonly clientId: Buffer,
    readonly timeoutMs: number,
    readonly address: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () =>
      this.#fail(
        new Error(
          this.#answered
            ? 'connection closed'
            : `${address} closed the connection before answering: a listener that requires TLS or SASL closes plaintext or unauthenticated clients (KAFKA_SSL, KAFKA_SASL_MECHANISM)`,
        ),
      ),
    );
  }

  static async open(address: string, options: ConnectOptions): Promise<Connection> {
    const at = address.lastIndexOf(':');
    const host = address.slice(0, at);
    const port = Number(address.slice(at + 1));
    const connection = await new Promise<Connection>((resolve, reject) => {
      const socket = options.socketFactory(host, port);
      const timer = setTimeout(
        () => socket.destroy(new Error(`connect to ${address} timed out`)),
        options.requestTimeoutMs,
      );
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (options.tls !== undefined && error.code !== undefined && TLS_ERROR.test(error.code))
          reject(
            new HexcastError(
              'HX_BUS_TLS_FAILED',
              `TLS to ${address} failed (${error.code}): ${error.message}`,
              {
                cause: error,
              },
            ),
          );
        else reject(new ProduceError(-1, `cannot connect to ${address}: ${error.message}`, true));
      });
      socket.once(options.tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        resolve(new Connection(socket, Buffer.from(options.clientId), options.requestTimeoutMs, address));
      });
    });
    if (options.sasl === undefined) return connection;
    try {
      await connection.#authenticate(options.sasl);
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  /** SaslHandshake v1, then SaslAuthenticate v1 steps: one for PLAIN, two for SCRAM (whose server we verify). */
  async #authenticate({
    mechanism,
    username,
    password,
  }: NonNullable<WireProducerOptions['sasl']>): Promise<void> {
    const handshake = new Reader(
      await this.request(API_SASL_HANDSHAKE, 1, new Writer().string(mechanism).toBuffer()),
    );
    const code = handshake.int16();
    const offered = handshake.array((r) => r.string());
    if (code !== 0)
      throw authError(
        this.address,
        `${mechanism} is not enabled (the broker offers ${offered.join(', ') || 'none'})`,
      );
    const step = async (bytes: Buffer): Promise<Buffer> => {
      const r = new Reader(
        await this.request(API_SASL_AUTHENTICATE, 1, new Writer().bytes(bytes).toBuffer()),
      );
      const error = r.int16();
      const message = r.nullableString();
      const answer = r.bytes();
      if (error !== 0) throw authError(this.address, message ?? `Kafka error ${error}`);
      return answer;
    };
    if (mechanism === 'PLAIN') {
      await step(plainMessage(username, password));
      return;
    }
    const scram = new ScramClient(mechanism, username, password);
    try {
      const serverFirst = await step(Buffer.from(scram.first()));
      const serverFinal = await step(Buffer.from(scram.final(serverFirst.toString('utf8'))));
      scram.verify(serverFinal.toString('utf8'));
    } catch (error) {
      if (error instanceof SaslError) throw authError(this.address, error.message, error);
      throw error;
    }
  }

  request(apiKey: number, version: number, body: Buffer | Buffer[]): Promise<Buffer> {
    if (this.closed) return Promise.reject(new ProduceError(-1, 'connection closed', true));
    this.#correlation = (this.#correlation + 1) & 0x7fffffff;
    const correlation = this.#correlation;
    const parts = Array.isArray(body) ? body : [body];
    let size = 10 + this.clientId.length;
    for (const part of parts) size += part.length;
    const head = Buffer.allocUnsafe(14 + this.clientId.length);
    head.writeInt32BE(size, 0);
    head.writeInt16BE(apiKey, 4);
    head.writeInt16BE(version, 6);
    head.writeInt32BE(correlation, 8);
    head.writeInt16BE(this.clientId.length, 12);
    this.clientId.copy(head, 14);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlation);
        reject(new ProduceError(7, `request ${apiKey} timed out after ${this.timeoutMs} ms`, true));
        this.close(); // responses come in order: a lost one means the connection is unusable
      }, this.timeoutMs);
      this.#pending.set(correlation, {
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.cork();
      this.socket.write(head);
      for (const part of parts) this.socket.write(part);
      this.socket.uncork();
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 4) {
      const size = this.#buffer.readInt32BE(0);
      if (this.#buffer.length < 4 + size) return;
      const frame = this.#buffer.subarray(4, 4 + size);
      this.#buffer = this.#buffer.subarray(4 + size);
      const waiter = this.#pending.get(frame.readInt32BE(0));
      this.#answered = true;
      if (waiter === undefined) continue; // timed out meanwhile
      this.#pending.delete(frame.readInt32BE(0));
      waiter.resolve(frame.subarray(4));
    }
  }

  #fail(error: Error): void {
    this.closed = true;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(new ProduceError(-1, error.message, true));
  }
}
