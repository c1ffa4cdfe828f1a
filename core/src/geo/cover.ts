import turfArea from '@turf/area';
import turfCircle from '@turf/circle';
import { multiPolygon, polygon } from '@turf/helpers';
import {
  cellToBoundary,
  compactCells,
  gridDisk,
  latLngToCell,
  POLYGON_TO_CELLS_FLAGS,
  polygonToCellsExperimental,
} from 'h3-js';
import { encodePolygons, inPolygonsAt } from './contains.js';
import type { FenceShape, PolygonShape } from './shapes.js';

export interface FenceCover {
  /** Resolution of the boundary cells. */
  resolution: number;
  /** Cells deep inside the fence (compacted, mixed resolutions): a point there is inside. */
  interior: string[];
  /** Cells the fence's edge may cross: a point there needs the exact test. */
  boundary: string[];
}

/** Average H3 hexagon edge length per resolution, metres (h3geo.org). */
const EDGE_M = [
  1_107_712, 418_676, 158_244, 59_810, 22_606, 8_544, 3_229, 1_220, 461, 174, 66, 25, 9.4, 3.6, 1.3, 0.5,
];
const MIN_RES = 4;
// Finer than 12 (~9 m edges) costs a slower latLngToCell on every lookup for little gain (measured).
const MAX_RES = 12;
const CIRCLE_STEPS = 64;

