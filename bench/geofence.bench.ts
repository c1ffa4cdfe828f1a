import { performance } from 'node:perf_hooks';
import {
  type BenchCaseResult,
  type Benchmark,
  type Fence,
  latLngToCellTail,
  MemoryFenceIndex,
  median,
} from '@hexcast/core';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import turfDistance from '@turf/distance';
import { multiPolygon, polygon } from '@turf/helpers';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import { latLngToCell } from 'h3-js';
import { METRO_MIX, PARIS_REGION, prng, randomFences } from '../test/fixtures/random-fences.js';

function randomPoints(count: number, seed: number): Array<[number, number]> {
  const rand = prng(seed);
  const dLat = PARIS_REGION.spanM / 111_320;
  const dLng = dLat / Math.cos((PARIS_REGION.lat * Math.PI) / 180);
  return Array.from({ length: count }, () => [
    PARIS_REGION.lat + (rand() * 2 - 1) * dLat,
    PARIS_REGION.lng + (rand() * 2 - 1) * dLng,
  ]);
}

/** The naive alternative: every fence, every time, with @turf. */
function naiveScanner(fences: Fence[]) {
  const tests = fences.map((f) => {
    const s = f.shape;
    if (s.type === 'Circle')
      return (lat: number, lng: number) => turfDistance(s.center, [lng, lat]) * 1000 <= s.radiusM;
    const feature: Feature<Polygon | MultiPolygon> =
      s.type === 'Polygon' ? polygon(s.coordinates) : multiPolygon(s.coordinates);
    return (lat: number, lng: number) => booleanPointInPolygon([lng, lat], feature);
  });
  return (lat: number, lng: number) => {
    const out: number[] = [];
    for (let i = 0; i < tests.length; i++) if (tests[i]!(lat, lng)) out.push(i);
    return out;
  };
}

function lookupsPerSecond(
  lookup: (lat: number, lng: number) => unknown,
  points: Array<[number, number]>,
  rounds: number,
): number[] {
  const results: number[] = [];
  for (let r = -1; r < rounds; r++) {
    const start = performance.now();
    for (const [lat, lng] of points) lookup(lat, lng);
    const seconds = (performance.now() - start) / 1000;
    if (r >= 0) results.push(points.length / seconds);
  }
  return results;
}

const gc = (globalThis as { gc?: () => void }).gc;

const bench: Benchmark = {
  name: 'geofence',
  description:
    '100,000 fences (circles, polygons, multipolygons; 20 m–1 km, mostly shop-sized) over 80×80 km of greater Paris: point lookups/s on one core',
  baseline: 'naive @turf scan',
  primary: { metric: 'lookups_per_s', higherIsBetter: true },
  async run(context) {
    const count = context.quick ? 20_000 : 100_000;
    const rounds = context.quick ? 3 : 7;
    context.progress(`generating ${count} fences`);
    const fences = randomFences(count, 42, PARIS_REGION, METRO_MIX);

    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const index = new MemoryFenceIndex();
    const buildStart = performance.now();
    for (const [i, fence] of fences.entries()) {
      index.upsert(fence);
      if (i % 20_000 === 19_999) context.progress(`indexed ${i + 1}`);
    }
    const buildSeconds = (performance.now() - buildStart) / 1000;
    gc?.();
    const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;

    const points = randomPoints(100_000, 7);
    context.progress('h3 index lookups');
    const indexed = lookupsPerSecond((lat, lng) => index.lookup(lat, lng), points, rounds);
    const finest = index.resolutionsInUse.at(-1)!;
    context.progress('latLngToCell alone (h3-js, and the plain-JS one the index uses)');
    const cellOnly = lookupsPerSecond((lat, lng) => latLngToCell(lat, lng, finest), points, rounds);
    const fastCellOnly = lookupsPerSecond((lat, lng) => latLngToCellTail(lat, lng, finest), points, rounds);
    context.progress('naive scan');
    const naive = naiveScanner(fences);
    const naivePoints = points.slice(0, context.quick ? 20 : 50);
    const naiveRate = lookupsPerSecond(naive, naivePoints, 3);

    // Both answer the same question: check on the naive sample.
    for (const [lat, lng] of naivePoints) {
      const a = index.lookup(lat, lng).length;
      const b = naive(lat, lng).length;
      if (a !== b) throw new Error(`index and naive scan disagree at ${lat},${lng}: ${a} vs ${b}`);
    }
    const hits =
      points.slice(0, 10_000).reduce((n, [lat, lng]) => n + index.lookup(lat, lng).length, 0) / 10_000;
    const results: BenchCaseResult[] = [
      { case: 'naive @turf scan', metrics: { lookups_per_s: median(naiveRate) }, rounds: naiveRate },
      {
        case: 'h3 index',
        metrics: {
          lookups_per_s: median(indexed),
          build_s: buildSeconds,
          heap_mib: heapMiB,
          cells: index.cellCount,
          fences_per_point: hits,
        },
        rounds: indexed,
      },
      {
        case: 'h3-js latLngToCell only',
        metrics: { lookups_per_s: median(cellOnly) },
        rounds: cellOnly,
        notes: `one h3-js call at resolution ${finest}, no index`,
      },
      {
        case: 'plain-JS latLngToCell only',
        metrics: { lookups_per_s: median(fastCellOnly) },
        rounds: fastCellOnly,
        notes: `the index's own cell step at resolution ${finest}, no index`,
      },
    ];
    return results;
  },
};

export default bench;
