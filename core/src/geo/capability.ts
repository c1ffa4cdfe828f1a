import { ConsumerRunner } from '../bus/index.js';
import { TOPICS } from '../envelope/index.js';
import { type Capability, port, type ServiceContext } from '../runtime/index.js';
import { deviceStateStore } from './device-state.engine.js';
import { GEO_EVENTS } from './events.js';
import { GeoProcessor, type LiveFences } from './geo-processor.js';

/** The live fences fixes are tested against; the campaigns capability provides them. */
export const LIVE_FENCES = port<LiveFences>('geo.live-fences');

/** `hexcast worker geo`: hx.locations → hx.geo-events. */
function geoWorker(ctx: ServiceContext) {
  const processor = new GeoProcessor({
    registry: ctx.registry,
    producer: ctx.producer,
    fences: ctx.use(LIVE_FENCES),
    state: deviceStateStore(ctx.redis()),
    metrics: ctx.metrics,
    maxSpeedMps: ctx.config.geo.maxSpeedMps,
    stateTtlMs: ctx.config.geo.stateTtlMs,
  });
  return [
    new ConsumerRunner({
      ...ctx,
      groupId: 'hx-geo',
      topics: [TOPICS.locations.name],
      stage: 'geo',
      handler: (envelope) => processor.handle(envelope),
    }),
  ];
}

export const geo: Capability = { name: 'geo', events: GEO_EVENTS, worker: geoWorker };
