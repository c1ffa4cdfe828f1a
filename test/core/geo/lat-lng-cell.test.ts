import { cellTail, latLngToCellFast, latLngToCellTail } from '@hexcast/core';
import { cellToBoundary, cellToLatLng, getPentagons, getRes0Cells, gridDisk, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { prng } from '../../fixtures/random-fences.js';

/** Every point where the plain-JS answer differs from h3-js (expected: none). */
function mismatches(points: Iterable<[number, number]>, resolutions: number[]): string[] {
  const out: string[] = [];
  for (const [lat, lng] of points) {
    for (const res of resolutions) {
      const expected = latLngToCell(lat, lng, res);
      const actual = latLngToCellFast(lat, lng, res);
      if (actual !== expected && out.length < 10) out.push(`${lat},${lng} r${res}: ${actual} ≠ ${expected}`);
    }
  }
  return out;
}

const ALL_RES = Array.from({ length: 16 }, (_, r) => r);

function* uniformSphere(count: number, seed: number): Generator<[number, number]> {
  const rand = prng(seed);
  for (let i = 0; i < count; i++) yield [(Math.asin(rand() * 2 - 1) * 180) / Math.PI, rand() * 360 - 180];
}

/** The vertices of a cell and its neighbours, exact and nudged by 1e-12° and 1e-9°. */
function* aroundVertices(cells: string[]): Generator<[number, number]> {
  for (const cell of cells)
    for (const ring of gridDisk(cell, 1))
      for (const [lat, lng] of cellToBoundary(ring))
        for (const e of [0, 1e-12, -1e-12, 1e-9, -1e-9]) {
          if (Math.abs(lat + e) <= 90 && Math.abs(lng - e) <= 180) yield [lat + e, lng - e];
        }
}

describe('latLngToCell in plain JS', () => {
  it('answers what h3-js answers at every resolution for random points over the whole sphere', () => {
    expect(mismatches(uniformSphere(4000, 11), ALL_RES)).toEqual([]);
  });

  it('answers what h3-js answers on and next to cell vertices (all base cells, pentagons, fine cells)', () => {
    expect(mismatches(aroundVertices(getRes0Cells()), [0, 1, 2])).toEqual([]);
    for (const res of [1, 4, 9, 12, 15]) {
      const cells = [
        ...getPentagons(res),
        ...[...uniformSphere(40, res)].map(([a, b]) => latLngToCell(a, b, res)),
      ];
      expect(mismatches(aroundVertices(cells), [res])).toEqual([]);
    }
  });

  it('answers what h3-js answers at the poles, on the antimeridian and along icosahedron edges', () => {
    const special: Array<[number, number]> = [
      [90, 0],
      [-90, 0],
      [0, 180],
      [0, -180],
      [89.999999, 179.999999],
      [-89.999999, -179.999999],
      [45, 180],
      [-45, -180],
    ];
    // Points on the great circle between neighbouring pentagons (icosahedron vertices): face edges.
    const pentagons = getPentagons(0).map((c) => cellToLatLng(c));
    for (const [aLat, aLng] of pentagons)
      for (const [bLat, bLng] of pentagons) {
        if (Math.hypot(aLat - bLat, aLng - bLng) > 70 || (aLat === bLat && aLng === bLng)) continue;
        for (let t = 0.05; t < 1; t += 0.15)
          special.push([aLat + (bLat - aLat) * t, aLng + (bLng - aLng) * t]);
      }
    expect(mismatches(special, ALL_RES)).toEqual([]);
  });

  it('returns the cell tail the fence index keys on', () => {
    for (const [lat, lng] of uniformSphere(200, 5)) {
      expect(latLngToCellTail(lat, lng, 12)).toBe(cellTail(latLngToCell(lat, lng, 12)));
    }
  });
});
