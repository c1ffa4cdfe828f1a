import type { Fence, FenceIndex, FenceShape } from '@hexcast/core';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import turfDistance from '@turf/distance';
import { multiPolygon, polygon } from '@turf/helpers';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import { describe, expect, it } from 'vitest';
import { pointsAround, prng, randomFences } from '../fixtures/random-fences.js';

export interface FenceIndexFixture {
  impl: FenceIndex;
  cleanup(): Promise<void>;
}

const square = (id: string, lng: number, lat: number, d: number): Fence => ({
  id,
  shape: {
    type: 'Polygon',
    coordinates: [
      [
        [lng, lat],
        [lng + d, lat],
        [lng + d, lat + d],
        [lng, lat + d],
        [lng, lat],
      ],
    ],
  },
});

function turfTest(shape: FenceShape): (lat: number, lng: number) => boolean {
  if (shape.type === 'Circle')
    return (lat, lng) => turfDistance(shape.center, [lng, lat]) * 1000 <= shape.radiusM;
  const f: Feature<Polygon | MultiPolygon> =
    shape.type === 'Polygon' ? polygon(shape.coordinates) : multiPolygon(shape.coordinates);
  return (lat, lng) => booleanPointInPolygon([lng, lat], f);
}

/** Every FenceIndex passes this. */
export function fenceIndexContract(name: string, factory: () => Promise<FenceIndexFixture>): void {
  describe(`FenceIndex contract: ${name}`, () => {
    it('answers which fences contain a point, honours holes, updates and removals', async () => {
      const f = await factory();
      await f.impl.upsert(square('a', 2.3, 48.85, 0.01));
      await f.impl.upsert({
        id: 'donut',
        shape: {
          type: 'Polygon',
          coordinates: [
            [
              [2.3, 48.85],
              [2.32, 48.85],
              [2.32, 48.87],
              [2.3, 48.87],
              [2.3, 48.85],
            ],
            [
              [2.314, 48.864],
              [2.318, 48.864],
              [2.318, 48.868],
              [2.314, 48.868],
              [2.314, 48.864],
            ],
          ],
        },
      });
      expect((await f.impl.lookup(48.855, 2.305)).sort()).toEqual(['a', 'donut']);
      expect(await f.impl.lookup(48.866, 2.316)).toEqual([]); // in the hole
      expect(await f.impl.lookup(48.9, 2.4)).toEqual([]);
      expect(f.impl.size).toBe(2);
      await f.impl.upsert({ id: 'a', shape: { type: 'Circle', center: [2.4, 48.9], radiusM: 200 } });
      expect(await f.impl.lookup(48.855, 2.305)).toEqual(['donut']);
      expect(await f.impl.lookup(48.9, 2.4)).toEqual(['a']);
      expect(await f.impl.remove('a')).toBe(true);
      expect(await f.impl.remove('a')).toBe(false);
      expect(await f.impl.lookup(48.9, 2.4)).toEqual([]);
      expect(f.impl.size).toBe(1);
      await f.cleanup();
    });

    it('agrees with @turf on points around 60 random fences', async () => {
      const f = await factory();
      const fences = randomFences(60, 7);
      for (const fence of fences) await f.impl.upsert(fence);
      const tests = fences.map((fence) => ({ id: fence.id, test: turfTest(fence.shape) }));
      const rand = prng(3);
      let mismatches = 0;
      for (const fence of fences) {
        for (const [lat, lng] of pointsAround(rand, fence, 4, 4)) {
          const expected = tests
            .filter((t) => t.test(lat, lng))
            .map((t) => t.id)
            .sort()
            .join();
          if ((await f.impl.lookup(lat, lng)).sort().join() !== expected) mismatches++;
        }
      }
      expect(mismatches).toBe(0);
      await f.cleanup();
    });
  });
}
