import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsumerRunner, Feed } from '../bus/index.js';
import { TOPICS } from '../envelope/index.js';
import type { Component } from '../lifecycle/index.js';
import { type Capability, port, provide, type ServiceContext } from '../runtime/index.js';
import { DeadLetters } from './dead-letters.js';
import { LiveHub } from './live-hub.js';
import { OpsStatus } from './ops-status.js';
import { consoleRoutes } from './routes.js';

/** The built web app, next to this package in the repository (`console/dist`). */
const DEFAULT_DIR = fileURLToPath(new URL('../../../console/dist', import.meta.url));
/** Dead letters the console holds for the operator's view. */
const DEAD_LETTERS_HELD = 1_000;
const FLUSH_MS = 1_000;

/** Topics the live stream is made from, tailed from their end by each API process. */
const TAILED = [
  TOPICS.locations,
  TOPICS.geoEvents,
  TOPICS.offers,
  TOPICS.receipts,
  TOPICS.sentiment,
  TOPICS.alerts,
  TOPICS.fraudDecisions,
  TOPICS.dlq,
].map((t) => t.name);

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
    maxWaitTimeMs: 100,
    handler: (envelope, context) => hub.onRecord(envelope, context),
  });
  const letters = new Feed(ctx, {
    name: 'console-dead-letters',
    topic: TOPICS.dlq.name,
    handler: async (envelope, context) => deadLetters.add(envelope, context),
  });
  let timer: NodeJS.Timeout | undefined;
  const flusher: Component = {
    name: 'console-live-flush',
    start: async () => {
      timer = setInterval(() => hub.flush(), FLUSH_MS);
      timer.unref();
    },
    close: async () => clearInterval(timer),
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
