import type { Kafka } from 'kafkajs';
import { DeadLetter, type Envelope, type EventRegistry, isExpired, TOPICS } from '../envelope/index.js';
import { type ErrorCode, HexcastError, isHexcastError } from '../errors/index.js';
import type { Component } from '../lifecycle/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import {
  LocalConsumer,
  localBusOf,
  type RunnerBatchPayload,
  type RunnerConsumer,
  type RunnerMessage,
} from './local-consumer.js';
import type { BusProducer } from './producer.js';
import { backoffMs, isRetriable, type RetryPolicy, sleep } from './retry.js';

export interface RecordContext {
  topic: string;
  partition: number;
  offset: string;
}

export type EnvelopeHandler = (envelope: Envelope, context: RecordContext) => Promise<void>;

/** One record of a batch handed to a {@link BatchHandler}. */
export interface BatchItem {
  envelope: Envelope;
  context: RecordContext;
}

/**
 * Handles the valid, unexpired records of one fetched partition batch at once, in offset order
 * (so per-key order holds). It has the effect of calling the record handler on each in turn, and
 * may be called again with the same records (at least once), so it must be idempotent like it.
 */
export type BatchHandler = (records: BatchItem[]) => Promise<void>;

/**
 * A batch handler from a record handler: each key's records in offset order, the keys at once —
 * what record-by-record mode does, without scheduling each record.
 */
export function inKeyOrder(handler: EnvelopeHandler): BatchHandler {
  return async (records) => {
    const byKey = new Map<string, BatchItem[]>();
    for (const record of records) {
      const list = byKey.get(record.envelope.key);
      if (list === undefined) byKey.set(record.envelope.key, [record]);
      else list.push(record);
    }
    await Promise.all(
      [...byKey.values()].map(async (list) => {
        for (const { envelope, context } of list) await handler(envelope, context);
      }),
    );
  };
}

export interface ConsumerRunnerOptions {
  kafka: Kafka;
  registry: EventRegistry;
  metrics: Metrics;
  logger: Logger;
  /** Produces dead letters to `hx.dlq`. */
  producer: BusProducer;
  groupId: string;
  topics: string[];
  /** The processor's name, for metrics and logs (`geo`, `offers`, …). */
  stage: string;
  handler: EnvelopeHandler;
  /**
   * Handles a fetched batch as a batch (state loads, statements and produces grouped), up to
   * `maxBatch` records a call. A batch that still fails after the retries is handled again record
   * by record with `handler`, so only the records that fail themselves are dead-lettered.
   */
  batchHandler?: BatchHandler;
  /** Records per `batchHandler` call. Default 500. */
  maxBatch?: number;
  /**
   * Record by record: records handled at once, over every partition in flight; records with the
   * same key always run in order. (With `batchHandler`: only when a batch is handled again record
   * by record.)
   */
  concurrency?: number;
  /**
   * Partitions whose batches are handled at the same time (kafkajs `partitionsConsumedConcurrently`);
   * `concurrency` bounds the records in flight over all of them. Default 4.
   */
  partitionsConcurrently?: number;
  retry?: Partial<RetryPolicy>;
  fromBeginning?: boolean;
  /**
   * Pass records past their `expiresAt` to the handler instead of dropping them (the handler
   * accounts for them itself, e.g. the gateway writes an `expired` receipt).
   */
  handleExpired?: boolean;
  clock?: () => number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How long a fetch waits for `minBytes` before it answers with less. Default 500 ms. */
  maxWaitTimeMs?: number;
  /**
   * Bytes a fetch waits for (up to `maxWaitTimeMs`) before it answers: above one producer batch's
   * worth, a busy stream arrives in fewer, bigger batches (fewer statements and produces per
   * record) at the cost of that wait when it is quiet. Default 1: answer as soon as anything is there.
   */
  minBytes?: number;
  /** Called once a record has had its effect (or was skipped or dead-lettered): feeds track catch-up with it. */
  onSettled?: (partition: number, offset: string) => void;
  /**
   * Offsets settled are committed at most this often (ms), in one OffsetCommit for every
   * partition, and when the group rebalances or the runner closes. Default 200. (kafkajs' own
   * auto-commit sends one after every partition's batch: several requests per fetch.) A crash
   * hands at most this much again to the next owner; handlers are idempotent.
   */
  commitIntervalMs?: number;
}

