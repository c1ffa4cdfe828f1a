import type { Redis } from 'ioredis';
import { RedisScript } from '../redis/index.js';
import {
  type DeviceProfile,
  emptyProfile,
  PROFILE_SEEN_TTL_MS,
  PROFILE_TTL_MS,
  type ProfileChange,
  type ProfileStore,
} from './profile.js';

const recordScript = new RedisScript(new URL('./lua/record-profile.lua', import.meta.url), 2);

/** Profiles in Redis: one hash per device, `hx:prof:{<deviceId>}`, with the applied ids beside it. */
export class RedisProfileStore implements ProfileStore {
  constructor(
    readonly redis: Redis,
    readonly prefix = 'hx:',
  ) {}

  async get(deviceId: string): Promise<DeviceProfile> {
    const hash = await this.redis.hgetall(this.#key(deviceId));
    const profile = emptyProfile();
    for (const [field, value] of Object.entries(hash)) {
      const n = Number(value);
      if (field === 'total') profile.totalClicks = n;
      else if (field === 'offers') profile.offers = n;
      else if (field === 'redeemed') profile.redemptions = n;
      else if (field.startsWith('c:')) profile.clicks[field.slice(2)] = n;
    }
    return profile;
  }

  async record(deviceId: string, eventId: string, change: ProfileChange): Promise<boolean> {
    const key = this.#key(deviceId);
    const click = change.click === undefined ? '' : change.click === null ? '-' : change.click;
    const applied = await recordScript.run(
      this.redis,
      [key, `${key}:seen:${eventId}`],
      [click, change.offer ? 1 : 0, change.redemption ? 1 : 0, PROFILE_TTL_MS, PROFILE_SEEN_TTL_MS],
    );
    return applied === 1;
  }

  #key(deviceId: string): string {
    return `${this.prefix}prof:{${deviceId}}`;
  }
}
