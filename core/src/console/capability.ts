import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsumerRunner, Feed } from '../bus/index.js';
import { TOPICS } from '../envelope/index.js';
import type { Component } from '../lifecycle/index.js';
import { type Capability, port, provide, type ServiceContext } from '../runtime/index.js';
import { DeadLetters } from './dead-letters.js';
import { DENSITY_IDLE_MS, LiveHub } from './live-hub.js';
import { OpsStatus } from './ops-status.js';
import { consoleRoutes } from './routes.js';

/** The built web app, next to this package in the repository (`console/dist`). */
const DEFAULT_DIR = fileURLToPath(new URL('../../../console/dist', import.meta.url));
/** Dead letters the console holds for the operator's view. */
const DEAD_LETTERS_HELD = 1_000;
const FLUSH_MS = 1_000;
/**
 * How the tails fetch: each fetch waits its full 100 ms (the minimum bytes are past what that
 * gathers), so a tail costs ten fetches a second however busy its topics are. With the minimum at
 * one byte a busy bus answered every fetch at once with a few records, and the API process spent
 * a fifth of a core fetching them at 5,000 locations a second. The live stream folds what it
 * reads into a flush a second; alerts and reviews arrive at most 100 ms later.
 */
const TAIL_FETCH = { maxWaitTimeMs: 100, minBytes: 4 << 20 } as const;

/** Locations are read only while someone watches the density map, and this long after the last leaves. */
const DENSITY_LINGER_MS = 60_000;

/** Topics the live stream is made from, tailed from their end by each API process (locations: on demand). */
const TAILED = [
  TOPICS.geoEvents,
  TOPICS.offers,
  TOPICS.receipts,
  TOPICS.sentiment,
  TOPICS.alerts,
  TOPICS.fraudDecisions,
].map((t) => t.name);

/**
 * `hx.locations` is the busiest topic: the density map reads it only while a stream that shows it
 * is open (so a deployment nobody watches pays nothing for it), starting five minutes back so the
 * map opens whole, and stops a minute after the last such stream closes.
 */
class DensityTail {
  readonly #ctx: ServiceContext;
  readonly #hub: LiveHub;
  #runner: ConsumerRunner | undefined;
  #busy = false;
  #idleSince: number | undefined;

  constructor(ctx: ServiceContext, hub: LiveHub) {
    this.#ctx = ctx;
    this.#hub = hub;
  }

  tick(now = Date.now()): void {
    if (this.#busy) return;
    const wanted = this.#hub.densityWatchers > 0;
    if (wanted) this.#idleSince = undefined;
    if (wanted && this.#runner === undefined) this.#switch(() => this.#start());
    else if (!wanted && this.#runner !== undefined) {
      this.#idleSince ??= now;
      if (now - this.#idleSince >= DENSITY_LINGER_MS) this.#switch(() => this.close());
    }
  }

  #switch(action: () => Promise<void>) {
    this.#busy = true;
    action()
      .catch((error: unknown) =>
        this.#ctx.logger.warn({ err: error, component: 'console' }, 'density map tail failed; retrying'),
      )
      .finally(() => {
        this.#busy = false;
      });
  }

  async #start(): Promise<void> {
    const groupId = `hx-console-density-${randomUUID()}`;
    const topic = TOPICS.locations.name;
    const admin = this.#ctx.kafka.admin();
    await admin.connect();
    try {
      const from = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - DENSITY_IDLE_MS);
      await admin.setOffsets({ groupId, topic, partitions: from });
    } finally {
      await admin.disconnect();
    }
    const runner = new ConsumerRunner({
      ...this.#ctx,
      groupId,
      topics: [topic],
      stage: 'console-density',
      concurrency: 64,
      ...TAIL_FETCH,
      handler: (envelope) => this.#hub.onRecord(envelope),
    });
    await runner.start();
    this.#runner = runner;
  }

  async close(): Promise<void> {
    const runner = this.#runner;
    this.#runner = undefined;
    this.#idleSince = undefined;
    await runner?.close();
  }
}

interface ConsoleShared {
  hub: LiveHub;
  deadLetters: DeadLetters;
}
const CONSOLE_SHARED = port<ConsoleShared>('console.shared');

function shared(ctx: ServiceContext) {
  const hub = new LiveHub({ capacity: ctx.config.console.replayEvents });
  const deadLetters = new DeadLetters({ capacity: DEAD_LETTERS_HELD, records: () => ctx.records() });
  // A group of its own per process, from the end: every API process sees every live event.
  const tail = new ConsumerRunner({
    ...ctx,
    groupId: `hx-console-${randomUUID()}`,
    topics: TAILED,
    stage: 'console-live',
    concurrency: 64,
    ...TAIL_FETCH,
    handler: (envelope) => hub.onRecord(envelope),
  });
  // hx.dlq is read once: the feed holds the letters, and once caught up announces each new one.
  const letters: Feed = new Feed(ctx, {
    name: 'console-dead-letters',
    topic: TOPICS.dlq.name,
    handler: async (envelope, context) => {
      deadLetters.add(envelope, context);
      if (letters.ready())
        hub.emit('dead-letter', {
          kind: 'dead-lettered',
          partition: context.partition,
          offset: context.offset,
        });
    },
  });
  const density = new DensityTail(ctx, hub);
  let timer: NodeJS.Timeout | undefined;
  const flusher: Component = {
    name: 'console-live-flush',
    start: async () => {
      timer = setInterval(() => {
        hub.flush();
        density.tick();
      }, FLUSH_MS);
      timer.unref();
    },
    close: async () => {
      clearInterval(timer);
      await density.close();
    },
  };
  return { value: { hub, deadLetters }, components: [letters, tail, flusher] };
}

/** The console: its web app, live stream and operator routes, served by the API. */
export const consoleCapability: Capability = {
  name: 'console',
  events: [],
  provides: [provide(CONSOLE_SHARED, shared)],
  routes: (ctx) => {
    const s = ctx.use(CONSOLE_SHARED);
    const ops = new OpsStatus(ctx.kafka);
    return async (app, options) => {
      app.addHook('onClose', () => ops.close());
      await consoleRoutes({
        hub: s.hub,
        deadLetters: s.deadLetters,
        ops,
        metrics: ctx.metrics,
        dir: path.resolve(ctx.config.console.dir ?? DEFAULT_DIR),
        settings: {
          region: ctx.config.region,
          ...(ctx.config.console.tileUrl === undefined ? {} : { tileUrl: ctx.config.console.tileUrl }),
          ...(ctx.config.console.tileAttribution === undefined
            ? {}
            : { tileAttribution: ctx.config.console.tileAttribution }),
        },
        send: (topic, envelope) => ctx.producer.send(topic, envelope),
      })(app, options);
    };
  },
};
