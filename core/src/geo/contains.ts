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

/**
 * Grid marks. A cell's frame ([minLat, minLng, latScale, lngScale]: a point's square is row
 * ⌊(lat − minLat) · latScale⌋, column ⌊(lng − minLng) · lngScale⌋) is cut into CELL_GRID ×
 * CELL_GRID squares, and a fence's marks say which squares lie wholly inside it and which wholly
 * outside, by the exact tests' own answers: a point in a marked square has its answer without the
 * test. Four numbers: the inside bits (squares 0–31, 32–63), then the outside bits. Squares are
 * taken grown by `SQUARE_MARGIN` of a square, past any rounding in a point's square.
 */
export const CELL_GRID = 8;
const SQUARE_MARGIN = 1e-6;

/** The frame of the grid being marked (set by `gridMarks`): its origin and squares per degree. */
const grid = { minLat: 0, minLng: 0, latScale: 0, lngScale: 0 };
/** Per square of the grid being marked: unknown, touched by a ring edge, inside, outside. */
const squareState = new Int8Array(CELL_GRID * CELL_GRID);
const squareStack = new Int32Array(CELL_GRID * CELL_GRID);
const TOUCHED = 1;
const INSIDE = 2;
const OUTSIDE = 3;

/**
 * Writes at `out[outAt…]` the marks of a shape held at `shape[at…]` — `circleParams` when
 * `circle`, else an `encodePolygons` run — over the frame at `frame[frameAt…]`.
 */
export function gridMarks(
  shape: Float64Array,
  at: number,
  circle: boolean,
  frame: Float64Array,
  frameAt: number,
  out: Float64Array,
  outAt: number,
): void {
  grid.minLat = frame[frameAt]!;
  grid.minLng = frame[frameAt + 1]!;
  grid.latScale = frame[frameAt + 2]!;
  grid.lngScale = frame[frameAt + 3]!;
  squareState.fill(0);
  if (circle) circleSquares(shape, at);
  else polygonSquares(shape, at);
  let in0 = 0;
  let in1 = 0;
  let out0 = 0;
  let out1 = 0;
  for (let square = 0; square < CELL_GRID * CELL_GRID; square++) {
    const bit = 1 << (square & 31);
    const state = squareState[square];
    if (state === INSIDE) {
      if (square < 32) in0 |= bit;
      else in1 |= bit;
    } else if (state === OUTSIDE) {
      if (square < 32) out0 |= bit;
      else out1 |= bit;
    }
  }
  out[outAt] = in0 >>> 0;
  out[outAt + 1] = in1 >>> 0;
  out[outAt + 2] = out0 >>> 0;
  out[outAt + 3] = out1 >>> 0;
}

/**
 * A circle's squares (`circleParams` at `p[at…]`), by `inCircle`'s own thresholds: inside when the
 * square's farthest point is within the inner radius, outside when its nearest is beyond the outer.
 */
function circleSquares(p: Float64Array, at: number): void {
  const { minLat, minLng, latScale, lngScale } = grid;
  const lat0 = p[at]!;
  const lng0 = p[at + 1]!;
  const kx = p[at + 2]!;
  const ky = p[at + 3]!;
  const inner = p[at + 4]!;
  const outer = p[at + 5]!;
  for (let row = 0; row < CELL_GRID; row++) {
    const south = (minLat + (row - SQUARE_MARGIN) / latScale - lat0) * ky;
    const north = (minLat + (row + 1 + SQUARE_MARGIN) / latScale - lat0) * ky;
    const nearY = Math.max(south, Math.min(0, north));
    const farY = Math.max(-south, north);
    for (let column = 0; column < CELL_GRID; column++) {
      const west = (minLng + (column - SQUARE_MARGIN) / lngScale - lng0) * kx;
      const east = (minLng + (column + 1 + SQUARE_MARGIN) / lngScale - lng0) * kx;
      const nearX = Math.max(west, Math.min(0, east));
      const farX = Math.max(-west, east);
      if (farX * farX + farY * farY < inner) squareState[row * CELL_GRID + column] = INSIDE;
      else if (nearX * nearX + nearY * nearY > outer) squareState[row * CELL_GRID + column] = OUTSIDE;
    }
  }
}

