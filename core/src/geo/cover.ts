import turfArea from '@turf/area';
import { multiPolygon, polygon } from '@turf/helpers';
import { cellToBoundary, compactCells, getHexagonAreaAvg, gridDisk, latLngToCell, UNITS } from 'h3-js';
import { bbox, CELL_GRID, encodePolygons, inPolygonsAt } from './contains.js';
import type { FenceShape, PolygonShape } from './shapes.js';

export interface FenceCover {
  /** Resolution of the boundary cells. */
  resolution: number;
  /** Cells deep inside the fence (compacted, mixed resolutions): a point there is inside. */
  interior: string[];
  /** Cells the fence's edge may cross: a point there needs the exact test. */
  boundary: string[];
}

/**
 * The box of a cell's grown hexagon (see `coverFence`), which holds every point a direct lookup
 * finds in the cell, as a grid frame (`CELL_GRID`, contains.ts): [minLat, minLng,
 * CELL_GRID / height, CELL_GRID / width].
 */
export function gridFrame(cell: string): Float64Array {
  const b = hexagonBox(grown(cell));
  return Float64Array.of(b[0]!, b[2]!, CELL_GRID / (b[1]! - b[0]!), CELL_GRID / (b[3]! - b[2]!));
}

const box = new Float64Array(4);

/** A flat hexagon's box, [minLat, maxLat, minLng, maxLng], in one reused array (read it at once). */
function hexagonBox(hexagon: Hexagon): Float64Array {
  let minLat = Infinity;
  let maxLat = -Infinity;
  let minLng = Infinity;
  let maxLng = -Infinity;
  for (let k = 0; k < hexagon.length; k += 2) {
    const lat = hexagon[k]!;
    const lng = hexagon[k + 1]!;
    if (lat < minLat) minLat = lat;
    if (lat > maxLat) maxLat = lat;
    if (lng < minLng) minLng = lng;
    if (lng > maxLng) maxLng = lng;
  }
  box[0] = minLat;
  box[1] = maxLat;
  box[2] = minLng;
  box[3] = maxLng;
  return box;
}

/** Average H3 hexagon edge length per resolution, metres (h3geo.org). */
const EDGE_M = [
  1_107_712, 418_676, 158_244, 59_810, 22_606, 8_544, 3_229, 1_220, 461, 174, 66, 25, 9.4, 3.6, 1.3, 0.5,
];
const MIN_RES = 4;
// Finer than 12 (~9 m edges) costs a slower latLngToCell on every lookup for little gain (measured).
const MAX_RES = 12;

/**
 * A resolution whose cells are about a third of the fence's size: measured best for lookups, build
 * time and memory when a cover is looked up by ancestor (with its margin ring).
 */
export function resolutionFor(shape: FenceShape): number {
  const size = shape.type === 'Circle' ? shape.radiusM : Math.sqrt(areaM2(shape)) / 2;
  const target = size / 3;
  let res = MIN_RES;
  while (res < MAX_RES && EDGE_M[res + 1]! >= target) res++;
  return res;
}

/** Most cells a fence takes at the lookups' own resolution before an index covers it coarser. */
export const MAX_DIRECT_CELLS = 4_096;

/**
 * The resolution an index whose lookups compute their cell at `finest` covers a fence at: `finest`
 * itself (direct: no margin ring, so fewer cells and fewer exact tests than a coarser cover by
 * ancestor — measured on the geofence bench's fences, 69k cells and 1.5 exact tests a lookup
 * against 77k and 2.1), unless the fence would take more than `maxDirectCells` cells there
 * (a district, a city); then `resolutionFor`, looked up by ancestor.
 */
export function indexResolution(
  shape: FenceShape,
  finest: number,
  maxDirectCells = MAX_DIRECT_CELLS,
): number {
  if (areaM2(shape) / getHexagonAreaAvg(finest, UNITS.m2) <= maxDirectCells) return finest;
  return Math.min(resolutionFor(shape), finest);
}

/** The shape's area, m² (a circle's from its radius; polygons' by @turf/area). */
function areaM2(shape: FenceShape): number {
  return shape.type === 'Circle' ? Math.PI * shape.radiusM ** 2 : turfArea(asFeature(shape));
}

