import { performance } from 'node:perf_hooks';
import {
  type BenchCaseResult,
  type Benchmark,
  bbox,
  exactTest,
  type Fence,
  type FenceShape,
  latLngToCellTail,
  MemoryFenceIndex,
  median,
  type ShapeTest,
} from '@hexcast/core';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import turfDistance from '@turf/distance';
import { multiPolygon, polygon } from '@turf/helpers';
import Flatbush from 'flatbush';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import { latLngToCell } from 'h3-js';
import RBush from 'rbush';
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

/** A fence's bounding box [west, south, east, north] (circles: from centre and radius, 0.1% wide). */
function fenceBox(shape: FenceShape): [number, number, number, number] {
  if (shape.type !== 'Circle') return bbox(shape);
  const [lng, lat] = shape.center;
  const dLat = ((shape.radiusM / 111_320) * 1.001) as number;
  const dLng = dLat / Math.cos((lat * Math.PI) / 180);
  return [lng - dLng, lat - dLat, lng + dLng, lat + dLat];
}

/**
 * What a user would pick instead of our index: a static R-tree (flatbush) over the fences'
 * boxes, then the same exact point-in-shape test the index runs on its candidates.
 */
function flatbushIndex(fences: readonly Fence[]) {
  const tests: ShapeTest[] = fences.map((f) => exactTest(f.shape));
  const tree = new Flatbush(fences.length);
  for (const f of fences) tree.add(...fenceBox(f.shape));
  tree.finish();
  return (lat: number, lng: number) => tree.search(lng, lat, lng, lat, (i) => tests[i]!(lat, lng));
}

interface Boxed {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  id: string;
  test: ShapeTest;
}

/** The dynamic R-tree a user needing upserts would pick (rbush), with the same exact test. */
function rbushIndex() {
  const tree = new RBush<Boxed>();
  const byId = new Map<string, Boxed>();
  const item = (f: Fence): Boxed => {
    const [minX, minY, maxX, maxY] = fenceBox(f.shape);
    return { minX, minY, maxX, maxY, id: f.id, test: exactTest(f.shape) };
  };
  return {
    load(fences: readonly Fence[]) {
      const items = fences.map(item);
      for (const i of items) byId.set(i.id, i);
      tree.load(items);
    },
    upsert(f: Fence) {
      const old = byId.get(f.id);
      if (old !== undefined) tree.remove(old);
      const next = item(f);
      byId.set(f.id, next);
      tree.insert(next);
    },
    lookup(lat: number, lng: number) {
      return tree
        .search({ minX: lng, minY: lat, maxX: lng, maxY: lat })
        .filter((b) => b.test(lat, lng))
        .map((b) => b.id);
    },
  };
}

/** Single-fence upserts per second: `count` fences moved (same ids, new shapes) one at a time. */
function upsertsPerSecond(upsert: (f: Fence) => void, moved: readonly Fence[]): number {
  const start = performance.now();
  for (const f of moved) upsert(f);
  return moved.length / ((performance.now() - start) / 1000);
}

function lookupsPerSecond(
  lookup: (lat: number, lng: number) => unknown,
  points: Array<[number, number]>,
  rounds: number,
): number[] {
  return interleavedLookups([lookup], points, rounds)[0]!;
}

/**
 * Lookups per second of each lookup, round by round, the lookups taking turns within each round
 * (after one unmeasured round each): on this noisy machine a slower stretch then falls on all of
 * them alike, and the ratio of two lookups within a round is the comparison that holds.
 */
function interleavedLookups(
  lookups: ReadonlyArray<(lat: number, lng: number) => unknown>,
  points: Array<[number, number]>,
  rounds: number,
): number[][] {
  const results = lookups.map(() => [] as number[]);
  for (let r = -1; r < rounds; r++) {
    for (const [i, lookup] of lookups.entries()) {
      const start = performance.now();
      for (const [lat, lng] of points) lookup(lat, lng);
      const seconds = (performance.now() - start) / 1000;
      if (r >= 0) results[i]!.push(points.length / seconds);
    }
  }
  return results;
}

