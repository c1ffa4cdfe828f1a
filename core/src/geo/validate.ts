import turfArea from '@turf/area';
import { multiPolygon, polygon } from '@turf/helpers';
import turfKinks from '@turf/kinks';
import { HexcastError } from '../errors/index.js';
import type { FenceShape } from './shapes.js';

export interface FenceLimits {
  /** Largest fence area, m². */
  maxAreaM2: number;
  /** Most vertices over all rings. */
  maxVertices: number;
  /** Smallest and largest circle radius, m. */
  minRadiusM: number;
  maxRadiusM: number;
}

export const DEFAULT_FENCE_LIMITS: FenceLimits = {
  maxAreaM2: 2_500_000_000, // 2,500 km²: a metro area
  maxVertices: 5_000,
  minRadiusM: 5,
  maxRadiusM: 50_000,
};

/**
 * Checks a fence shape beyond its schema: coordinate ranges, closed rings, no self-intersection,
 * no antimeridian crossing, area and vertex limits. Throws a coded HexcastError.
 */
export function validateFenceShape(shape: FenceShape, limits: FenceLimits = DEFAULT_FENCE_LIMITS): void {
  if (shape.type === 'Circle') {
    checkPosition(shape.center, 'center');
    if (!(shape.radiusM >= limits.minRadiusM && shape.radiusM <= limits.maxRadiusM)) {
      throw new HexcastError(
        'HX_GEO_RADIUS_INVALID',
        `radius must be ${limits.minRadiusM}..${limits.maxRadiusM} m`,
        {
          details: { radiusM: shape.radiusM },
        },
      );
    }
    const area = Math.PI * shape.radiusM ** 2;
    if (area > limits.maxAreaM2) throw areaError(area, limits);
    return;
  }
  const polygons = shape.type === 'Polygon' ? [shape.coordinates] : shape.coordinates;
  let vertices = 0;
  for (const [p, rings] of polygons.entries()) {
    for (const [r, ring] of rings.entries()) {
      const where = `polygon ${p} ring ${r}`;
      if (ring.length < 4)
        throw new HexcastError('HX_GEO_RING_TOO_SHORT', `${where} needs at least 4 positions`);
      const first = ring[0]!;
      const last = ring[ring.length - 1]!;
      if (first[0] !== last[0] || first[1] !== last[1]) {
        throw new HexcastError('HX_GEO_RING_NOT_CLOSED', `${where} must end where it starts`, {
          details: { polygon: p, ring: r },
        });
      }
      for (const [i, pos] of ring.entries()) checkPosition(pos, `${where} position ${i}`);
      for (let i = 1; i < ring.length; i++) {
        if (Math.abs(ring[i]![0] - ring[i - 1]![0]) > 180) {
          throw new HexcastError(
            'HX_GEO_ANTIMERIDIAN',
            `${where} crosses the antimeridian; split it in two polygons`,
          );
        }
      }
      vertices += ring.length - 1;
    }
  }
  if (vertices > limits.maxVertices) {
    throw new HexcastError(
      'HX_GEO_TOO_MANY_VERTICES',
      `fence has ${vertices} vertices, limit ${limits.maxVertices}`,
      {
        details: { vertices, limit: limits.maxVertices },
      },
    );
  }
  for (const rings of polygons) {
    if (turfKinks(polygon(rings)).features.length > 0) {
      throw new HexcastError('HX_GEO_SELF_INTERSECTION', 'fence edges cross each other');
    }
  }
  const feature = shape.type === 'Polygon' ? polygon(shape.coordinates) : multiPolygon(shape.coordinates);
  const area = turfArea(feature);
  if (area > limits.maxAreaM2) throw areaError(area, limits);
  if (area <= 0) throw new HexcastError('HX_GEO_RING_TOO_SHORT', 'fence has no area');
}

function checkPosition(pos: readonly number[], where: string): void {
  const [lng, lat] = pos as [number, number];
  if (!Number.isFinite(lng) || !Number.isFinite(lat) || lng < -180 || lng > 180 || lat < -90 || lat > 90) {
    throw new HexcastError('HX_GEO_COORDINATE_RANGE', `${where}: [lng, lat] out of range: [${lng}, ${lat}]`, {
      details: { lng, lat },
    });
  }
}

function areaError(area: number, limits: FenceLimits): HexcastError {
  return new HexcastError(
    'HX_GEO_AREA_TOO_LARGE',
    `fence area ${Math.round(area)} m² exceeds ${limits.maxAreaM2} m²`,
    {
      details: { areaM2: Math.round(area), limit: limits.maxAreaM2 },
    },
  );
}
