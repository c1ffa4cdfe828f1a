import type { Redis } from 'ioredis';
import { RedisScript } from '../redis/index.js';
import type { DeviceGeoState, DevicePosition, DeviceStateStore } from './device-state.js';
import type { Membership } from './transitions.js';

const commitScript = new RedisScript(new URL('./lua/commit-device-state.lua', import.meta.url), 2);

/** Device geo state in Redis: `hx:pos:{id}` and `hx:mem:{id}` (one hash tag: one slot), both with a TTL. */
export class RedisDeviceStateStore implements DeviceStateStore {
  constructor(
    readonly redis: Redis,
    readonly prefix = 'hx:',
  ) {}

  #keys(deviceId: string): [string, string] {
    return [`${this.prefix}pos:{${deviceId}}`, `${this.prefix}mem:{${deviceId}}`];
  }

  /**
   * Two plain reads, not a MULTI: the client's auto-pipelining writes every read a batch issues in
   * one tick as one request, where each MULTI was a write of its own (one a fix). The position is
   * read first: a commit landing between the two reads changes the stored fix's time, so the
   * compare-and-set in `commit` refuses a state built on the mixed pair.
   */
  async load(deviceId: string): Promise<DeviceGeoState> {
    const [pos, mem] = this.#keys(deviceId);
    const [fix, membership] = await Promise.all([this.redis.hget(pos, 'fix'), this.redis.get(mem)]);
    return {
      position: fix === null ? null : (JSON.parse(fix) as DevicePosition),
      membership: membership === null ? {} : (JSON.parse(membership) as Membership),
    };
  }

  async commit(
    deviceId: string,
    expectedTs: number | null,
    state: DeviceGeoState & { position: DevicePosition },
    ttlMs: number,
  ) {
    const result = await commitScript.run(this.redis, this.#keys(deviceId), [
      expectedTs === null ? '' : String(expectedTs),
      String(state.position.ts),
      JSON.stringify(state.position),
      JSON.stringify(state.membership),
      Math.max(1, Math.ceil(ttlMs)),
    ]);
    return result === 1 ? ('ok' as const) : ('conflict' as const);
  }
}