/**
 * Covers a fence with H3 cells. Cells overlapping the shape are candidates; only fully-contained
 * cells whose every neighbour is also fully contained count as interior — a one-cell margin, so an
 * interior answer holds even when the point's hierarchical cell is a neighbour of its true cell
 * (see below) or H3's geodesic cell edges and the shape's planar lng/lat edges differ slightly.
 * Candidates and their neighbours that are not interior are boundary, answered exactly.
 *
 * `direct`: lookups compute the point's cell at this very resolution (not as the ancestor of a
 * finer one), so the cell that holds the point is the cell: no margin is needed. A cell is then
 * boundary when its hexagon, grown by 2% about its centre (metres at the fine resolutions this is
 * used for, against millimetres between a geodesic cell edge and its planar chord), touches the
 * shape, and interior when that grown hexagon lies inside it.
 */
export function coverFence(shape: FenceShape, resolution = resolutionFor(shape), direct = false): FenceCover {
  const region = regionOf(shape);
  // Direct lookups take a cell whose hexagon, grown, touches the shape (see above); lookups by
  // ancestor take the cells overlapping it, and the margin below.
  const cells = touchingCells(region, resolution, direct ? grown : boundaryOf);
  if (direct) {
    const interior: string[] = [];
    const boundary: string[] = [];
    for (const c of cells) (region.holds(grown(c)) ? interior : boundary).push(c);
    return { resolution, interior: interior.length > 0 ? compactCells(interior) : [], boundary };
  }
  // Fully inside: a candidate whose vertices are all inside, whose edges no ring edge crosses, and
  // which holds no ring vertex. Planar lng/lat like the exact test; the one-cell margin below
  // absorbs the difference from H3's geodesic cell edges.
  const full = new Set<string>();
  for (const c of cells) if (region.holds(boundaryOf(c))) full.add(c);
  const deep = new Set<string>();
  for (const c of full) if (neighboursOf(c).every((n) => full.has(n))) deep.add(c);
  // H3 is not exactly hierarchical: the ancestor of a point's fine cell may be a neighbour of the
  // coarse cell that contains the point. Lookups go by ancestors, so every candidate's neighbours
  // are boundary too. (Deep cells need no ring: their neighbours are all fully inside.)
  const boundary = new Set<string>();
  for (const c of cells) {
    if (deep.has(c)) continue;
    boundary.add(c);
    for (const n of neighboursOf(c)) if (!deep.has(n)) boundary.add(n);
  }
  return { resolution, interior: deep.size > 0 ? compactCells([...deep]) : [], boundary: [...boundary] };
}

/**
 * A shape as the cover sees it: cells to start from, and whether a cell's hexagon (its vertices as
 * a flat `Hexagon`, convex) touches the shape or lies inside it.
 */
interface Region {
  seeds: Array<[lat: number, lng: number]>;
  touches(hexagon: Hexagon): boolean;
  holds(hexagon: Hexagon): boolean;
}

function regionOf(shape: FenceShape): Region {
  if (shape.type === 'Circle') return circleRegion(shape.center as [number, number], shape.radiusM);
  const polygons = shape.type === 'Polygon' ? [shape.coordinates] : shape.coordinates;
  const prepared = prepare(polygons);
  const [west, south, east, north] = bbox(shape);
  const outsideBox = (hexagon: Hexagon) => {
    const b = hexagonBox(hexagon);
    return b[1]! < south || b[0]! > north || b[3]! < west || b[2]! > east;
  };
  return {
    seeds: polygons.map((rings) => [rings[0]![0]![1]!, rings[0]![0]![0]!]),
    touches: (hexagon) => !outsideBox(hexagon) && prepared.some((p) => cellTouches(hexagon, p)),
    holds: (hexagon) => !outsideBox(hexagon) && prepared.some((p) => cellInside(hexagon, p)),
  };
}

/**
 * A circle on the same local flat (equirectangular) projection as the lookups' `inCircle`: a
 * hexagon touches when its nearest point is within the radius (plus the 0.1% band where lookups
 * fall back to the great-circle distance), and lies inside when its farthest vertex is within
 * 99.9% of it, where lookups answer yes without that fallback.
 */
