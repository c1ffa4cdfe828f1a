import type { Static } from '@sinclair/typebox';
import { v5 as uuidv5 } from 'uuid';
import type { BusProducer } from '../bus/index.js';
import { type DeviceLocation, type Envelope, type EventRegistry, TOPICS } from '../envelope/index.js';
import type { Metrics } from '../observability/index.js';
import { haversineM } from './contains.js';
import type { DeviceGeoState, DeviceStateStore, StateCommit } from './device-state.js';
import { GeoDwell, GeoEnter, GeoExit } from './events.js';
import { advanceMembership, type FenceTiming } from './transitions.js';

/** A device's state once a fix has been applied: it has a position. */
type PositionedState = StateCommit['state'];

/** The fences fixes are tested against and how each debounces (the campaigns' catalogue is one). */
export interface LiveFences {
  /** Ids of the live fences containing the point. */
  lookup(lat: number, lng: number): string[];
  timing(fenceId: string): FenceTiming;
  /** The campaign a fence belongs to. */
  ownerOf(fenceId: string): string;
}

type Fix = Static<(typeof DeviceLocation)['schema']>;

export interface GeoProcessorOptions {
  registry: EventRegistry;
  producer: BusProducer;
  fences: LiveFences;
  state: DeviceStateStore;
  metrics: Metrics;
  clock?: () => number;
  /** Above this implied speed between two fixes, events are flagged `impossibleTravel` (m/s). */
  maxSpeedMps?: number;
  /** How long a silent device's state is kept (ms). */
  stateTtlMs?: number;
}

const EVENT_NAMESPACE = '1b671a64-40d5-491e-99b0-da01ff1f3341';

/**
 * `hx.locations` → `hx.geo-events`. Per fix: load the device's state, ignore it if older than the
 * last fix, compute the containing fences, advance membership, publish enter / dwell / exit, then
 * store the state (a batch's loads, publishes and stores grouped: see `handleBatch`). Events are
 * published before the state is stored, and their ids are derived from (device, fence, kind, visit
 * start), so a crash or a replay re-sends the same ids at worst and a replay after the commit sends
 * nothing: effectively once.
 */
export class GeoProcessor {
  readonly #o: GeoProcessorOptions;
  readonly #clock: () => number;
  readonly #m;

  constructor(options: GeoProcessorOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#m = {
      outOfOrder: options.metrics.counter({
        name: 'geo_out_of_order_total',
        help: 'fixes older than the last one, ignored',
      }),
      impossible: options.metrics.counter({
        name: 'geo_impossible_travel_total',
        help: 'fixes implying an impossible speed',
      }),
      conflicts: options.metrics.counter({
        name: 'geo_state_conflicts_total',
        help: 'state commits lost to a newer writer',
      }),
      events: options.metrics.counter<'kind'>({
        name: 'geo_events_total',
        help: 'geo events published',
        labelNames: ['kind'],
      }),
    };
  }

  async handle(envelope: Envelope): Promise<void> {
    return this.handleBatch([envelope]);
  }

  /**
   * A fetched batch: every device's state loaded at once, its fixes applied in order in memory,
   * the batch's events published, then every changed state committed at once (each device's
   * compare-and-set its own). The same events and final states as handling the fixes one by one.
   */
  async handleBatch(envelopes: readonly Envelope[]): Promise<void> {
    const byDevice = new Map<string, Envelope[]>();
    for (const envelope of envelopes) {
      if (envelope.type !== 'device.location') continue;
      const deviceId = (envelope.data as Fix).deviceId;
      const list = byDevice.get(deviceId);
      if (list === undefined) byDevice.set(deviceId, [envelope]);
      else list.push(envelope);
    }
    if (byDevice.size === 0) return;
    const devices = [...byDevice];
    const loaded = await this.#o.state.loadMany(devices.map(([deviceId]) => deviceId));
    const sends: Promise<void>[] = [];
    const commits: StateCommit[] = [];
    const ttlMs = this.#o.stateTtlMs ?? 24 * 3600 * 1000;
    for (const [d, [deviceId, fixes]] of devices.entries()) {
      const stored = loaded[d]!;
      // The device's state after its last fix that was not ignored; null while none was applied.
      let next: PositionedState | null = null;
      for (const envelope of fixes) next = this.#advance(envelope, next ?? stored, sends) ?? next;
      if (next !== null)
        commits.push({ deviceId, expectedTs: stored.position?.ts ?? null, state: next, ttlMs });
    }
    // Events before states: a crash between the two re-sends the same event ids at worst.
    await Promise.all(sends);
    for (const result of await this.#o.state.commitMany(commits))
      if (result === 'conflict') this.#m.conflicts.inc();
  }

  /** One fix applied to a device's state: its events sent (pushed on `sends`), the new state; null if ignored. */
  #advance(envelope: Envelope, state: DeviceGeoState, sends: Promise<void>[]): PositionedState | null {
    const fix = envelope.data as Fix;
    const deviceId = fix.deviceId;
    const ts = envelope.ts;
    const previous = state.position;
    if (previous !== null && ts <= previous.ts) {
      this.#m.outOfOrder.inc();
      return null;
    }
    let impliedSpeedMps: number | undefined;
    if (previous !== null) {
      const seconds = (ts - previous.ts) / 1000;
      const meters = haversineM(previous.lat, previous.lng, fix.lat, fix.lng);
      impliedSpeedMps = seconds > 0 ? meters / seconds : Number.POSITIVE_INFINITY;
    }
    const impossibleTravel = impliedSpeedMps !== undefined && impliedSpeedMps > (this.#o.maxSpeedMps ?? 100);
    if (impossibleTravel) this.#m.impossible.inc();

    const fences = this.#o.fences;
    const containing = fences.lookup(fix.lat, fix.lng);
    const { membership, events } = advanceMembership(state.membership, new Set(containing), ts, (id) =>
      fences.timing(id),
    );
    const h3 = fix.h3 ?? '';
    const region = envelope.source.region;
    for (const event of events) {
      const type = event.kind === 'enter' ? GeoEnter : event.kind === 'exit' ? GeoExit : GeoDwell;
      const geo = this.#o.registry.create(type, {
        id: uuidv5(`${deviceId}|${event.fenceId}|${event.kind}|${event.visitStartedAt}`, EVENT_NAMESPACE),
        key: deviceId,
        ts,
        source: { kind: 'processor', id: 'geo' },
        data: {
          deviceId,
          fenceId: event.fenceId,
          campaignId: fences.ownerOf(event.fenceId),
          ...(region === undefined ? {} : { region }),
          fences: containing,
          lat: fix.lat,
          lng: fix.lng,
          h3,
          accuracy: fix.accuracy,
          visitStartedAt: event.visitStartedAt,
          ...(event.dwellMs === undefined ? {} : { dwellMs: event.dwellMs }),
          impossibleTravel,
          ...(impliedSpeedMps === undefined || !Number.isFinite(impliedSpeedMps) ? {} : { impliedSpeedMps }),
        },
      });
      this.#m.events.inc({ kind: event.kind });
      sends.push(this.#o.producer.send(TOPICS.geoEvents, geo));
    }
    return {
      position: { lat: fix.lat, lng: fix.lng, accuracy: fix.accuracy, h3, ts, seenAt: this.#clock() },
      membership,
    };
  }
}
