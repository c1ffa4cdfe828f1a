import { type RecsArtifact, RecsModel, SessionScoringPool } from '@hexcast/models';
import { ConsumerRunner, type EnvelopeHandler, inKeyOrder } from '../bus/index.js';
import { DeviceRepository } from '../devices/index.js';
import { TOPICS } from '../envelope/index.js';
import { DEVICE_STATE } from '../geo/index.js';
import type { Component } from '../lifecycle/index.js';
import { ModelFeed, ModelSlot } from '../model-feed/index.js';
import { CachedDevices } from '../offers/index.js';
import { type Capability, port, provide, type ServiceContext } from '../runtime/index.js';
import { Catalogue } from './catalogue.js';
import { RECS_EVENTS } from './events.js';
import { RecsEngine } from './recs-engine.js';
import { recsRoutes } from './routes.js';
import type { SessionStore } from './session-store.js';
import { MemorySessionStore } from './session-store.memory.js';
import { RedisSessionStore } from './session-store.redis.js';

/** The model a slot holds: a loaded `RecsModel`, or none (the fallback). */
export class LoadedRecs {
  readonly version: string;
  constructor(readonly model: RecsModel | null) {
    this.version = model?.version ?? 'none';
  }
}

/**
 * The `recs` slot on hx.models: the fallback recommends from the catalogue only. `loaded` hears
 * of each artifact this process loads (a worker's scoring threads load it too).
 */
export function recsSlot(loaded?: (artifact: RecsArtifact) => void): ModelSlot<LoadedRecs> {
  return new ModelSlot<LoadedRecs>({
    name: 'recs',
    fallback: new LoadedRecs(null),
    fallbackMeans:
      'recommendations come from the catalogue (same category) until `hexcast recs train` publishes a model',
    publishCommand: 'hexcast recs publish',
    load: async (artifact) => {
      const model = new RecsModel(artifact as RecsArtifact);
      loaded?.(artifact as RecsArtifact);
      return new LoadedRecs(model);
    },
  });
}

/** What the worker and routes of one process share: the catalogue, the model and the session store. */
interface RecsShared {
  catalogue: Catalogue;
  slot: ModelSlot<LoadedRecs>;
  store: SessionStore;
  /** Who else loads each artifact the slot loads, and the last one it loaded. */
  artifacts: { listeners: Set<(artifact: RecsArtifact) => void>; last: RecsArtifact | null };
}
const RECS_SHARED = port<RecsShared>('recommendations.shared');

function shared(ctx: ServiceContext) {
  const config = ctx.config.recommendations;
  const redis = ctx.redis();
  const options = { ttlMs: config.sessionTtlMs, maxClicks: config.sessionClicks };
  const memory = redis === null ? new MemorySessionStore(options) : null;
  const store: SessionStore = memory ?? new RedisSessionStore(redis!, options);
  const catalogue = new Catalogue(ctx);
  const artifacts: RecsShared['artifacts'] = { listeners: new Set(), last: null };
  const slot = recsSlot((artifact) => {
    artifacts.last = artifact;
    for (const load of artifacts.listeners) load(artifact);
  });
  if (memory !== null)
    ctx.metrics.gauge({
      name: 'recs_session_store_bytes',
      help: "bytes the memory session store's columns take (off V8's heap; they grow with the most sessions held at once)",
      collect: (gauge) => gauge.set(memory.bytes),
    });
  let sweeper: NodeJS.Timeout | undefined;
  const sweeping: Component = {
    name: 'recs-session-sweep',
    start: async () => {
      // One timer for every session: expired ones go even when nobody touches them again.
      if (memory !== null)
        sweeper = setInterval(() => memory.sweep(), Math.min(config.sessionTtlMs, 30_000)).unref();
    },
    close: async () => {
      clearInterval(sweeper);
      await store.close();
    },
  };
  return {
    value: { catalogue, slot, store, artifacts },
    components: [catalogue.feed, new ModelFeed({ ...ctx, slots: [slot] }), sweeping],
  };
}

