import type { Clock } from '../envelope/index.js';
import type { DeviceGeoState, DevicePosition, DeviceStateStore, StateCommit } from './device-state.js';

interface Entry {
  state: DeviceGeoState & { position: DevicePosition };
  expiresAt: number;
}

/** Device geo state in process memory, expiring like the Redis keys, bounded in entries. */
export class MemoryDeviceStateStore implements DeviceStateStore {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly clock: Clock = Date.now,
    readonly maxDevices = 5_000_000,
  ) {}

  async load(deviceId: string): Promise<DeviceGeoState> {
    const entry = this.#live(deviceId);
    return entry === undefined ? { position: null, membership: {} } : copy(entry.state);
  }

  async loadMany(deviceIds: readonly string[]): Promise<DeviceGeoState[]> {
    return Promise.all(deviceIds.map((id) => this.load(id)));
  }

  async commitMany(commits: readonly StateCommit[]): Promise<Array<'ok' | 'conflict'>> {
    return Promise.all(commits.map((c) => this.commit(c.deviceId, c.expectedTs, c.state, c.ttlMs)));
  }

  async commit(
    deviceId: string,
    expectedTs: number | null,
    state: DeviceGeoState & { position: DevicePosition },
    ttlMs: number,
  ) {
    const current = this.#live(deviceId)?.state.position.ts ?? null;
    if (current !== expectedTs || (current !== null && state.position.ts <= current))
      return 'conflict' as const;
    this.#entries.delete(deviceId); // re-insert: the Map's order is then least recently written first
    this.#entries.set(deviceId, { state: copy(state), expiresAt: this.clock() + ttlMs });
    if (this.#entries.size > this.maxDevices) this.#entries.delete(this.#entries.keys().next().value!);
    return 'ok' as const;
  }

  #live(deviceId: string): Entry | undefined {
    const entry = this.#entries.get(deviceId);
    if (entry !== undefined && entry.expiresAt <= this.clock()) {
      this.#entries.delete(deviceId);
      return undefined;
    }
    return entry;
  }
}

/**
 * A copy that shares nothing mutable (positions and memberships hold only primitives) — a few
 * times cheaper than `structuredClone` on the geo processor's per-fix path.
 */
function copy<S extends DeviceGeoState>(state: S): S {
  const membership: DeviceGeoState['membership'] = {};
  for (const id in state.membership) membership[id] = { ...state.membership[id]! };
  return { position: state.position === null ? null : { ...state.position }, membership } as S;
}