/** The median over rounds of `a[r] / b[r]`. */
function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, r) => x / b[r]!));
}

const gc = (globalThis as { gc?: () => void }).gc;

const bench: Benchmark = {
  name: 'geofence',
  description:
    '100,000 fences (circles, polygons, multipolygons; 20 m–1 km, mostly shop-sized) over 80×80 km of greater Paris: point lookups/s on one core',
  baseline: 'flatbush R-tree + exact test',
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

    context.progress('flatbush R-tree + exact test: build');
    gc?.();
    const flatStart = performance.now();
    const flat = flatbushIndex(fences);
    const flatBuildSeconds = (performance.now() - flatStart) / 1000;
    // flatbush is static: a changed fence means a rebuild of the whole tree.
    const flatUpserts = 1 / flatBuildSeconds;

    context.progress('rbush R-tree + exact test: bulk load');
    const dynamic = rbushIndex();
    const rbushStart = performance.now();
    dynamic.load(fences);
    const rbushBuildSeconds = (performance.now() - rbushStart) / 1000;

    const points = randomPoints(100_000, 7);
    context.progress('lookups: the h3 index, flatbush and rbush taking turns');
    const [indexed, flatRate, rbushRate] = interleavedLookups(
      [(lat, lng) => index.lookup(lat, lng), flat, (lat, lng) => dynamic.lookup(lat, lng)],
      points,
      rounds,
    ) as [number[], number[], number[]];
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

    // Single-fence upserts: 2,000 fences of the set moved (a marketer's bulk edit), one at a time.
    const moved = randomFences(context.quick ? 500 : 2_000, 43, PARIS_REGION, METRO_MIX).map((f, i) => ({
      ...f,
      id: fences[i * 7]!.id,
    }));
    context.progress('h3 index upserts');
    const indexUpserts = upsertsPerSecond((f) => index.upsert(f), moved);

    context.progress('rbush upserts');
    const rbushUpserts = upsertsPerSecond((f) => dynamic.upsert(f), moved);

    // All three answer the same question (after the same upserts): check on a sample.
    for (const [lat, lng] of points.slice(0, 2_000)) {
      const a = index.lookup(lat, lng).sort().join();
      const b = dynamic.lookup(lat, lng).sort().join();
      if (a !== b) throw new Error(`index and rbush disagree at ${lat},${lng}: ${a} vs ${b}`);
    }
    // flatbush holds the set as first generated, as the naive scan does.
    for (const [lat, lng] of naivePoints) {
      if (flat(lat, lng).length !== naive(lat, lng).length)
        throw new Error(`flatbush and naive scan disagree at ${lat},${lng}`);
    }
    const results: BenchCaseResult[] = [
      {
        case: 'naive @turf scan',
        metrics: { lookups_per_s: median(naiveRate) },
        rounds: naiveRate,
        notes: 'correctness reference only',
      },
      {
        case: 'flatbush R-tree + exact test',
        metrics: { lookups_per_s: median(flatRate), build_s: flatBuildSeconds, upserts_per_s: flatUpserts },
        rounds: flatRate,
        notes: 'static: an upsert is a rebuild of the whole tree',
      },
      {
        case: 'rbush R-tree + exact test',
        metrics: {
          lookups_per_s: median(rbushRate),
          build_s: rbushBuildSeconds,
          upserts_per_s: rbushUpserts,
        },
        rounds: rbushRate,
        notes: 'dynamic R*-tree, bulk-loaded, then single remove+insert per upsert',
      },
      {
        case: 'h3 index',
        metrics: {
          lookups_per_s: median(indexed),
          build_s: buildSeconds,
          upserts_per_s: indexUpserts,
          heap_mib: heapMiB,
          cells: index.cellCount,
          fences_per_point: hits,
          lookups_vs_flatbush: pairedRatio(indexed, flatRate),
          lookups_vs_rbush: pairedRatio(indexed, rbushRate),
        },
        rounds: indexed,
        notes: 'lookups_vs_*: the median over rounds of the ratio within a round (the lookups take turns)',
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
