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

  async load(deviceId: string): Promise<DeviceGeoState> {
    const [pos, mem] = this.#keys(deviceId);
    const [[, fix], [, membership]] = (await this.redis.multi().hget(pos, 'fix').get(mem).exec()) as [
      [unknown, string | null],
      [unknown, string | null],
    ];
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
