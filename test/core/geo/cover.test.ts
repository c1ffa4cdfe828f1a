import {
  CELL_GRID,
  circleParams,
  coverFence,
  encodePolygons,
  exactTest,
  gridFrame,
  gridMarks,
  indexResolution,
  resolutionFor,
} from '@hexcast/core';
import { cellToBoundary, cellToChildren, cellToParent, getResolution, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { pointsAround, prng, randomFences } from '../../fixtures/random-fences.js';

/**
 * The cover on its own, against the exact shape test the lookups run: every point of the shape
 * lies in a cover cell, and every point of an interior cell lies in the shape. Both ways a lookup
 * finds its cell: at the cover's resolution itself (direct), or as the ancestor of a finer cell.
 */
describe('coverFence', () => {
  // Finer than `resolutionFor` too, so that the covers have interior cells to check.
  it.each([
    ['direct', true, 0],
    ['direct, finer', true, 1],
    ['by ancestor', false, 0],
    ['by ancestor, finer', false, 2],
  ])(
    'covers every point of the shape, and interior cells hold only points of it (%s)',
    (_, direct, finer) => {
      const rand = prng(31);
      const fences = randomFences(400, 2027);
      const missed: string[] = [];
      const wrongInterior: string[] = [];
      let insidePoints = 0;
      let interiorCells = 0;
      for (const fence of fences) {
        const resolution = resolutionFor(fence.shape) + finer;
        const cover = coverFence(fence.shape, resolution, direct);
        const test = exactTest(fence.shape);
        const interior = new Set(cover.interior);
        const boundary = new Set(cover.boundary);
        const isInterior = (cell: string) => {
          for (let r = getResolution(cell); r >= 0; r--) if (interior.has(cellToParent(cell, r))) return true;
          return false;
        };
        for (const [lat, lng] of pointsAround(rand, fence, 30, 60)) {
          const cell = direct
            ? latLngToCell(lat, lng, resolution)
            : cellToParent(latLngToCell(lat, lng, Math.min(15, resolution + 2)), resolution);
          if (!test(lat, lng)) continue;
          insidePoints++;
          if (!isInterior(cell) && !boundary.has(cell)) missed.push(`${fence.id} ${lat},${lng}`);
        }
        // Interior cells: each vertex, pulled 0.5% towards the cell's centre, is in the shape.
        for (const compacted of cover.interior) {
          const cells =
            getResolution(compacted) === resolution ? [compacted] : cellToChildren(compacted, resolution);
          for (const cell of cells) {
            interiorCells++;
            const vertices = cellToBoundary(cell);
            const [lat0, lng0] = vertices.reduce(
              ([a, b], [lat, lng]) => [a + lat! / 6, b + lng! / 6],
              [0, 0],
            );
            for (const [lat, lng] of vertices) {
              const [plat, plng] = [lat0 + (lat! - lat0) * 0.995, lng0 + (lng! - lng0) * 0.995];
              if (!test(plat, plng)) wrongInterior.push(`${fence.id} ${cell} ${plat},${plng}`);
            }
          }
        }
      }
      expect(insidePoints).toBeGreaterThan(10_000);
      if (finer > 0) expect(interiorCells).toBeGreaterThan(1_000);
      expect(missed, missed.slice(0, 5).join('\n')).toEqual([]);
      expect(wrongInterior, wrongInterior.slice(0, 5).join('\n')).toEqual([]);
    },
  );
});

describe('indexResolution', () => {
  const circle = (radiusM: number) => ({
    type: 'Circle' as const,
    center: [2.35, 48.85] as [number, number],
    radiusM,
  });

  it('covers a fence at the finest resolution unless it takes more than maxDirectCells cells there', () => {
    // Resolution-9 cells average 0.105 km²: 4,096 of them are ~431 km², a circle of ~11.7 km.
    expect(indexResolution(circle(20), 9)).toBe(9);
    expect(indexResolution(circle(1_000), 9)).toBe(9);
    expect(indexResolution(circle(11_000), 9)).toBe(9);
    expect(indexResolution(circle(12_500), 9)).toBe(resolutionFor(circle(12_500)));
    expect(resolutionFor(circle(12_500))).toBeLessThan(9);
    // With no direct cells allowed, the resolution `resolutionFor` gives, never finer than the finest.
    expect(indexResolution(circle(1_000), 9, 0)).toBe(resolutionFor(circle(1_000)));
    expect(indexResolution(circle(20), 9, 0)).toBe(9);
  });
});

describe('grid marks', () => {
  it('mark a square inside only when every point of it tests inside, and outside only when none does', () => {
    const rand = prng(41);
    const fences = randomFences(300, 2029);
    const marks = new Float64Array(4);
    let inside = 0;
    let outside = 0;
    let points = 0;
    const wrong: string[] = [];
    for (const fence of fences) {
      const shape = fence.shape;
      const test = exactTest(shape);
      const circle =
        shape.type === 'Circle' ? circleParams(shape.center as [number, number], shape.radiusM) : null;
      const run = shape.type === 'Circle' ? null : Float64Array.from(encodePolygons(shape));
      // The cells of its direct cover at resolution 9, as the index's lists hold them.
      for (const cell of coverFence(shape, 9, true).boundary) {
        const frame = gridFrame(cell);
        gridMarks(circle ?? run!, 0, circle !== null, frame, 0, marks, 0);
        const [minLat, minLng, latScale, lngScale] = frame as unknown as number[];
        for (let square = 0; square < CELL_GRID * CELL_GRID; square++) {
          const bit = 1 << (square & 31);
          const isIn = (marks[square >> 5]! & bit) !== 0;
          const isOut = (marks[2 + (square >> 5)]! & bit) !== 0;
          if (isIn && isOut) wrong.push(`${fence.id} ${cell} square ${square}: marked both`);
          if (!isIn && !isOut) continue;
          inside += isIn ? 1 : 0;
          outside += isOut ? 1 : 0;
          const [row, column] = [Math.floor(square / CELL_GRID), square % CELL_GRID];
          // Its corners (a hair inside) and two random points.
          for (const [fy, fx] of [
            [1e-9, 1e-9],
            [1 - 1e-9, 1e-9],
            [1e-9, 1 - 1e-9],
            [1 - 1e-9, 1 - 1e-9],
            [rand(), rand()],
            [rand(), rand()],
          ]) {
            const lat = minLat! + (row + fy!) / latScale!;
            const lng = minLng! + (column + fx!) / lngScale!;
            points++;
            if (test(lat, lng) !== isIn) wrong.push(`${fence.id} ${cell} square ${square}: ${lat},${lng}`);
          }
        }
      }
    }
    expect(inside).toBeGreaterThan(10_000);
    expect(outside).toBeGreaterThan(10_000);
    expect(points).toBeGreaterThan(100_000);
    expect(wrong, wrong.slice(0, 5).join('\n')).toEqual([]);
  });
});
