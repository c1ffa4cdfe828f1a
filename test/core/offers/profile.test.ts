import { MemoryProfileStore, RedisProfileStore } from '@hexcast/core';
import { describe, expect, it } from 'vitest';
import { profileContract } from '../../contracts/profile.contract.js';
import { hasService, useRedis } from '../../helpers/services.js';

profileContract('memory', async () => ({ impl: new MemoryProfileStore(), cleanup: async () => undefined }));

describe('memory profile bounds', () => {
  it('keeps at most maxDevices profiles, dropping the least recently changed', async () => {
    const s = new MemoryProfileStore(2);
    await s.record('a', '1', { click: 'x' });
    await s.record('b', '1', { click: 'x' });
    await s.record('a', '2', { click: 'x' });
    await s.record('c', '1', { click: 'x' });
    expect((await s.get('a')).totalClicks).toBe(2);
    expect((await s.get('b')).totalClicks).toBe(0);
    expect((await s.get('c')).totalClicks).toBe(1);
  });
});

describe.skipIf(!hasService('redis'))('redis', () => {
  profileContract('redis', async () => {
    const redis = await useRedis();
    return { impl: new RedisProfileStore(redis.client, redis.prefix), cleanup: () => redis.cleanup() };
  });

  it('keeps the profile and its applied ids in one hash slot, with TTLs', async () => {
    const redis = await useRedis();
    const s = new RedisProfileStore(redis.client, redis.prefix);
    await s.record('dev-ttl', 'ev-1', { click: 'tea' });
    const keys = await redis.client.keys(`${redis.prefix}prof:*`);
    expect(keys.sort()).toEqual([`${redis.prefix}prof:{dev-ttl}`, `${redis.prefix}prof:{dev-ttl}:seen:ev-1`]);
    for (const k of keys) expect(await redis.client.pttl(k)).toBeGreaterThan(0);
    await redis.cleanup();
  });
});
