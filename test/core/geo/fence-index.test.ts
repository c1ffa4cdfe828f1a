import {
  cellTail,
  type Fence,
  type FenceShape,
  HexcastError,
  MemoryFenceIndex,
  parentTail,
  validateFenceShape,
} from '@hexcast/core';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import turfDistance from '@turf/distance';
import { multiPolygon, polygon } from '@turf/helpers';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import { cellToParent, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { pointsAround, prng, randomFences } from '../../fixtures/random-fences.js';

describe('H3 cell arithmetic', () => {
  it('computes every ancestor exactly as h3-js does', () => {
    const rand = prng(7);
    for (let i = 0; i < 500; i++) {
      const cell = latLngToCell(rand() * 170 - 85, rand() * 358 - 179, 13);
      for (let r = 0; r <= 13; r++) {
        expect(parentTail(cellTail(cell), r)).toBe(cellTail(cellToParent(cell, r)));
      }
    }
  });
});

function turfTest(shape: FenceShape): (lat: number, lng: number) => boolean {
  if (shape.type === 'Circle')
    return (lat, lng) => turfDistance(shape.center, [lng, lat]) * 1000 <= shape.radiusM;
  const feature: Feature<Polygon | MultiPolygon> =
    shape.type === 'Polygon' ? polygon(shape.coordinates) : multiPolygon(shape.coordinates);
  return (lat, lng) => booleanPointInPolygon([lng, lat], feature);
}

/**
 * Looks up points around each probed fence (removed ones included) and compares with @turf over
 * the live fences: how many points were inside some fence, and every disagreement.
 */
/**
 * These checks run for tens of seconds of pure CPU: yielding a macrotask now and then lets the
 * worker answer vitest's RPC (its replies are read in the event loop's poll phase; a worker that
 * never gets there for 60 s fails the run with "Timeout calling onTaskUpdate").
 */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function compareAround(index: MemoryFenceIndex, rand: () => number, live: Fence[], probed: Fence[]) {
  const reference = live.map((f) => ({ id: f.id, test: turfTest(f.shape) }));
  const mismatches: string[] = [];
  let inside = 0;
  for (const [n, fence] of probed.entries()) {
    if (n % 50 === 0) await yieldToLoop();
    for (const [lat, lng] of pointsAround(rand, fence, 4, 4)) {
      const expected = reference
        .filter((r) => r.test(lat, lng))
        .map((r) => r.id)
        .sort();
      inside += expected.length > 0 ? 1 : 0;
      const actual = index.lookup(lat, lng).sort();
      if (expected.join() !== actual.join())
        mismatches.push(`${lat},${lng}: expected [${expected}] got [${actual}]`);
    }
  }
  return { inside, mismatches };
}

describe('fence index agrees with the exact @turf reference', () => {
  // Finest resolution 9 is the default: every fence (20 m–3 km) is covered at the resolution
  // lookups compute (no margin), as at 7; at 11 the largest (~12%) take more than the default
  // `maxDirectCells` there and are covered coarser, looked up by ancestor; with `maxDirectCells` 0
  // every fence is (at the resolution `resolutionFor` gives it, when coarser than the finest).
  it.each([
    [9, undefined],
    [9, 0],
    [7, undefined],
    [11, undefined],
  ])(
    'on every point around 1,000 random polygons, multipolygons and circles (finest resolution %i, most direct cells %s)',
    async (finestResolution, maxDirectCells) => {
      const fences = randomFences(1000, 2026);
      const index = new MemoryFenceIndex({ finestResolution, maxDirectCells });
      for (const fence of fences) index.upsert(fence);

      // Reference: brute force over every fence with @turf (point-in-polygon, great-circle distance).
      const reference = fences.map((f) => ({ id: f.id, test: turfTest(f.shape) }));
      const rand = prng(99);
      let points = 0;
      let inside = 0;
      const mismatches: string[] = [];
      for (const [n, fence] of fences.entries()) {
        if (n % 50 === 0) await yieldToLoop();
        for (const [lat, lng] of pointsAround(rand, fence, 10, 10)) {
          points++;
          const expected = reference
            .filter((r) => r.test(lat, lng))
            .map((r) => r.id)
            .sort();
          const actual = index.lookup(lat, lng).sort();
          inside += expected.length > 0 ? 1 : 0;
          if (expected.join() !== actual.join())
            mismatches.push(`${lat},${lng}: expected [${expected}] got [${actual}]`);
        }
      }
      expect(points).toBe(20_000);
      expect(inside).toBeGreaterThan(5_000); // the sample really straddles fences
      expect(mismatches.length, mismatches.slice(0, 5).join('\n')).toBe(0);
    },
  );

  it('keeps agreeing with @turf through churn (removals, re-inserts, the shape store compacting)', async () => {
    // Many-vertex polygons (and some circles), so that removals leave enough garbage for the
    // flat shape store to compact (it does past 65,536 numbers and half the store).
    const rand = prng(77);
    const manyVertices = (id: string): Fence => {
      const [lat0, lng0] = [48.85 + (rand() - 0.5) * 0.1, 2.35 + (rand() - 0.5) * 0.15];
      if (rand() < 0.2)
        return { id, shape: { type: 'Circle', center: [lng0, lat0], radiusM: 20 + rand() * 80 } };
      const ring: Array<[number, number]> = [];
      for (let k = 0; k < 160; k++) {
        const angle = (2 * Math.PI * k) / 160;
        const r = (30 + rand() * 60) / 111_000;
        ring.push([
          lng0 + (r * Math.cos(angle)) / Math.cos((lat0 * Math.PI) / 180),
          lat0 + r * Math.sin(angle),
        ]);
      }
      ring.push([ring[0]![0], ring[0]![1]]);
      return { id, shape: { type: 'Polygon', coordinates: [ring] } };
    };
    const fences = Array.from({ length: 600 }, (_, i) => manyVertices(`f${i}`));
    const index = new MemoryFenceIndex();
    for (const fence of fences) index.upsert(fence);
    const removed = fences.filter((_, i) => i % 3 !== 0);
    for (const fence of removed) expect(index.remove(fence.id)).toBe(true);
    const added = Array.from({ length: 150 }, (_, i) => manyVertices(`new${i}`));
    for (const fence of added) index.upsert(fence);
    const live = [...fences.filter((_, i) => i % 3 === 0), ...added];
    const { inside, mismatches } = await compareAround(index, rand, live, [
      ...live,
      ...removed.slice(0, 100),
    ]);
    expect(inside).toBeGreaterThan(500);
    expect(mismatches.length, mismatches.slice(0, 5).join('\n')).toBe(0);
  });

  it('keeps agreeing with @turf in dense downtowns (long candidate lists growing, moving, dying, compacting)', async () => {
    // Each round: 1,500 shop-sized fences in 1.2 km × 1.2 km (a resolution-9 cell holds dozens of
    // candidates; lists outgrow their room and move), then a campaign ends: 98% of them go, most
    // of that downtown's lists die, and dead lists pile up past the compaction threshold.
    const rand = prng(4242);
    const shop = (id: string, round: number): Fence => {
      const lat = 48.86 + round * 0.02 + (rand() - 0.5) * 0.011;
      const lng = 2.34 + (rand() - 0.5) * 0.016;
      if (rand() < 0.5)
        return { id, shape: { type: 'Circle', center: [lng, lat], radiusM: 10 + rand() * 40 } };
      const d = (10 + rand() * 30) / 111_000;
      const ring: Array<[number, number]> = [
        [lng - d, lat - d],
        [lng + d, lat - d],
        [lng + d, lat + d],
        [lng - d, lat + d],
        [lng - d, lat - d],
      ];
      return { id, shape: { type: 'Polygon', coordinates: [ring] } };
    };
    const index = new MemoryFenceIndex();
    const live = new Map<string, Fence>();
    const removed: Fence[] = [];
    let compactions = 0;
    let garbage = 0;
    const watch = () => {
      const now = index.storage.listGarbage;
      if (now < garbage) compactions++;
      garbage = now;
    };
    for (let round = 0; round < 8; round++) {
      await yieldToLoop();
      const fences = Array.from({ length: 1_500 }, (_, i) => shop(`r${round}-${i}`, round));
      for (const fence of fences) {
        index.upsert(fence);
        live.set(fence.id, fence);
        watch();
      }
      for (const fence of fences.filter(() => rand() < 0.98)) {
        expect(index.remove(fence.id)).toBe(true);
        live.delete(fence.id);
        removed.push(fence);
        watch();
      }
    }
    expect(compactions).toBeGreaterThan(0);
    const { inside, mismatches } = await compareAround(
      index,
      rand,
      [...live.values()],
      [...live.values(), ...removed.slice(-300)],
    );
    expect(inside).toBeGreaterThan(1_000);
    expect(mismatches.length, mismatches.slice(0, 5).join('\n')).toBe(0);
  });

  it('forgets removed fences and replaces updated ones', () => {
    const index = new MemoryFenceIndex();
    const square: Fence = {
      id: 'sq',
      shape: {
        type: 'Polygon',
        coordinates: [
          [
            [2.3, 48.85],
            [2.31, 48.85],
            [2.31, 48.86],
            [2.3, 48.86],
            [2.3, 48.85],
          ],
        ],
      },
    };
    index.upsert(square);
    expect(index.lookup(48.855, 2.305)).toEqual(['sq']);
    index.upsert({ id: 'sq', shape: { type: 'Circle', center: [2.4, 48.9], radiusM: 100 } });
    expect(index.lookup(48.855, 2.305)).toEqual([]);
    expect(index.lookup(48.9, 2.4)).toEqual(['sq']);
    expect(index.remove('sq')).toBe(true);
    expect(index.lookup(48.9, 2.4)).toEqual([]);
    expect(index.cellCount).toBe(0);
  });
});

describe('fence validation', () => {
  const ring = [
    [2.3, 48.85],
    [2.31, 48.85],
    [2.31, 48.86],
    [2.3, 48.86],
    [2.3, 48.85],
  ];
  it.each<[string, unknown, string]>([
    [
      'latitude out of range',
      {
        type: 'Polygon',
        coordinates: [
          [
            [2.3, 95],
            [2.31, 48.85],
            [2.31, 48.86],
            [2.3, 95],
          ],
        ],
      },
      'HX_GEO_COORDINATE_RANGE',
    ],
    ['an open ring', { type: 'Polygon', coordinates: [ring.slice(0, 4)] }, 'HX_GEO_RING_NOT_CLOSED'],
    [
      'a bow tie',
      {
        type: 'Polygon',
        coordinates: [
          [
            [2.3, 48.85],
            [2.31, 48.86],
            [2.31, 48.85],
            [2.3, 48.86],
            [2.3, 48.85],
          ],
        ],
      },
      'HX_GEO_SELF_INTERSECTION',
    ],
    [
      'a huge area',
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 40],
            [10, 40],
            [10, 50],
            [0, 50],
            [0, 40],
          ],
        ],
      },
      'HX_GEO_AREA_TOO_LARGE',
    ],
    [
      'the antimeridian',
      {
        type: 'Polygon',
        coordinates: [
          [
            [179.9, 10],
            [-179.9, 10],
            [-179.9, 10.1],
            [179.9, 10],
            [179.9, 10],
          ],
        ],
      },
      'HX_GEO_ANTIMERIDIAN',
    ],
    ['a zero radius', { type: 'Circle', center: [2.3, 48.8], radiusM: 1 }, 'HX_GEO_RADIUS_INVALID'],
    [
      'too many vertices',
      {
        type: 'Polygon',
        coordinates: [
          Array.from({ length: 6001 }, (_, i) => {
            const a = (2 * Math.PI * i) / 6000;
            return [2.3 + 0.01 * Math.cos(a), 48.85 + 0.01 * Math.sin(a)];
          }),
        ],
      },
      'HX_GEO_TOO_MANY_VERTICES',
    ],
  ])('rejects %s with a coded error', (_name, shape, code) => {
    try {
      validateFenceShape(shape as never);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(HexcastError);
      expect((error as HexcastError).code).toBe(code);
    }
  });
});