/**
 * A polygon run's squares (`encodePolygons` at `c[at…]`). The even-odd answer changes only across a
 * ring's edge: squares no edge touches (or comes within the margin of) and that neighbour each
 * other share an answer, the exact test's at one centre among them; squares an edge touches stay
 * unmarked.
 */
function polygonSquares(c: Float64Array, at: number): void {
  const { minLat, minLng, latScale, lngScale } = grid;
  let p = at;
  const polygons = c[p++]!;
  for (let i = 0; i < polygons; i++) {
    const rings = c[p++]!;
    for (let r = 0; r < rings; r++) {
      const len = c[p++]!;
      for (let k = p; k + 2 < p + len; k += 2) {
        // The edge in grid units: x from longitude, y from latitude.
        const x0 = (c[k]! - minLng) * lngScale;
        const y0 = (c[k + 1]! - minLat) * latScale;
        const x1 = (c[k + 2]! - minLng) * lngScale;
        const y1 = (c[k + 3]! - minLat) * latScale;
        // Most of a big fence's edges pass beside the cell.
        if (Math.max(x0, x1) < -SQUARE_MARGIN || Math.min(x0, x1) > CELL_GRID + SQUARE_MARGIN) continue;
        // Row by row: the part of the edge within the row's strip (grown by the margin), and the
        // squares its x-range (grown too) spans.
        const low = Math.min(y0, y1);
        const high = Math.max(y0, y1);
        const toRow = Math.min(CELL_GRID - 1, Math.floor(high + SQUARE_MARGIN));
        for (let row = Math.max(0, Math.floor(low - SQUARE_MARGIN)); row <= toRow; row++) {
          let xa = Math.min(x0, x1);
          let xb = Math.max(x0, x1);
          if (y1 !== y0) {
            const slope = (x1 - x0) / (y1 - y0);
            const xLow = x0 + (Math.max(low, row - SQUARE_MARGIN) - y0) * slope;
            const xHigh = x0 + (Math.min(high, row + 1 + SQUARE_MARGIN) - y0) * slope;
            xa = Math.min(xLow, xHigh);
            xb = Math.max(xLow, xHigh);
          }
          const toColumn = Math.min(CELL_GRID - 1, Math.floor(xb + SQUARE_MARGIN));
          for (let column = Math.max(0, Math.floor(xa - SQUARE_MARGIN)); column <= toColumn; column++)
            squareState[row * CELL_GRID + column] = TOUCHED;
        }
      }
      p += len;
    }
  }
  // Untouched squares that share a side share an answer (an edge between them would touch both).
  for (let seed = 0; seed < CELL_GRID * CELL_GRID; seed++) {
    if (squareState[seed] !== 0) continue;
    const lat = minLat + (Math.floor(seed / CELL_GRID) + 0.5) / latScale;
    const lng = minLng + ((seed % CELL_GRID) + 0.5) / lngScale;
    const state = inPolygonsAt(c, at, lat, lng) ? INSIDE : OUTSIDE;
    squareState[seed] = state;
    let top = 0;
    squareStack[top++] = seed;
    while (top > 0) {
      const square = squareStack[--top]!;
      const column = square % CELL_GRID;
      if (column > 0 && squareState[square - 1] === 0) {
        squareState[square - 1] = state;
        squareStack[top++] = square - 1;
      }
      if (column < CELL_GRID - 1 && squareState[square + 1] === 0) {
        squareState[square + 1] = state;
        squareStack[top++] = square + 1;
      }
      if (square >= CELL_GRID && squareState[square - CELL_GRID] === 0) {
        squareState[square - CELL_GRID] = state;
        squareStack[top++] = square - CELL_GRID;
      }
      if (square < CELL_GRID * (CELL_GRID - 1) && squareState[square + CELL_GRID] === 0) {
        squareState[square + CELL_GRID] = state;
        squareStack[top++] = square + CELL_GRID;
      }
    }
  }
}