function circleRegion(center: [number, number], radiusM: number): Region {
  const [lng0, lat0] = center;
  const ky = (Math.PI / 180) * 6_371_008.8;
  const kx = ky * Math.cos((lat0 * Math.PI) / 180);
  const outer = (radiusM * 1.002) ** 2;
  const inner = (radiusM * 0.999) ** 2;
  return {
    seeds: [[lat0, lng0]],
    touches: (hexagon) => distance2ToConvex(hexagon, lat0, lng0, kx, ky) <= outer,
    holds: (hexagon) => {
      for (let k = 0; k < hexagon.length; k += 2) {
        const x = (hexagon[k + 1]! - lng0) * kx;
        const y = (hexagon[k]! - lat0) * ky;
        if (x * x + y * y > inner) return false;
      }
      return true;
    },
  };
}

/**
 * Squared distance, in metres on the local flat projection (kx, ky metres per degree), from
 * (lat0, lng0) to a convex polygon of [lat, lng] vertices (either winding); 0 inside.
 */
function distance2ToConvex(vertices: Hexagon, lat0: number, lng0: number, kx: number, ky: number): number {
  let best = Infinity;
  let sign = 0;
  let inside = true;
  const n = vertices.length;
  for (let k = 0; k < n; k += 2) {
    const j = (k + 2) % n;
    const ax = (vertices[k + 1]! - lng0) * kx;
    const ay = (vertices[k]! - lat0) * ky;
    const dx = (vertices[j + 1]! - lng0) * kx - ax;
    const dy = (vertices[j]! - lat0) * ky - ay;
    const cross = dx * -ay - dy * -ax;
    if (cross !== 0) {
      if (sign === 0) sign = Math.sign(cross);
      else if (Math.sign(cross) !== sign) inside = false;
    }
    const t = Math.max(0, Math.min(1, -(ax * dx + ay * dy) / (dx * dx + dy * dy || 1)));
    const px = ax + t * dx;
    const py = ay + t * dy;
    best = Math.min(best, px * px + py * py);
  }
  return inside ? 0 : best;
}

/**
 * The cells at `resolution` whose hexagon (as `hexagonOf` draws it) touches the region: a flood
 * from the cells of its seeds through neighbours that touch. The cells a connected shape touches
 * are connected (hexagons that share a point share an edge), so the flood finds them all.
 */
function touchingCells(
  region: Region,
  resolution: number,
  hexagonOf: (cell: string) => Hexagon,
): Set<string> {
  const found = new Set<string>();
  const seen = new Set<string>();
  const queue: string[] = [];
  for (const [lat, lng] of region.seeds) {
    const cell = latLngToCell(lat, lng, resolution);
    if (seen.has(cell)) continue;
    seen.add(cell);
    found.add(cell);
    queue.push(cell);
  }
  while (queue.length > 0) {
    for (const n of neighboursOf(queue.pop()!)) {
      if (seen.has(n)) continue;
      seen.add(n);
      if (!region.touches(hexagonOf(n))) continue;
      found.add(n);
      queue.push(n);
    }
  }
  return found;
}

/** A cell's neighbours (gridDisk without the cell itself). */
function neighboursOf(cell: string): string[] {
  let neighbours = NEIGHBOURS.get(cell);
  if (neighbours === undefined) {
    neighbours = gridDisk(cell, 1).filter((n) => n !== cell);
    remember(NEIGHBOURS, cell, neighbours);
  }
  return neighbours;
}

/**
 * A cell's vertices, flat: lat, lng, lat, lng, … (the hexagon's own, or grown, below). Flat
 * typed arrays keep the remembered geometry of 100,000 fences' cells to tens of megabytes.
 */
type Hexagon = Float64Array;

function boundaryOf(cell: string): Hexagon {
  return Float64Array.from(cellToBoundary(cell).flat());
}

/**
 * Cell geometry, remembered across covers: neighbouring fences share most of their cells, and
 * h3-js' WASM calls were most of a cover's cost (100,000 metro fences touch ~80,000 distinct
 * cells, and each cover visits its cells and their rim). Bounded: emptied when full.
 */
const CACHE_CELLS = 1 << 18;
const NEIGHBOURS = new Map<string, string[]>();
const GROWN = new Map<string, Hexagon>();

