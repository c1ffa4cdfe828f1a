import { SdkError } from './errors.js';

/** One location fix from the app's location provider. */
export interface Fix {
  lat: number;
  lng: number;
  /** Horizontal accuracy, metres. */
  accuracy: number;
  /** Device time of the fix, epoch ms (defaults to now). */
  ts?: number;
  /** Metres per second. */
  speed?: number;
}

/** Anything that produces fixes: the browser's geolocation, a React Native module, a simulator. */
export interface LocationProvider {
  start(onFix: (fix: Fix) => void): void;
  stop(): void;
}

export type TrackingModeName = 'continuous' | 'responsive' | 'efficient';

export interface TrackingMode {
  /** A fix is kept only if the device moved at least this far since the last kept one… */
  distanceFilterM: number;
  /** …and at least this long has passed… */
  minIntervalMs: number;
  /** …or, standing still, once every `heartbeatMs`. */
  heartbeatMs: number;
  /** Fixes sent together in one message. */
  batchSize: number;
  /** A partial batch goes out after this long. */
  maxBatchDelayMs: number;
}

/**
 * The three modes, like the leading geofencing SDKs': `continuous` for foreground navigation,
 * `responsive` for most apps (timely enter/exit), `efficient` for battery first.
 */
export const TRACKING_MODES: Readonly<Record<TrackingModeName, TrackingMode>> = {
  continuous: {
    distanceFilterM: 0,
    minIntervalMs: 1_000,
    heartbeatMs: 1_000,
    batchSize: 1,
    maxBatchDelayMs: 0,
  },
  responsive: {
    distanceFilterM: 25,
    minIntervalMs: 15_000,
    heartbeatMs: 300_000,
    batchSize: 4,
    maxBatchDelayMs: 60_000,
  },
  efficient: {
    distanceFilterM: 150,
    minIntervalMs: 120_000,
    heartbeatMs: 900_000,
    batchSize: 10,
    maxBatchDelayMs: 600_000,
  },
};

/** The most fixes a batch may hold: the gateway's default limit (`HX_GATEWAY_MAX_FIXES_PER_BATCH`). */
export const MAX_BATCH_SIZE = 100;

/** An app's own mode, checked: non-negative finite numbers, a batch of 1 to `MAX_BATCH_SIZE` fixes. */
export function checkedMode(mode: TrackingMode): TrackingMode {
  const { distanceFilterM, minIntervalMs, heartbeatMs, batchSize, maxBatchDelayMs } = mode;
  for (const [name, value] of Object.entries({
    distanceFilterM,
    minIntervalMs,
    heartbeatMs,
    maxBatchDelayMs,
  })) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new SdkError('HX_SDK_INVALID_MODE', `${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE)
    throw new SdkError(
      'HX_SDK_INVALID_MODE',
      `batchSize must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${String(batchSize)}`,
    );
  return { distanceFilterM, minIntervalMs, heartbeatMs, batchSize, maxBatchDelayMs };
}

const EARTH_RADIUS_M = 6_371_008.8;

export function distanceM(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Decides which fixes of a provider a mode keeps. */
export class ModeFilter {
  #last: { lat: number; lng: number; ts: number } | null = null;

  constructor(readonly mode: TrackingMode) {}

  keep(fix: Required<Pick<Fix, 'lat' | 'lng' | 'ts'>>): boolean {
    const last = this.#last;
    if (last !== null) {
      const elapsed = fix.ts - last.ts;
      if (elapsed < this.mode.minIntervalMs) return false;
      if (distanceM(last, fix) < this.mode.distanceFilterM && elapsed < this.mode.heartbeatMs) return false;
    }
    this.#last = { lat: fix.lat, lng: fix.lng, ts: fix.ts };
    return true;
  }
}
