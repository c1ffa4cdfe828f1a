import { type Static, Type } from '@sinclair/typebox';

const Position = Type.Tuple([Type.Number(), Type.Number()]); // [lng, lat], GeoJSON order
const Ring = Type.Array(Position, { minItems: 4, maxItems: 10_001 });

export const PolygonSchema = Type.Object(
  { type: Type.Literal('Polygon'), coordinates: Type.Array(Ring, { minItems: 1, maxItems: 101 }) },
  { additionalProperties: false },
);
export const MultiPolygonSchema = Type.Object(
  {
    type: Type.Literal('MultiPolygon'),
    coordinates: Type.Array(Type.Array(Ring, { minItems: 1, maxItems: 101 }), { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);
export const CircleSchema = Type.Object(
  {
    type: Type.Literal('Circle'),
    center: Position,
    radiusM: Type.Number({ exclusiveMinimum: 0 }),
  },
  { additionalProperties: false },
);

/** A geofence: a GeoJSON Polygon or MultiPolygon, or a circle (centre [lng, lat] + radius in metres). */
export const FenceShapeSchema = Type.Union([PolygonSchema, MultiPolygonSchema, CircleSchema]);

export type PolygonShape = Static<typeof PolygonSchema>;
export type MultiPolygonShape = Static<typeof MultiPolygonSchema>;
export type CircleShape = Static<typeof CircleSchema>;
export type FenceShape = Static<typeof FenceShapeSchema>;

export interface Fence {
  id: string;
  shape: FenceShape;
}
