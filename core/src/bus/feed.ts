import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Component } from '../lifecycle/index.js';
import type { Logger } from '../observability/index.js';
import { ConsumerRunner, type ConsumerRunnerOptions, type EnvelopeHandler } from './consumer-runner.js';

export type FeedOptions = Pick<
  ConsumerRunnerOptions,
  'kafka' | 'registry' | 'metrics' | 'logger' | 'producer'
>;

export interface FeedSpec {
  name: string;
  topic: string;
  handler: EnvelopeHandler;
  /** How long `start` waits to catch up before carrying on not ready (ms). */
  catchUpTimeoutMs?: number;
  /**
   * Read from this time (epoch ms) instead of the beginning: for state derived from a window of
   * the topic (a summary of the last hour), start-up reads that window, not the topic's history.
   */
  since?: () => number;
}

/**
 * A compacted topic that every process must see whole (campaigns, models): a consumer group of
 * its own per process, from the beginning. `start` resolves once every record that was on the
 * topic when it started has had its effect, so a worker never decides on a half-loaded
 * catalogue; `ready()` says whether that has happened (`/readyz`).
 */
export class Feed implements Component {
  readonly name: string;
  readonly #kafka: Kafka;
  readonly #logger: Logger;
  readonly #spec: FeedSpec;
  readonly #runner: ConsumerRunner;
  readonly #groupId: string;
  /** Per partition, the offset to reach (the end offset when the feed started). */
  readonly #targets = new Map<number, bigint>();
  #caughtUp = false;
  #onCaughtUp: () => void = () => undefined;
  readonly #caughtUpPromise = new Promise<void>((resolve) => {
    this.#onCaughtUp = resolve;
  });

  constructor(options: FeedOptions, spec: FeedSpec) {
    this.name = spec.name;
    this.#kafka = options.kafka;
    this.#logger = options.logger;
    this.#spec = spec;
    this.#groupId = `hx-${spec.name}-${randomUUID()}`;
    this.#runner = new ConsumerRunner({
      ...options,
      groupId: this.#groupId,
      topics: [spec.topic],
      stage: spec.name,
      fromBeginning: true,
      maxWaitTimeMs: 200,
      concurrency: 1,
      handler: spec.handler,
      // A fetched batch in one call, its records in order, one partition's batch at a time (one
      // record at a time, as with `concurrency: 1`), without scheduling each record.
      partitionsConcurrently: 1,
      batchHandler: async (records) => {
        for (const { envelope, context } of records) await spec.handler(envelope, context);
      },
      onSettled: (partition, offset) => this.#settled(partition, BigInt(offset)),
    });
  }

  ready(): boolean {
    return this.#caughtUp;
  }

  /** Resolves once the feed has caught up with what the topic held at start. */
  caughtUp(): Promise<void> {
    return this.#caughtUpPromise;
  }

  async start(): Promise<void> {
    const admin = this.#kafka.admin();
    await admin.connect();
    try {
      // A topic nobody has written yet (a fresh cluster before the topic catalogue ran) holds nothing to catch up on.
      const exists = (await admin.listTopics()).includes(this.#spec.topic);
      const ends = exists ? await admin.fetchTopicOffsets(this.#spec.topic) : [];
      // Where this process's own group starts, per partition: the low watermark, or the first record since `since`.
      const starts = new Map(ends.map((o) => [o.partition, BigInt(o.low)]));
      if (exists && this.#spec.since !== undefined) {
        const from = await admin.fetchTopicOffsetsByTimestamp(this.#spec.topic, this.#spec.since());
        await admin.setOffsets({ groupId: this.#groupId, topic: this.#spec.topic, partitions: from });
        for (const p of from) starts.set(p.partition, BigInt(p.offset));
      }
      for (const o of ends) {
        if (BigInt(o.high) > starts.get(o.partition)!) this.#targets.set(o.partition, BigInt(o.high));
      }
    } finally {
      await admin.disconnect();
    }
    this.#check();
    await this.#runner.start();
    const timeoutMs = this.#spec.catchUpTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#caughtUpPromise,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    if (!this.#caughtUp)
      this.#logger.warn(
        { feed: this.name, topic: this.#spec.topic, timeoutMs, partitionsBehind: this.#targets.size },
        'feed has not caught up yet: not ready until it does',
      );
  }

  async close(): Promise<void> {
    await this.#runner.close();
  }

  #settled(partition: number, offset: bigint): void {
    const target = this.#targets.get(partition);
    if (target !== undefined && offset + 1n >= target) {
      this.#targets.delete(partition);
      this.#check();
    }
  }

  #check(): void {
    if (this.#caughtUp || this.#targets.size > 0) return;
    this.#caughtUp = true;
    this.#onCaughtUp();
  }
}
