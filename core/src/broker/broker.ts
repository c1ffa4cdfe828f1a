import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { type HexcastConfig, readPem } from '../config/index.js';
import { HexcastError } from '../errors/index.js';
import type { SaslMechanism } from '../kafka-protocol/index.js';
import type { Component } from '../lifecycle/index.js';
import { type Logger, Metrics, silentLogger } from '../observability/index.js';
import { resolveTopic } from './apis/metadata.js';
import { Connection } from './connection.js';
import type { BrokerContext } from './context.js';
import { GroupCoordinator } from './groups/coordinator.js';
import { type Topic, type TopicConfig, TopicStore } from './log/topic-store.js';
import { ProducerState } from './producer-state.js';
import { SaslUsers } from './sasl.js';

export interface BrokerOptions {
  host: string;
  port: number;
  advertisedHost?: string | undefined;
  /** null keeps everything in memory. */
  dataDir: string | null;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  maxFrameBytes: number;
  maxMessageBytes: number;
  flush: 'batch' | 'interval';
  flushIntervalMs: number;
  segmentBytes: number;
  retentionMs: number;
  retentionBytes: number;
  compactionIntervalMs: number;
  tombstoneRetentionMs: number;
  groupInitialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** A TLS listener besides the plaintext one (SSL, or SASL_SSL with `saslUsers`). */
  tls?: BrokerTlsOptions | undefined;
  /** SASL users (name → password): when set, every listener requires SASL authentication. */
  saslUsers?: Readonly<Record<string, string>> | undefined;
  saslMechanisms?: readonly SaslMechanism[] | undefined;
  logger?: Logger;
  metrics?: Metrics;
  clock?: () => number;
}

export interface BrokerTlsOptions {
  port: number;
  /** PEM certificate chain and key. */
  cert: string;
  key: string;
}

export function brokerOptionsFromConfig(config: Readonly<HexcastConfig>): BrokerOptions {
  const { tls, sasl, ...b } = config.broker;
  return {
    ...b,
    dataDir: b.inMemory ? null : path.resolve(config.dataDir, 'broker'),
    advertisedHost: b.advertisedHost,
    tls:
      tls.port === undefined
        ? undefined
        : {
            port: tls.port,
            cert: readPem(tls.cert, 'HX_BROKER_TLS_CERT'),
            key: readPem(tls.key, 'HX_BROKER_TLS_KEY'),
          },
    saslUsers: sasl.users === undefined ? undefined : parseSaslUsers(sasl.users),
    saslMechanisms: sasl.mechanisms,
  };
}

/** `HX_BROKER_SASL_USERS`: `name:password` pairs separated by commas (a password may hold ':'). */
export function parseSaslUsers(text: string): Record<string, string> {
  const users: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf(':');
    if (at <= 0)
      throw new HexcastError(
        'HX_CONFIG_INVALID',
        'HX_BROKER_SASL_USERS: expected name:password pairs separated by commas',
      );
    users[pair.slice(0, at).trim()] = pair.slice(at + 1);
  }
  return users;
}

const MAX_PARTITIONS_PER_TOPIC = 1024;

/** Hexcast's single-node broker speaking the Kafka wire protocol (see docs/broker.md). */
export class Broker implements Component, BrokerContext {
  readonly name = 'broker';
  readonly nodeId = 0;
  readonly clusterId: string;
  readonly topics: TopicStore;
  readonly groups: GroupCoordinator;
  readonly producers = new ProducerState();
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly settings: BrokerContext['settings'];
  readonly #options: BrokerOptions;
  readonly #server: net.Server;
  readonly #tlsServer: tls.Server | undefined;
  readonly #sasl: SaslUsers | undefined;
  readonly #connections = new Set<Connection>();
  /**
   * Parked fetches' wake-ups by topic, then partition. The lists stay once made and a wake-up leaves
   * them by swapping with the last: parking allocates no table, at thousands of parks a second.
   */
  readonly #waiters = new Map<string, Array<Array<(bytes: number) => void>>>();
  /** Fetches parked for data (Kafka's fetch purgatory). */
  #parked = 0;
  #closing = false;
  readonly #timers: NodeJS.Timeout[] = [];
  /** An interval flush is running (`#flushInBackground`). */
  #flushing = false;
  #port = -1;
  #tlsPort = -1;

