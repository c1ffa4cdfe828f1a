import type { FenceShape } from './shapes.js';

/** An exact point-in-shape test, prepared once per fence. */
export type ShapeTest = (lat: number, lng: number) => boolean;

/** Mean Earth radius, metres (the value @turf/distance uses, so answers agree). */
const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

/**
 * Prepares the exact test: great-circle distance for circles; even-odd ray casting over the
 * rings (holes included) in lng/lat for polygons, the planar model GeoJSON and @turf use. Both
 * run on flat typed arrays: this is the hot path for points in boundary cells.
 */
export function exactTest(shape: FenceShape): ShapeTest {
  if (shape.type === 'Circle') {
    const c = circleParams(shape.center as [number, number], shape.radiusM);
    return (lat, lng) => inCircle(c, 0, lat, lng);
  }
  const encoded = Float64Array.from(encodePolygons(shape));
  const [minLng, minLat, maxLng, maxLat] = bbox(shape);
  return (lat, lng) =>
    lng >= minLng && lng <= maxLng && lat >= minLat && lat <= maxLat && inPolygonsAt(encoded, 0, lat, lng);
}

/**
 * A polygon or multipolygon as one flat run of numbers: the polygon count, then per polygon its
 * ring count, then per ring its length in numbers and its positions [lng, lat, …] (first
 * repeated last). Read by `inPolygonsAt`; an index keeps many of them back to back.
 */
export function encodePolygons(shape: Exclude<FenceShape, { type: 'Circle' }>): number[] {
  const polygons = shape.type === 'Polygon' ? [shape.coordinates] : shape.coordinates;
  const out: number[] = [polygons.length];
  for (const rings of polygons) {
    out.push(rings.length);
    for (const ring of rings) {
      out.push(ring.length * 2);
      for (const [lng, lat] of ring) out.push(lng!, lat!);
    }
  }
  return out;
}

/** Even-odd test against the `encodePolygons` run starting at `at`: inside an outer ring and no hole. */
export function inPolygonsAt(c: Float64Array, at: number, lat: number, lng: number): boolean {
  let p = at;
  const polygons = c[p++]!;
  let inside = false;
  for (let i = 0; i < polygons; i++) {
    const rings = c[p++]!;
    let len = c[p++]!;
    let here: boolean = !inside && inRingAt(c, p, p + len, lat, lng);
    p += len;
    for (let h = 1; h < rings; h++) {
      len = c[p++]!;
      if (here && inRingAt(c, p, p + len, lat, lng)) here = false;
      p += len;
    }
    inside ||= here;
  }
  return inside;
}

/** Circle parameters, flat (7 numbers): lat0, lng0, kx, ky, inner², outer², radius (see `inCircle`). */
export function circleParams(center: [number, number], radiusM: number): Float64Array {
  const [lng0, lat0] = center;
  // A flat (equirectangular) distance is within 0.1% of the great-circle one at fence sizes;
  // only points in that thin band around the edge pay for the haversine.
  const ky = RAD * EARTH_RADIUS_M;
  const kx = ky * Math.cos(lat0 * RAD);
  return Float64Array.of(lat0, lng0, kx, ky, (radiusM * 0.999) ** 2, (radiusM * 1.001) ** 2, radiusM);
}

/** Whether (lat, lng) is within the circle whose `circleParams` sit in `p` from `at`. */
export function inCircle(p: Float64Array, at: number, lat: number, lng: number): boolean {
  const dx = (lng - p[at + 1]!) * p[at + 2]!;
  const dy = (lat - p[at]!) * p[at + 3]!;
  const d2 = dx * dx + dy * dy;
  if (d2 < p[at + 4]!) return true;
  if (d2 > p[at + 5]!) return false;
  return haversineM(p[at]!, p[at + 1]!, lat, lng) <= p[at + 6]!;
}

/** Great-circle distance in metres (haversine, the formula and radius @turf/distance uses). */
export function haversineM(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const a =
    Math.sin(((lat2 - lat1) * RAD) / 2) ** 2 +
    Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(((lng2 - lng1) * RAD) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
}

/**
 * Even-odd rule over `ring[start, end)`: [lng0, lat0, lng1, lat1, …] with the first position
 * repeated last.
 */
export function inRingAt(ring: Float64Array, start: number, end: number, lat: number, lng: number): boolean {
  let inside = false;
  for (let i = start, j = end - 2; i < end; j = i, i += 2) {
    const xi = ring[i]!;
    const yi = ring[i + 1]!;
    const xj = ring[j]!;
    const yj = ring[j + 1]!;
    if (yi > lat !== yj > lat && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function bbox(shape: FenceShape): [number, number, number, number] {
  let minLng = Infinity;
  let minLat = Infinity;
  let maxLng = -Infinity;
  let maxLat = -Infinity;
  const rings =
    shape.type === 'Circle' ? [] : shape.type === 'Polygon' ? shape.coordinates : shape.coordinates.flat();
  for (const ring of rings) {
    for (const [lng, lat] of ring) {
      minLng = Math.min(minLng, lng);
      maxLng = Math.max(maxLng, lng);
      minLat = Math.min(minLat, lat);
      maxLat = Math.max(maxLat, lat);
    }
  }
  return [minLng, minLat, maxLng, maxLat];
}