/** A resolution whose cells are about a third of the fence's size: measured best for lookups, build time and memory. */
export function resolutionFor(shape: FenceShape): number {
  const size = shape.type === 'Circle' ? shape.radiusM : Math.sqrt(turfArea(asFeature(shape))) / 2;
  const target = size / 3;
  let res = MIN_RES;
  while (res < MAX_RES && EDGE_M[res + 1]! >= target) res++;
  return res;
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
  const outer: number[][][][] = [];
  const inner: number[][][][] = [];
  if (shape.type === 'Circle') {
    // Circumscribed polygon for the candidates, inscribed for the interior.
    const grown = shape.radiusM / Math.cos(Math.PI / CIRCLE_STEPS);
    outer.push(
      turfCircle(shape.center, grown / 1000, { steps: CIRCLE_STEPS, units: 'kilometers' }).geometry
        .coordinates,
    );
    inner.push(
      turfCircle(shape.center, shape.radiusM / 1000, { steps: CIRCLE_STEPS, units: 'kilometers' }).geometry
        .coordinates,
    );
  } else {
    const polygons = shape.type === 'Polygon' ? [shape.coordinates] : shape.coordinates;
    outer.push(...polygons);
    inner.push(...polygons);
  }
  const candidates = new Set<string>();
  for (const p of outer) {
    for (const c of polygonToCellsExperimental(
      p,
      resolution,
      POLYGON_TO_CELLS_FLAGS.containmentOverlapping,
      true,
    )) {
      candidates.add(c);
    }
  }
  // Shapes far smaller than a cell: the cells of their vertices are candidates too.
  if (candidates.size === 0) {
    for (const p of outer)
      for (const [lng, lat] of p[0]!) candidates.add(latLngToCell(lat!, lng!, resolution));
  }
  const inside = prepare(inner);
  if (direct) return directCover(resolution, candidates, prepare(outer), inside);
  // Fully inside, decided here rather than by a second polygonToCells pass (which cost as much as
  // the first): a candidate whose vertices are all inside, whose edges no ring edge crosses, and
  // which holds no ring vertex. Planar lng/lat like the exact test; the one-cell margin below
  // absorbs the difference from H3's geodesic cell edges.
  const full = new Set<string>();
  for (const c of candidates) {
    const cell = cellToBoundary(c);
    if (inside.some((p) => cellInside(cell, p))) full.add(c);
  }
  const deep = new Set<string>();
  for (const c of full) if (gridDisk(c, 1).every((n) => full.has(n))) deep.add(c);
  // H3 is not exactly hierarchical: the ancestor of a point's fine cell may be a neighbour of the
  // coarse cell that contains the point. Lookups go by ancestors, so every candidate's neighbours
  // are boundary too. (Deep cells need no ring: their neighbours are all fully inside.)
  const boundary = new Set<string>();
  for (const c of candidates) {
    if (deep.has(c)) continue;
    for (const n of gridDisk(c, 1)) if (!deep.has(n)) boundary.add(n);
  }
  return { resolution, interior: deep.size > 0 ? compactCells([...deep]) : [], boundary: [...boundary] };
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

/** The cover for lookups at this resolution itself (see `coverFence`). */
function directCover(
  resolution: number,
  candidates: Set<string>,
  outside: Prepared[],
  inside: Prepared[],
): FenceCover {
  // H3's overlap test works on the planar hexagon; a neighbour the grown hexagon says touches the
  // shape joins (a shape edge within metres of a cell edge).
  const cells = new Set(candidates);
  for (const c of candidates) {
    for (const n of gridDisk(c, 1)) {
      if (cells.has(n)) continue;
      const hexagon = grown(n);
      if (outside.some((p) => cellTouches(hexagon, p))) cells.add(n);
    }
  }
  const interior: string[] = [];
  const boundary: string[] = [];
  for (const c of cells) {
    const hexagon = grown(c);
    if (inside.some((p) => cellInside(hexagon, p))) interior.push(c);
    else boundary.push(c);
  }
  return { resolution, interior: interior.length > 0 ? compactCells(interior) : [], boundary };
}

/** The cell's boundary as [lat, lng] pairs, grown by GROWTH about its centre. */
function grown(cell: string): number[][] {
  const vertices = cellToBoundary(cell);
  let lat0 = 0;
  let lng0 = 0;
  for (const [lat, lng] of vertices) {
    lat0 += lat! / vertices.length;
    lng0 += lng! / vertices.length;
  }
  return vertices.map(([lat, lng]) => [lat0 + (lat! - lat0) * GROWTH, lng0 + (lng! - lng0) * GROWTH]);
}

/** Whether the cell (its boundary as [lat, lng] pairs) lies inside the polygon. */
function cellInside(cell: number[][], { rings, run }: Prepared): boolean {
  for (const [lat, lng] of cell) if (!inPolygonsAt(run, 0, lat!, lng!)) return false;
  return !ringsMeetCell(cell, rings);
}

/** Whether the cell (its boundary as [lat, lng] pairs) and the polygon share any point. */
function cellTouches(cell: number[][], { rings, run }: Prepared): boolean {
  for (const [lat, lng] of cell) if (inPolygonsAt(run, 0, lat!, lng!)) return true;
  return ringsMeetCell(cell, rings);
}

/** Whether a ring vertex lies in the cell or a ring edge touches a cell edge. */
function ringsMeetCell(cell: number[][], rings: number[][][]): boolean {
  for (const ring of rings) {
    for (let i = 0; i + 1 < ring.length; i++) {
      const [ax, ay] = ring[i]!;
      const [bx, by] = ring[i + 1]!;
      if (inConvex(cell, ay!, ax!)) return true;
      for (let k = 0; k < cell.length; k++) {
        const [cy, cx] = cell[k]!;
        const [dy, dx] = cell[(k + 1) % cell.length]!;
        if (crosses(ax!, ay!, bx!, by!, cx!, cy!, dx!, dy!)) return true;
      }
    }
  }
  return false;
}

/** Whether (lat, lng) is inside or on a convex ring of [lat, lng] pairs (either winding). */
function inConvex(ring: number[][], lat: number, lng: number): boolean {
  let sign = 0;
  for (let k = 0; k < ring.length; k++) {
    const [ay, ax] = ring[k]!;
    const [by, bx] = ring[(k + 1) % ring.length]!;
    const cross = (bx! - ax!) * (lat - ay!) - (by! - ay!) * (lng - ax!);
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
