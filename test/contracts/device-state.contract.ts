import type { DeviceGeoState, DevicePosition, DeviceStateStore } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

export interface DeviceStateFixture {
  impl: DeviceStateStore;
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

const fix = (ts: number, lat = 48.85): DevicePosition => ({
  lat,
  lng: 2.35,
  accuracy: 5,
  h3: '8b1fb46ee932fff',
  ts,
  seenAt: ts,
});

/** Every DeviceStateStore passes this. */
export function deviceStateContract(name: string, factory: () => Promise<DeviceStateFixture>): void {
  describe(`DeviceStateStore contract: ${name}`, () => {
    it('starts empty, then stores position and membership together', async () => {
      const f = await factory();
      expect(await f.impl.load('d1')).toEqual({ position: null, membership: {} });
      const membership = {
        fenceA: { state: 'inside' as const, enteredAt: 1000, since: 1000, dwellEmitted: false },
      };
      expect(await f.impl.commit('d1', null, { position: fix(1000), membership }, 60_000)).toBe('ok');
      expect(await f.impl.load('d1')).toEqual({ position: fix(1000), membership });
      expect(await f.impl.load('d2')).toEqual({ position: null, membership: {} });
      await f.cleanup();
    });

    it('refuses a commit when the stored fix moved on, or when the new fix is not newer', async () => {
      const f = await factory();
      await f.impl.commit('d1', null, { position: fix(1000), membership: {} }, 60_000);
      expect(await f.impl.commit('d1', null, { position: fix(2000), membership: {} }, 60_000)).toBe(
        'conflict',
      );
      expect(await f.impl.commit('d1', 999, { position: fix(2000), membership: {} }, 60_000)).toBe(
        'conflict',
      );
      expect(await f.impl.commit('d1', 1000, { position: fix(1000), membership: {} }, 60_000)).toBe(
        'conflict',
      );
      expect(await f.impl.commit('d1', 1000, { position: fix(2000, 48.9), membership: {} }, 60_000)).toBe(
        'ok',
      );
      expect((await f.impl.load('d1')).position?.lat).toBe(48.9);
      await f.cleanup();
    });

    it('stores each commit as it was given: fences added, changed and dropped; later changes to the objects handed in or out touch nothing stored', async () => {
      const f = await factory();
      const visit = (state: 'inside' | 'leaving' | 'cooldown', since: number, dwellEmitted = false) => ({
        state,
        enteredAt: 1000,
        since,
        dwellEmitted,
      });
      const steps: Array<DeviceGeoState & { position: DevicePosition }> = [
        { position: fix(1000), membership: { a: visit('inside', 1000) } },
        {
          position: { ...fix(2000, 48.9), h3: '8b1fb46ee933fff' },
          membership: { a: visit('inside', 1000), b: visit('inside', 2000) },
        },
        { position: fix(3000), membership: { b: visit('leaving', 3000, true) } },
        { position: fix(4000, 48.7), membership: {} },
        { position: fix(5000), membership: { a: visit('cooldown', 5000) } },
      ];
      let expectedTs: number | null = null;
      for (const step of steps) {
        const given = structuredClone(step);
        expect(await f.impl.commit('d1', expectedTs, given, 60_000)).toBe('ok');
        expectedTs = step.position.ts;
        // The caller reuses what it gave, and what it loaded.
        given.position.lat = 0;
        for (const v of Object.values(given.membership)) v.since = -1;
        given.membership.z = visit('inside', 0);
        const loaded = await f.impl.load('d1');
        expect(loaded).toEqual(step);
        loaded.position!.h3 = 'x';
        for (const v of Object.values(loaded.membership)) v.dwellEmitted = !v.dwellEmitted;
        loaded.membership.y = visit('inside', 0);
        expect(await f.impl.load('d1')).toEqual(step);
      }
      await f.cleanup();
    });

    it('forgets a device after its TTL', async () => {
      const f = await factory();
      await f.impl.commit('d1', null, { position: fix(1000), membership: {} }, 80);
      await f.advance(150);
      expect(await f.impl.load('d1')).toEqual({ position: null, membership: {} });
      expect(await f.impl.commit('d1', null, { position: fix(500), membership: {} }, 60_000)).toBe('ok');
      await f.cleanup();
    });

    it('loads and commits several devices at once, answering each in order; a conflict of one leaves the others committed', async () => {
      const f = await factory();
      expect(await f.impl.loadMany([])).toEqual([]);
      expect(await f.impl.commitMany([])).toEqual([]);
      const inside = { a: { state: 'inside' as const, enteredAt: 900, since: 900, dwellEmitted: false } };
      expect(await f.impl.commit('d2', null, { position: fix(900), membership: inside }, 60_000)).toBe('ok');
      expect(await f.impl.loadMany(['d1', 'd2', 'd3'])).toEqual([
        { position: null, membership: {} },
        { position: fix(900), membership: inside },
        { position: null, membership: {} },
      ]);
      expect(
        await f.impl.commitMany([
          { deviceId: 'd1', expectedTs: null, state: { position: fix(1000), membership: {} }, ttlMs: 60_000 },
          // d2's stored fix is at 900: this writer read an older one.
          { deviceId: 'd2', expectedTs: 800, state: { position: fix(1000), membership: {} }, ttlMs: 60_000 },
          {
            deviceId: 'd3',
            expectedTs: null,
            state: { position: fix(1100, 48.9), membership: inside },
            ttlMs: 60_000,
          },
        ]),
      ).toEqual(['ok', 'conflict', 'ok']);
      expect(await f.impl.loadMany(['d3', 'd2', 'd1'])).toEqual([
        { position: fix(1100, 48.9), membership: inside },
        { position: fix(900), membership: inside },
        { position: fix(1000), membership: {} },
      ]);
      await f.cleanup();
    });

    it('lets exactly one of two concurrent writers win', async () => {
      const f = await factory();
      await f.impl.commit('d1', null, { position: fix(1000), membership: {} }, 60_000);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          f.impl.commit('d1', 1000, { position: fix(2000 + i), membership: {} }, 60_000),
        ),
      );
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      await f.cleanup();
    });
  });
}
