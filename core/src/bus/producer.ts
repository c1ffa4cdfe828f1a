import type { Envelope, EventRegistry, TopicSpec } from '../envelope/index.js';
import type { Component } from '../lifecycle/index.js';
import type { Metrics } from '../observability/index.js';
import type { BusSecurity } from './kafka.js';
import { groupBy, WireProducer, type WireProducerOptions, type WireRecord } from './wire-producer.js';

/** Records per produce request at most (keeps each partition's batch well under the message limit). */
const MAX_REQUEST_RECORDS = 5000;

export interface BusProducerOptions {
  /** Bootstrap brokers (`kafkaBrokers`). */
  brokers: readonly string[];
  /** TLS and SASL (`busSecurity`); plaintext without. */
  security?: BusSecurity;
  clientId?: string;
  registry: EventRegistry;
  metrics: Metrics;
  /** How long a record may wait for others to share its request (ms). */
  lingerMs?: number;
  /** Send as soon as this many records are waiting. */
  maxBatch?: number;
  /** Idempotent producer (acks=-1, retries without duplicates); on by default. */
  idempotent?: boolean;
  /** Retries, timeouts, sockets of the produce client (`WireProducer`). */
  wire?: Partial<
    Pick<WireProducerOptions, 'retries' | 'retryBackoffMs' | 'requestTimeoutMs' | 'socketFactory'>
  >;
}

/** Called once a record's request completed: `null` when Kafka acknowledged it, else the error. */
export type SendCallback = (error: unknown) => void;

interface Pending extends WireRecord {
  topic: string;
  done: SendCallback;
}

/**
 * Envelope producer: validates and encodes, keys each record by its envelope key (so per-key
 * order holds), lingers briefly to batch, and resolves only once Kafka acknowledged (acks=-1).
 */
export class BusProducer implements Component {
  readonly name = 'bus-producer';
  readonly #producer: WireProducer;
  readonly #registry: EventRegistry;
  readonly #lingerMs: number;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | null = null;
  #inFlight = new Set<Promise<void>>();
  readonly #maxInFlight: number;
  readonly #sent;
  readonly #requestSeconds;

  constructor(options: BusProducerOptions) {
    this.#registry = options.registry;
    this.#lingerMs = options.lingerMs ?? 2;
    this.#maxBatch = options.maxBatch ?? 500;
    const idempotent = options.idempotent ?? true;
    this.#maxInFlight = idempotent ? 1 : 5;
    this.#producer = new WireProducer({
      brokers: options.brokers,
      clientId: options.clientId ?? 'hexcast',
      idempotent,
      ...options.security,
      ...options.wire,
    });
    this.#requestSeconds = options.metrics.histogram({
      name: 'bus_produce_request_seconds',
      help: 'one produce request, sent to acknowledged (acks=all)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    });
    this.#sent = options.metrics.counter<'topic'>({
      name: 'bus_produced_total',
      help: 'records acknowledged by Kafka',
      labelNames: ['topic'],
    });
  }

  async start(): Promise<void> {
    await this.#producer.connect();
  }

  /** Resolves when Kafka has durably accepted the record; rejects with the send error. */
  send(topic: TopicSpec | string, envelope: Envelope): Promise<void> {
    const value = this.#registry.encodeText(envelope); // throws a coded error on invalid input
    const name = typeof topic === 'string' ? topic : topic.name;
    return new Promise((resolve, reject) => {
      this.enqueue(name, envelope.key, value, envelope.ts, (error) =>
        error === null ? resolve() : reject(error),
      );
    });
  }

  /**
   * `send` for a hot path (the gateway, per device message): an envelope the caller already
   * encoded and validated (`registry.encodeText`, or text written to the same schema, as the
   * gateway writes locations), and a callback instead of a promise — `done(null)` once Kafka
   * acknowledged, `done(error)` otherwise.
   */
  enqueue(topic: string, key: string, value: string, timestamp: number, done: SendCallback): void {
    this.#queue.push({ topic, key, value, timestamp, done });
    if (this.#queue.length >= this.#maxBatch) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), this.#lingerMs);
  }

  /** Records waiting for their request to be sent; the gateway uses it for backpressure. */
  get pending(): number {
    return this.#queue.length;
  }

  async close(): Promise<void> {
    this.#flush();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    await this.#producer.disconnect();
  }

  /**
   * Sends what is waiting as one request, unless the producer's in-flight limit is reached: then
   * records keep accumulating and go out as soon as a request completes, so batches grow with
   * the load instead of queueing many small requests behind each other.
   */
  #flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#queue.length === 0 || this.#inFlight.size >= this.#maxInFlight) return;
    const batch =
      this.#queue.length > MAX_REQUEST_RECORDS ? this.#queue.splice(0, MAX_REQUEST_RECORDS) : this.#queue;
    if (batch === this.#queue) this.#queue = [];
    const byTopic = groupBy(batch, (p) => p.topic);
    const stop = this.#requestSeconds.startTimer();
    const request = this.#producer.send(byTopic).then(
      () => {
        stop();
        for (const [topic, items] of byTopic) this.#sent.inc({ topic }, items.length);
        settleAll(batch, null);
      },
      (error: unknown) => settleAll(batch, error),
    );
    this.#inFlight.add(request);
    void request.finally(() => {
      this.#inFlight.delete(request);
      if (this.#queue.length > 0) this.#flush();
    });
  }
}

/** Calls every record's callback; one that throws does not keep the others from being called. */
function settleAll(batch: Pending[], error: unknown): void {
  for (const p of batch) {
    try {
      p.done(error);
    } catch (thrown) {
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }
}