function remember<T>(cache: Map<string, T>, cell: string, value: T): void {
  if (cache.size >= CACHE_CELLS) cache.clear();
  cache.set(cell, value);
}

/** Rings of one polygon, with their `encodePolygons` run for the even-odd test. */
interface Prepared {
  rings: number[][][];
  run: Float64Array;
}

function prepare(polygons: number[][][][]): Prepared[] {
  return polygons.map((rings) => ({
    rings,
    run: Float64Array.from(
      encodePolygons({ type: 'Polygon', coordinates: rings as PolygonShape['coordinates'] }),
    ),
  }));
}

const GROWTH = 1.02;

/** The cell's hexagon grown by GROWTH about its centre (remembered). */
function grown(cell: string): Hexagon {
  let hexagon = GROWN.get(cell);
  if (hexagon !== undefined) return hexagon;
  hexagon = boundaryOf(cell);
  const n = hexagon.length / 2;
  let lat0 = 0;
  let lng0 = 0;
  for (let k = 0; k < hexagon.length; k += 2) {
    lat0 += hexagon[k]! / n;
    lng0 += hexagon[k + 1]! / n;
  }
  for (let k = 0; k < hexagon.length; k += 2) {
    hexagon[k] = lat0 + (hexagon[k]! - lat0) * GROWTH;
    hexagon[k + 1] = lng0 + (hexagon[k + 1]! - lng0) * GROWTH;
  }
  remember(GROWN, cell, hexagon);
  return hexagon;
}

/** Whether the cell (a flat `Hexagon`) lies inside the polygon. */
function cellInside(cell: Hexagon, { rings, run }: Prepared): boolean {
  for (let k = 0; k < cell.length; k += 2) if (!inPolygonsAt(run, 0, cell[k]!, cell[k + 1]!)) return false;
  return !ringsMeetCell(cell, rings);
}

/** Whether the cell (a flat `Hexagon`) and the polygon share any point. */
function cellTouches(cell: Hexagon, { rings, run }: Prepared): boolean {
  for (let k = 0; k < cell.length; k += 2) if (inPolygonsAt(run, 0, cell[k]!, cell[k + 1]!)) return true;
  return ringsMeetCell(cell, rings);
}

/** Whether a ring vertex lies in the cell or a ring edge touches a cell edge. */
function ringsMeetCell(cell: Hexagon, rings: number[][][]): boolean {
  for (const ring of rings) {
    for (let i = 0; i + 1 < ring.length; i++) {
      const a = ring[i]!;
      const b = ring[i + 1]!;
      if (inConvex(cell, a[1]!, a[0]!)) return true;
      for (let k = 0; k < cell.length; k += 2) {
        const j = (k + 2) % cell.length;
        if (crosses(a[0]!, a[1]!, b[0]!, b[1]!, cell[k + 1]!, cell[k]!, cell[j + 1]!, cell[j]!)) return true;
      }
    }
  }
  return false;
}

/** Whether (lat, lng) is inside or on a convex flat ring of lat, lng (either winding). */
function inConvex(ring: Hexagon, lat: number, lng: number): boolean {
  let sign = 0;
  for (let k = 0; k < ring.length; k += 2) {
    const j = (k + 2) % ring.length;
    const cross =
      (ring[j + 1]! - ring[k + 1]!) * (lat - ring[k]!) - (ring[j]! - ring[k]!) * (lng - ring[k + 1]!);
    if (cross === 0) continue;
    if (sign === 0) sign = Math.sign(cross);
    else if (Math.sign(cross) !== sign) return false;
  }
  return true;
}

/** Whether segments a–b and c–d touch or cross. */
function crosses(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  cx: number,
  cy: number,
  dx: number,
  dy: number,
) {
  const d1 = (dx - cx) * (ay - cy) - (dy - cy) * (ax - cx);
  const d2 = (dx - cx) * (by - cy) - (dy - cy) * (bx - cx);
  const d3 = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  const d4 = (bx - ax) * (dy - ay) - (by - ay) * (dx - ax);
  return d1 * d2 <= 0 && d3 * d4 <= 0;
}

function asFeature(shape: Exclude<FenceShape, { type: 'Circle' }>) {
  return shape.type === 'Polygon' ? polygon(shape.coordinates) : multiPolygon(shape.coordinates);
}