/**
 * The one way processors consume: decode and validate each envelope (invalid → `hx.dlq` with a
 * reason code), drop expired ones (counted), run the handler with bounded concurrency keeping
 * per-key order, retry failures with backoff, and commit an offset only after every record up to
 * it has had its effect.
 */
export class ConsumerRunner implements Component {
  readonly name: string;
  readonly #options: ConsumerRunnerOptions;
  readonly #consumer: RunnerConsumer;
  readonly #retry: RetryPolicy;
  readonly #clock: () => number;
  readonly #m;
  #paused = false;
  /** Settled offsets (the next to read) not yet committed, by topic and partition. */
  readonly #toCommit = new Map<string, { topic: string; partition: number; offset: string }>();
  #committing: Promise<void> | null = null;
  #commitTimer: NodeJS.Timeout | undefined;
  #lastCommitAt = 0;
  #closing = false;
  /** `eachBatch` calls running, and who waits for them to end (close). */
  #inBatch = 0;
  readonly #batchDone: Array<() => void> = [];

  constructor(options: ConsumerRunnerOptions) {
    this.#options = options;
    this.name = `consumer-${options.stage}`;
    this.#clock = options.clock ?? Date.now;
    this.#retry = { retries: 3, initialMs: 100, maxMs: 5_000, ...options.retry };
    const settings = {
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 500,
      minBytes: options.minBytes ?? 1,
    };
    // In the embedded broker's own process (`hexcast dev`) the group is joined and the logs read
    // by function call; anywhere else, kafkajs over the wire. Same group, same committed offsets.
    const local = localBusOf(options.kafka);
    this.#consumer =
      local === undefined
        ? options.kafka.consumer(settings)
        : new LocalConsumer(local, { ...settings, clientId: options.stage, logger: options.logger });
    const labels = ['stage'] as const;
    this.#m = {
      processed: options.metrics.counter<'stage'>({
        name: 'bus_processed_total',
        help: 'records handled',
        labelNames: labels,
      }),
      failed: options.metrics.counter<'stage' | 'code'>({
        name: 'bus_dead_lettered_total',
        help: 'records sent to hx.dlq, by reason code',
        labelNames: ['stage', 'code'],
      }),
      stale: options.metrics.counter<'stage'>({
        name: 'stale_dropped_total',
        help: 'records dropped because expiresAt had passed',
        labelNames: labels,
      }),
      latency: options.metrics.histogram<'stage'>({
        name: 'bus_handler_seconds',
        help: 'handler latency',
        labelNames: labels,
        buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      }),
      age: options.metrics.histogram<'stage'>({
        name: 'bus_event_age_seconds',
        help: 'event time to the moment a stage starts handling it (how fresh the stage is)',
        labelNames: labels,
        buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      }),
      batchSize: options.metrics.histogram<'stage'>({
        name: 'bus_batch_records',
        help: 'records per batch handler call',
        labelNames: labels,
        buckets: [1, 4, 16, 64, 256, 1024],
      }),
      batchFallbacks: options.metrics.counter<'stage'>({
        name: 'bus_batch_fallbacks_total',
        help: 'batches that failed as a batch and were handled again record by record',
        labelNames: labels,
      }),
      lag: options.metrics.gauge<'stage' | 'topic' | 'partition'>({
        name: 'bus_consumer_lag',
        help: 'records between the committed position and the high watermark',
        labelNames: ['stage', 'topic', 'partition'],
      }),
    };
  }

  async start(): Promise<void> {
    const { REBALANCING, GROUP_JOIN } = this.#consumer.events;
    // Before the group rebalances, what is settled is committed (this generation may still commit).
    this.#consumer.on(REBALANCING, () => void this.#flushCommits());
    // A new generation reads from the committed offsets: settled ones of the last are re-read.
    this.#consumer.on(GROUP_JOIN, () => this.#toCommit.clear());
    await this.#consumer.connect();
    for (const topic of this.#options.topics) {
      await this.#consumer.subscribe({ topic, fromBeginning: this.#options.fromBeginning ?? true });
    }
    await this.#consumer.run({
      eachBatchAutoResolve: false,
      // Committed here, on a timer (see `commitIntervalMs`).
      autoCommit: false,
      // One slow partition's batch (a handler waiting on the bus or a database) must not hold
      // the others' records back: batches of several partitions run at once.
      partitionsConsumedConcurrently: this.#options.partitionsConcurrently ?? 4,
      eachBatch: async (payload) => {
        if (this.#closing) return; // not resolved: read again by the partition's next owner
        this.#inBatch++;
        try {
          await this.#eachBatch(payload);
        } finally {
          this.#inBatch--;
          if (this.#inBatch === 0) for (const wake of this.#batchDone.splice(0)) wake();
        }
      },
    });
  }

  /** Stops fetching (downstream is slow); records already fetched finish. */
  pause(): void {
    this.#paused = true;
    this.#consumer.pause(this.#options.topics.map((topic) => ({ topic })));
  }

  resume(): void {
    this.#paused = false;
    this.#consumer.resume(this.#options.topics.map((topic) => ({ topic })));
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Finishes the batch in hand, commits, leaves the group. */
  async close(): Promise<void> {
    this.#closing = true;
    // No new batch starts; the ones in hand finish, their offsets are committed (kafkajs commits
    // only while running), then the group is left.
    try {
      this.#consumer.pause(this.#options.topics.map((topic) => ({ topic })));
    } catch {
      // Not running yet (closed during its start): there is no batch in hand.
    }
    while (this.#inBatch > 0) await new Promise<void>((resolve) => this.#batchDone.push(resolve));
    await this.#flushCommits();
    await this.#consumer.disconnect();
  }

  /** The partition's next offset to read, committed with the next OffsetCommit. */
  #settledUpTo(topic: string, partition: number, offset: string): void {
    this.#toCommit.set(`${topic}\u0000${partition}`, {
      topic,
      partition,
      offset: (BigInt(offset) + 1n).toString(),
    });
    this.#scheduleCommit();
  }

  /** A commit of what is settled, one interval after the last (none while one is in flight: it schedules the next). */
  #scheduleCommit(): void {
    if (this.#closing || this.#committing !== null || this.#commitTimer !== undefined) return;
    if (this.#toCommit.size === 0) return;
    const wait = Math.max(0, this.#lastCommitAt + (this.#options.commitIntervalMs ?? 200) - this.#clock());
    this.#commitTimer = setTimeout(() => {
      this.#commitTimer = undefined;
      void this.#flushCommits();
    }, wait);
  }

  /** Commits every settled offset now (after the commit in flight, if any). */
  async #flushCommits(): Promise<void> {
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    while (this.#committing !== null) await this.#committing;
    if (this.#toCommit.size === 0) return;
    const offsets = [...this.#toCommit.values()];
    this.#toCommit.clear();
    this.#lastCommitAt = this.#clock();
    this.#committing = this.#consumer.commitOffsets(offsets).then(
      () => {
        this.#committing = null;
      },
      (error: unknown) => {
        this.#committing = null;
        // Not committed: these records are read again by whoever owns the partition next.
        this.#options.logger.warn({ err: error, stage: this.#options.stage }, 'offset commit failed');
      },
    );
    await this.#committing;
    // Offsets settled while it ran go in the next one (the stream may have gone quiet since).
    this.#scheduleCommit();
  }

  #slots = -1;
  readonly #waiters: Array<() => void> = [];

  /** A slot of `concurrency`, shared by the batches of every partition in flight. */
  async #acquire(): Promise<void> {
    if (this.#slots < 0) this.#slots = Math.max(1, this.#options.concurrency ?? 8);
    if (this.#slots > 0) {
      this.#slots--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next();
    else this.#slots++;
  }

  async #eachBatch(payload: RunnerBatchPayload): Promise<void> {
    if (this.#options.batchHandler !== undefined)
      return this.#eachBatchAsBatch(payload, this.#options.batchHandler);
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const messages = batch.messages;
    const done = new Array<boolean>(messages.length).fill(false);
    let committedUpTo = 0;
    const advance = () => {
      while (committedUpTo < messages.length && done[committedUpTo]) {
        resolveOffset(messages[committedUpTo]!.offset);
        committedUpTo++;
      }
    };
    const chains = new Map<string, Promise<void>>();
    const running = new Set<Promise<void>>();
    let lastHeartbeat = this.#clock();

    for (const [i, message] of messages.entries()) {
      if (!isRunning() || isStale()) break;
      await this.#acquire();
      const key = message.key?.toString('latin1') ?? `\u0000${i}`;
      const previous = chains.get(key) ?? Promise.resolve();
      const task: Promise<void> = previous
        .then(async () => {
          await this.#process(batch.topic, batch.partition, message);
          done[i] = true;
          advance();
          this.#options.onSettled?.(batch.partition, message.offset);
        })
        .finally(() => this.#release());
      chains.set(key, task);
      running.add(task);
      void task.then(
        () => {
          running.delete(task);
          if (chains.get(key) === task) chains.delete(key);
        },
        () => running.delete(task),
      );
      if (this.#clock() - lastHeartbeat > 1000) {
        await heartbeat();
        lastHeartbeat = this.#clock();
      }
    }
    // A failure here (e.g. the DLQ is unreachable) rejects the batch: nothing past it is committed.
    await Promise.all(chains.values());
    await Promise.all(running);
    advance();
    const last = messages[committedUpTo - 1];
    if (last !== undefined) this.#settledUpTo(batch.topic, batch.partition, last.offset);
    this.#reportLag(batch, last);
  }

  #reportLag(batch: RunnerBatchPayload['batch'], last: RunnerMessage | undefined): void {
    if (last === undefined) return;
    const lag = Number(batch.highWatermark) - Number(last.offset) - 1;
    this.#m.lag.set(
      { stage: this.#options.stage, topic: batch.topic, partition: String(batch.partition) },
      lag,
    );
  }

  /**
   * Batch mode: the fetched records, decoded (invalid ones dead-lettered, expired ones dropped),
   * go to the batch handler `maxBatch` at a time; an offset is resolved once its chunk has had its
   * effect.
   */
  async #eachBatchAsBatch(payload: RunnerBatchPayload, handle: BatchHandler): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const stage = this.#options.stage;
    const maxBatch = Math.max(1, this.#options.maxBatch ?? 500);
    const messages = batch.messages;
    let settled: RunnerMessage | undefined;
    for (let start = 0; start < messages.length; start += maxBatch) {
      if (!isRunning() || isStale()) break;
      const chunk = messages.slice(start, start + maxBatch);
      const records: Array<BatchItem & { message: RunnerMessage }> = [];
      const now = this.#clock();
      for (const message of chunk) {
        const context: RecordContext = {
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
        };
        const envelope = await this.#decode(context, message);
        if (envelope === null) continue;
        if (!this.#options.handleExpired && isExpired(envelope, now)) {
          this.#m.stale.inc({ stage });
          continue;
        }
        this.#m.age.observe({ stage }, Math.max(0, now - envelope.ts) / 1000);
        records.push({ envelope, context, message });
      }
      if (records.length > 0 && !(await this.#runBatch(handle, records))) {
        this.#m.batchFallbacks.inc({ stage });
        for (const r of records) await this.#handleRecord(r.envelope, r.context, r.message);
      }
      for (const message of chunk) {
        resolveOffset(message.offset);
        this.#options.onSettled?.(batch.partition, message.offset);
      }
      settled = chunk[chunk.length - 1];
      await heartbeat();
    }
    if (settled !== undefined) this.#settledUpTo(batch.topic, batch.partition, settled.offset);
    this.#reportLag(batch, settled);
  }

  /** True once the batch has had its effect; false when it still fails after the retries. */
  async #runBatch(handle: BatchHandler, records: BatchItem[]): Promise<boolean> {
    const stage = this.#options.stage;
    this.#m.batchSize.observe({ stage }, records.length);
    for (let attempt = 0; ; attempt++) {
      const stop = this.#m.latency.startTimer({ stage });
      try {
        await handle(records);
        stop();
        this.#m.processed.inc({ stage }, records.length);
        return true;
      } catch (error) {
        stop();
        if (!isRetriable(error) || attempt >= this.#retry.retries) {
          this.#options.logger.warn(
            { err: error, stage, records: records.length },
            'batch failed; handling its records one by one',
          );
          return false;
        }
        await sleep(backoffMs(this.#retry, attempt));
      }
    }
  }

  /** The record's envelope, or null once it has been dead-lettered as undecodable. */
  async #decode(context: RecordContext, message: RunnerMessage): Promise<Envelope | null> {
    try {
      return this.#options.registry.decode(message.value);
    } catch (error) {
      const hx = isHexcastError(error) ? error : new HexcastError('HX_ENVELOPE_MALFORMED', String(error));
      await this.#deadLetter(context, message, hx.code, hx.message, null);
      return null;
    }
  }

  async #process(topic: string, partition: number, message: RunnerMessage): Promise<void> {
    const stage = this.#options.stage;
    const context: RecordContext = { topic, partition, offset: message.offset };
    const envelope = await this.#decode(context, message);
    if (envelope === null) return;
    if (!this.#options.handleExpired && isExpired(envelope, this.#clock())) {
      this.#m.stale.inc({ stage });
      return;
    }
    this.#m.age.observe({ stage }, Math.max(0, this.#clock() - envelope.ts) / 1000);
    await this.#handleRecord(envelope, context, message);
  }

  /** Runs the record handler with retries; dead-letters the record when it still fails. */
  async #handleRecord(envelope: Envelope, context: RecordContext, message: RunnerMessage): Promise<void> {
    const stage = this.#options.stage;
    for (let attempt = 0; ; attempt++) {
      const stop = this.#m.latency.startTimer({ stage });
      try {
        await this.#options.handler(envelope, context);
        stop();
        this.#m.processed.inc({ stage });
        return;
      } catch (error) {
        stop();
        const retriable = isRetriable(error);
        if (!retriable || attempt >= this.#retry.retries) {
          const code: ErrorCode = isHexcastError(error) ? error.code : 'HX_BUS_HANDLER_FAILED';
          this.#options.logger.warn(
            { err: error, stage, ...context, envelopeId: envelope.id },
            'handler failed; dead-lettering',
          );
          await this.#deadLetter(
            context,
            message,
            code,
            error instanceof Error ? error.message : String(error),
            envelope,
          );
          return;
        }
        await sleep(backoffMs(this.#retry, attempt));
        if (!this.#options.handleExpired && isExpired(envelope, this.#clock())) {
          this.#m.stale.inc({ stage });
          return;
        }
      }
    }
  }

  async #deadLetter(
    context: RecordContext,
    message: RunnerMessage,
    code: ErrorCode,
    reason: string,
    original: Envelope | null,
  ) {
    this.#m.failed.inc({ stage: this.#options.stage, code });
    const key = message.key?.toString('utf8') || `${context.topic}/${context.partition}`;
    const data = {
      topic: context.topic,
      partition: context.partition,
      offset: context.offset,
      code,
      reason: reason.slice(0, 2000),
      ...(original === null ? { raw: (message.value ?? Buffer.alloc(0)).toString('base64') } : { original }),
    };
    const letter = this.#options.registry.create(DeadLetter, {
      key: key.slice(0, 256),
      source: { kind: 'processor', id: this.#options.stage },
      data,
    });
    await this.#options.producer.send(TOPICS.dlq, letter);
  }
}