  constructor(options: BrokerOptions) {
    this.#options = options;
    this.logger = (options.logger ?? silentLogger()).child({ component: 'broker' });
    this.metrics = options.metrics ?? new Metrics();
    this.clusterId = `hexcast-${randomBytes(6).toString('hex')}`;
    this.settings = {
      autoCreateTopics: options.autoCreateTopics,
      defaultPartitions: options.defaultPartitions,
      maxMessageBytes: options.maxMessageBytes,
      maxPartitionsPerTopic: MAX_PARTITIONS_PER_TOPIC,
    };
    const corrupt = this.metrics.counter({
      name: 'broker_log_truncations_total',
      help: 'torn or corrupt log tails truncated at open',
    });
    this.topics = new TopicStore(
      options.dataDir,
      {
        segmentBytes: options.segmentBytes,
        flush: options.flush,
        retentionMs: options.retentionMs,
        retentionBytes: options.retentionBytes,
        tombstoneRetentionMs: options.tombstoneRetentionMs,
      },
      (info) => {
        corrupt.inc();
        this.logger.warn({ code: 'HX_BROKER_LOG_CORRUPT', ...info }, 'truncated log to the last whole batch');
      },
    );
    this.groups = new GroupCoordinator(
      options.dataDir === null ? null : path.join(options.dataDir, 'groups'),
      {
        minSessionTimeoutMs: options.minSessionTimeoutMs,
        maxSessionTimeoutMs: options.maxSessionTimeoutMs,
        initialRebalanceDelayMs: options.groupInitialRebalanceDelayMs,
      },
    );
    this.metrics.gauge({
      name: 'broker_fetches_waiting',
      help: 'fetch requests parked until data (minBytes) arrives or their wait ends',
      collect: (gauge) => gauge.set(this.#parked),
    });
    const requests = this.metrics.counter<'api'>({
      name: 'broker_requests_total',
      help: 'requests by API',
      labelNames: ['api'],
    });
    const rejected = this.metrics.counter<'reason'>({
      name: 'broker_rejected_connections_total',
      help: 'connections closed on a bad request, by reason',
      labelNames: ['reason'],
    });
    this.#sasl =
      options.saslUsers === undefined ? undefined : new SaslUsers(options.saslUsers, options.saslMechanisms);
    const accept = (socket: net.Socket, advertised: () => { host: string; port: number }) => {
      const connection = new Connection(socket, this, {
        maxFrameBytes: options.maxFrameBytes,
        logger: this.logger,
        metrics: { requests, rejected },
        advertised,
        sasl: this.#sasl?.session() ?? null,
      });
      this.#connections.add(connection);
      socket.on('close', () => this.#connections.delete(connection));
    };
    this.#server = net.createServer((socket) => accept(socket, () => this.advertised()));
    if (options.tls !== undefined) {
      this.#tlsServer = tls.createServer({ cert: options.tls.cert, key: options.tls.key }, (socket) =>
        accept(socket, () => this.advertised('tls')),
      );
      // A client speaking plaintext to this port, or refusing our certificate: counted, not logged per attempt.
      this.#tlsServer.on('tlsClientError', () => rejected.inc({ reason: 'tls-handshake' }));
    }
  }

  now(): number {
    return (this.#options.clock ?? Date.now)();
  }

  get port(): number {
    return this.#port;
  }

  /** `host:port` for kafkajs `brokers` / kcat `-b`. */
  get bootstrap(): string {
    const { host, port } = this.advertised();
    return `${host}:${port}`;
  }

  /** `host:port` of the TLS listener, when there is one. */
  get tlsBootstrap(): string | undefined {
    if (this.#tlsServer === undefined) return undefined;
    const { host, port } = this.advertised('tls');
    return `${host}:${port}`;
  }

  /** Where clients of a listener reach this broker (the real port after binding 0). */
  advertised(listener: 'plaintext' | 'tls' = 'plaintext'): { host: string; port: number } {
    return {
      host: this.#options.advertisedHost ?? this.#options.host,
      port: listener === 'tls' ? this.#tlsPort : this.#port,
    };
  }

  async start(): Promise<void> {
    this.#port = await this.#listen(this.#server, this.#options.port);
    if (this.#tlsServer !== undefined)
      this.#tlsPort = await this.#listen(this.#tlsServer, this.#options.tls!.port);
    if (this.#options.dataDir !== null && this.#options.flush === 'interval') {
      this.#every(this.#options.flushIntervalMs, () => this.#flushInBackground());
    }
    this.#every(Math.min(this.#options.compactionIntervalMs, 60_000), () => this.runMaintenance());
    this.logger.info(
      {
        bootstrap: this.bootstrap,
        tls: this.tlsBootstrap,
        sasl: this.#sasl?.mechanisms,
        dataDir: this.#options.dataDir ?? 'memory',
      },
      'broker listening',
    );
  }

  async #listen(server: net.Server, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (cause: Error) =>
        reject(
          new HexcastError(
            'HX_BROKER_LISTEN_FAILED',
            `broker cannot listen on ${this.#options.host}:${port}: ${cause.message}`,
            { cause },
          ),
        );
      server.once('error', onError);
      server.listen(port, this.#options.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    return (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.length = 0;
    const closed = Promise.all(
      [this.#server, this.#tlsServer].map(
        (server) =>
          new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve())),
      ),
    );
    for (const connection of this.#connections) connection.close();
    this.#closing = true;
    for (const byPartition of this.#waiters.values())
      for (const list of byPartition) if (list !== undefined) wakeAll(list, 0);
    await closed;
    this.#sync();
    this.groups.close();
    this.topics.close();
  }

  createTopic(name: string, config: Partial<TopicConfig>): Topic {
    return this.topics.create(name, {
      partitions: config.partitions ?? this.#options.defaultPartitions,
      compacted: config.compacted ?? false,
      logAppendTime: config.logAppendTime ?? false,
      ...(config.retentionMs === undefined ? {} : { retentionMs: config.retentionMs }),
      ...(config.retentionBytes === undefined ? {} : { retentionBytes: config.retentionBytes }),
    });
  }

  /** A topic as a client's Metadata request finds it: created with the defaults when auto-creation is on. */
  topicOrAutoCreate(name: string): Topic | undefined {
    return resolveTopic(this, name, true).topic;
  }

  notifyAppend(topic: string, partition: number, bytes = 1): void {
    const list = this.#waiters.get(topic)?.[partition];
    if (list !== undefined) wakeAll(list, bytes);
  }

  waitForAppend(
    partitions: Array<{ topic: string; partition: number }>,
    timeoutMs: number,
    minBytes = 1,
  ): Promise<boolean> {
    if (this.#closing) return Promise.resolve(false);
    return new Promise((resolve) => {
      const lists = partitions.map((p) => this.#waitList(p.topic, p.partition));
      this.#parked++;
      let woken = false;
      let appended = 0;
      const finish = () => {
        if (woken) return;
        woken = true;
        this.#parked--;
        clearTimeout(timer);
        for (const list of lists) {
          const i = list.lastIndexOf(wake);
          if (i < 0) continue;
          list[i] = list[list.length - 1]!;
          list.pop();
        }
        resolve(!this.#closing);
      };
      // Each append adds its bytes; the wait stays parked (no unpark, no re-park) until they
      // reach `minBytes`, whatever the number of appends.
      const wake = (bytes: number) => {
        appended += bytes;
        if (appended >= minBytes || this.#closing) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      for (const list of lists) list.push(wake);
    });
  }

  #waitList(topic: string, partition: number): Array<(bytes: number) => void> {
    let byPartition = this.#waiters.get(topic);
    if (byPartition === undefined) {
      byPartition = [];
      this.#waiters.set(topic, byPartition);
    }
    let list = byPartition[partition];
    if (list === undefined) {
      list = [];
      byPartition[partition] = list;
    }
    return list;
  }

  /** Retention and compaction over every partition; runs on a timer, callable from tests. */
  runMaintenance(): { segmentsDeleted: number; bytesCompacted: number } {
    let segmentsDeleted = 0;
    let bytesCompacted = 0;
    const now = this.now();
    for (const topic of this.topics.all()) {
      for (const log of topic.partitions) {
        segmentsDeleted += log.applyRetention(now);
        const { before, after } = log.compact(now);
        bytesCompacted += before - after;
      }
    }
    return { segmentsDeleted, bytesCompacted };
  }

  /**
   * The interval flush, off the event loop: every partition's fsync and the committed offsets'
   * run on libuv's thread pool (in parallel), so produce and fetch requests are not held up
   * meanwhile. A flush still running when the next is due makes that one skip.
   */
  #flushInBackground(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    let waiting = 1;
    const done = () => {
      if (--waiting === 0) this.#flushing = false;
    };
    for (const topic of this.topics.all()) {
      for (const log of topic.partitions) {
        waiting++;
        log.flush((error) => {
          if (error !== null)
            this.logger.error({ err: error, topic: log.topic, partition: log.partition }, 'log fsync failed');
          done();
        });
      }
    }
    waiting++;
    this.groups.flushAsync((error) => {
      if (error !== null) this.logger.error({ err: error }, 'committed offsets fsync failed');
      done();
    });
    done();
  }

  /** Everything to disk now, on the event loop: at close. */
  #sync(): void {
    for (const topic of this.topics.all()) for (const log of topic.partitions) log.sync();
    this.groups.flush();
  }

  #every(ms: number, fn: () => void): void {
    const timer = setInterval(() => {
      try {
        fn();
      } catch (error) {
        this.logger.error({ err: error }, 'broker background task failed');
      }
    }, ms);
    timer.unref();
    this.#timers.push(timer);
  }
}

/** Calls every wake-up of a list; each one done removes itself (from the end: the swap moves none still due). */
function wakeAll(list: Array<(bytes: number) => void>, bytes: number): void {
  for (let i = list.length - 1; i >= 0; i--) list[Math.min(i, list.length - 1)]?.(bytes);
}