const modelOf = (slot: ModelSlot<LoadedRecs>) => ({
  get current() {
    return slot.current.model;
  },
});

/** `hexcast worker recommendations`: hx.clicks → session state → hx.recommendations and the app's inbox. */
function recsWorker(ctx: ServiceContext): Component[] {
  const s = ctx.use(RECS_SHARED);
  const config = ctx.config.recommendations;
  // Where app users are (the geo worker's device state: Redis, or this process's memory), for the
  // boost of products stocked near them.
  const positions = ctx.use(DEVICE_STATE);
  let engine: RecsEngine | undefined;
  let pool: SessionScoringPool | undefined;
  let toThreads: ((artifact: RecsArtifact) => void) | undefined;
  const crashes = ctx.metrics.counter({
    name: 'recs_scoring_thread_crashes_total',
    help: 'scoring threads that exited (each is started again; meanwhile sessions are scored on the worker thread)',
  });
  const wiring: Component = {
    name: 'recs-engine',
    start: async () => {
      if (config.scoringThreads > 0) {
        pool = new SessionScoringPool({
          threads: config.scoringThreads,
          onEvent: (event) => {
            if (event.kind === 'crashed') {
              crashes.inc();
              ctx.logger.error(
                {
                  thread: event.thread,
                  exitCode: event.exitCode,
                  err: event.error,
                  restartInMs: event.restartInMs,
                },
                'recommendations scoring thread exited; scoring on the worker thread until it is back',
              );
            } else
              ctx.logger.error(
                { thread: event.thread, version: event.version, error: event.error },
                'recommendations scoring thread could not load the model; scoring on the worker thread',
              );
          },
        });
        const threads = pool;
        if (s.artifacts.last !== null) threads.load(s.artifacts.last);
        toThreads = (artifact) => threads.load(artifact);
        s.artifacts.listeners.add(toThreads);
      }
      const devices = new CachedDevices(new DeviceRepository(await ctx.records()), 60_000);
      engine = new RecsEngine({
        registry: ctx.registry,
        producer: ctx.producer,
        store: s.store,
        catalogue: s.catalogue,
        model: modelOf(s.slot),
        regionOf: async (deviceId) =>
          deviceId.startsWith('web:') ? null : ((await devices.get(deviceId))?.region ?? null),
        metrics: ctx.metrics,
        nearby: {
          positionOf: async (deviceId) =>
            deviceId.startsWith('web:') ? null : (await positions.load(deviceId)).position,
          boost: config.nearbyBoost,
          rings: config.nearbyRings,
          maxAgeMs: config.nearbyMaxAgeMs,
        },
        listSize: config.listSize,
        pushTtlMs: config.pushTtlMs,
        ...(pool === undefined ? {} : { ranker: pool }),
      });
    },
    // After the consumer (components close in reverse): no click is waiting on a thread by then.
    close: async () => {
      if (toThreads !== undefined) s.artifacts.listeners.delete(toThreads);
      await pool?.close();
    },
  };
  const handle: EnvelopeHandler = (envelope) => engine!.handle(envelope);
  const clicks = new ConsumerRunner({
    ...ctx,
    groupId: 'hx-recommendations',
    topics: [TOPICS.clicks.name],
    stage: 'recommendations',
    concurrency: config.concurrency,
    handler: handle,
    // A device's clicks (its sessions') in order, the devices at once.
    batchHandler: inKeyOrder(handle),
    partitionsConcurrently: TOPICS.clicks.partitions,
  });
  return [wiring, clicks];
}

export const recommendations: Capability = {
  name: 'recommendations',
  events: RECS_EVENTS,
  provides: [provide(RECS_SHARED, shared)],
  worker: recsWorker,
  routes: (ctx) => {
    const s = ctx.use(RECS_SHARED);
    return recsRoutes({
      registry: ctx.registry,
      producer: ctx.producer,
      catalogue: s.catalogue,
      store: s.store,
      model: modelOf(s.slot),
      metrics: ctx.metrics,
      maxEvents: ctx.config.recommendations.maxEventsPerRequest,
    });
  },
};
