import { ConsumerRunner, type EnvelopeHandler } from '../bus/index.js';
import { TOPICS } from '../envelope/index.js';
import { type Capability, port, provide, type ServiceContext } from '../runtime/index.js';
import { deviceStateStore } from './device-state.engine.js';
import type { DeviceStateStore } from './device-state.js';
import { GEO_EVENTS } from './events.js';
import { GeoProcessor, type LiveFences } from './geo-processor.js';

/** The live fences fixes are tested against; the campaigns capability provides them. */
export const LIVE_FENCES = port<LiveFences>('geo.live-fences');

/**
 * Each device's last accepted fix and fence membership: one store per process (in memory) or
 * Redis shared by every process. The fraud pipeline reads where a paying device really is here.
 */
export const DEVICE_STATE = port<DeviceStateStore>('geo.device-state');

/** `hexcast worker geo`: hx.locations → hx.geo-events. */
function geoWorker(ctx: ServiceContext) {
  const processor = new GeoProcessor({
    registry: ctx.registry,
    producer: ctx.producer,
    fences: ctx.use(LIVE_FENCES),
    state: ctx.use(DEVICE_STATE),
    metrics: ctx.metrics,
    maxSpeedMps: ctx.config.geo.maxSpeedMps,
    stateTtlMs: ctx.config.geo.stateTtlMs,
  });
  const handle: EnvelopeHandler = (envelope) => processor.handle(envelope);
  return [
    new ConsumerRunner({
      ...ctx,
      groupId: 'hx-geo',
      topics: [TOPICS.locations.name],
      stage: 'geo',
      handler: handle,
      batchHandler: (records) => processor.handleBatch(records.map((r) => r.envelope)),
      partitionsConcurrently: TOPICS.locations.partitions,
    }),
  ];
}

export const geo: Capability = {
  name: 'geo',
  events: GEO_EVENTS,
  provides: [provide(DEVICE_STATE, (ctx: ServiceContext) => ({ value: deviceStateStore(ctx.redis()) }))],
  worker: geoWorker,
};
