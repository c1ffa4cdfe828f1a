import type { ProfileStore } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

export interface ProfileFixture {
  impl: ProfileStore;
  cleanup(): Promise<void>;
}

/** Every ProfileStore passes this. */
export function profileContract(name: string, factory: () => Promise<ProfileFixture>): void {
  describe(`ProfileStore contract: ${name}`, () => {
    it('starts empty and counts clicks by category, offers and redemptions', async () => {
      const f = await factory();
      const s = f.impl;
      expect(await s.get('p1')).toEqual({ clicks: {}, totalClicks: 0, offers: 0, redemptions: 0 });
      expect(await s.record('p1', 'e1', { click: 'shoes' })).toBe(true);
      expect(await s.record('p1', 'e2', { click: 'shoes' })).toBe(true);
      expect(await s.record('p1', 'e3', { click: 'coffee' })).toBe(true);
      expect(await s.record('p1', 'e4', { click: null })).toBe(true);
      expect(await s.record('p1', 'o1', { offer: true })).toBe(true);
      expect(await s.record('p1', 'r1', { redemption: true })).toBe(true);
      expect(await s.get('p1')).toEqual({
        clicks: { shoes: 2, coffee: 1 },
        totalClicks: 4,
        offers: 1,
        redemptions: 1,
      });
      // Other devices are separate.
      expect(await s.get('p2')).toEqual({ clicks: {}, totalClicks: 0, offers: 0, redemptions: 0 });
      await f.cleanup();
    });

    it('applies an event id once per device: replays count nothing', async () => {
      const f = await factory();
      const s = f.impl;
      expect(await s.record('q1', 'same', { click: 'tea' })).toBe(true);
      expect(await s.record('q1', 'same', { click: 'tea' })).toBe(false);
      expect(await s.record('q1', 'same', { redemption: true })).toBe(false);
      // The same id on another device is another event.
      expect(await s.record('q2', 'same', { click: 'tea' })).toBe(true);
      expect((await s.get('q1')).clicks).toEqual({ tea: 1 });
      expect((await s.get('q1')).redemptions).toBe(0);
      await f.cleanup();
    });
  });
}
