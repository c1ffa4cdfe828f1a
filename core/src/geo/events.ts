import { Type } from '@sinclair/typebox';
import { defineEvent, type EventType } from '../envelope/index.js';

export const GeoEventDataSchema = Type.Object(
  {
    deviceId: Type.String({ minLength: 1, maxLength: 128 }),
    fenceId: Type.String({ minLength: 1 }),
    campaignId: Type.String({ minLength: 1 }),
    /** The region of the gateway the fix came through: where a coupon for it is delivered. */
    region: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    /**
     * Every live fence containing this fix, so a consumer (the offer engine) needs no lookup of
     * its own. Absent on events written before it was added.
     */
    fences: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000 })),
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
    h3: Type.String(),
    accuracy: Type.Number({ minimum: 0 }),
    /** When this visit's enter happened; with device, fence and kind it identifies the event. */
    visitStartedAt: Type.Integer({ minimum: 0 }),
    dwellMs: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The implied speed since the previous fix exceeded the configured bound. */
    impossibleTravel: Type.Boolean(),
    impliedSpeedMps: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);

export const GeoEnter = defineEvent('geo.enter', GeoEventDataSchema);
export const GeoExit = defineEvent('geo.exit', GeoEventDataSchema);
export const GeoDwell = defineEvent('geo.dwell', GeoEventDataSchema);

export const GEO_EVENTS: readonly EventType[] = [GeoEnter, GeoExit, GeoDwell];
