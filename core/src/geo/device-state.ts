import type { Membership } from './transitions.js';

/** The last accepted fix of a device. */
export interface DevicePosition {
  lat: number;
  lng: number;
  accuracy: number;
  h3: string;
  /** Event time of the fix, ms. */
  ts: number;
  /** When the processor saw it, ms. */
  seenAt: number;
}

export interface DeviceGeoState {
  position: DevicePosition | null;
  membership: Membership;
}

/** One device's commit: its new state, if the stored position's ts still equals `expectedTs`. */
export interface StateCommit {
  deviceId: string;
  expectedTs: number | null;
  state: DeviceGeoState & { position: DevicePosition };
  ttlMs: number;
}

/**
 * Per-device geo state: last position and fence membership, written together. `commit` is a
 * compare-and-set on the previous fix's time, so a stale or concurrent writer cannot go back in time.
 * The `…Many` forms do the same for several devices at once (a fetched batch's), in one round trip
 * where the store has them; each device's answer is its own.
 */
export interface DeviceStateStore {
  load(deviceId: string): Promise<DeviceGeoState>;
  loadMany(deviceIds: readonly string[]): Promise<DeviceGeoState[]>;
  /**
   * Stores the new state if the stored position's ts still equals `expectedTs` (null: no position)
   * and the new fix is newer. Both keys expire after `ttlMs` without fixes.
   */
  commit(
    deviceId: string,
    expectedTs: number | null,
    state: DeviceGeoState & { position: DevicePosition },
    ttlMs: number,
  ): Promise<'ok' | 'conflict'>;
  /** `commit` for each, answered in order; one device's conflict leaves the others' commits alone. */
  commitMany(commits: readonly StateCommit[]): Promise<Array<'ok' | 'conflict'>>;
}
