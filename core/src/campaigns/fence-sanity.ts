import { Type } from '@sinclair/typebox';
import { bbox, type FenceShape } from '../geo/index.js';

export const CampaignWarningSchema = Type.Object({
  /** `fence-far-from-timezone` */
  code: Type.String(),
  message: Type.String(),
});
export type CampaignWarning = { code: string; message: string };

/** A fence farther than this (degrees of longitude) from its time zone's meridian gets a warning. */
const MAX_DEGREES_FROM_ZONE = 30;

/** The zone's offset from UTC in hours at `at` ("GMT+05:30" → 5.5). */
function utcOffsetHours(timeZone: string, at: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')?.value;
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
  return m === null ? 0 : (m[1] === '-' ? -1 : 1) * (Number(m[2]) + Number(m[3]) / 60);
}

function centre(fence: FenceShape): { lng: number; lat: number } {
  if (fence.type === 'Circle') return { lng: fence.center[0], lat: fence.center[1] };
  const [w, s, e, n] = bbox(fence);
  return { lng: (w + e) / 2, lat: (s + n) / 2 };
}

/** Rough latitude bands of the IANA zone areas, to judge whether a swapped reading is plausible. */
const AREA_LATITUDES: Record<string, [number, number]> = {
  Europe: [27, 72],
  America: [-56, 72],
  Africa: [-35, 38],
  Asia: [-11, 78],
  Australia: [-44, -10],
  Pacific: [-50, 30],
  Atlantic: [-55, 70],
  Indian: [-50, 10],
  Antarctica: [-90, -60],
  Arctic: [60, 90],
};

function plausibleLatitude(timeZone: string, lat: number): boolean {
  const band = AREA_LATITUDES[timeZone.split('/')[0] ?? ''];
  return band === undefined ? Math.abs(lat) <= 90 : lat >= band[0] && lat <= band[1];
}

const degreesApart = (a: number, b: number) => Math.abs(((((a - b) % 360) + 540) % 360) - 180);

/**
 * What is accepted but probably wrong about a campaign: a fence far from its time zone (a
 * Europe/Paris campaign in the Indian Ocean), most often coordinates given as [lat, lng] where
 * GeoJSON wants [lng, lat]. A zone's meridian is its UTC offset × 15°; a fence more than 30° of
 * longitude from it is flagged (a few zones stretch farther, e.g. western China: it is a warning, never a refusal),
 * and when the swapped reading fits (near the meridian, at a latitude the zone's area spans), the
 * warning says so.
 */
export function campaignWarnings(c: {
  fence: FenceShape;
  timezone: string;
  startsAt: string;
}): CampaignWarning[] {
  const meridian = utcOffsetHours(c.timezone, Date.parse(c.startsAt)) * 15;
  const { lng, lat } = centre(c.fence);
  if (degreesApart(lng, meridian) <= MAX_DEGREES_FROM_ZONE) return [];
  // Read as [lat, lng]: `lat` is the longitude and `lng` the latitude.
  const swappedFits =
    plausibleLatitude(c.timezone, lng) && degreesApart(lat, meridian) <= MAX_DEGREES_FROM_ZONE;
  const at = `[${lng}, ${lat}]`;
  return [
    {
      code: 'fence-far-from-timezone',
      message: swappedFits
        ? `the fence's centre ${at} (GeoJSON: [lng, lat]) is far from ${c.timezone}; read as [lat, lng] it would be at [${lat}, ${lng}], within it — are the coordinates swapped?`
        : `the fence's centre ${at} (GeoJSON: [lng, lat]) is ${Math.round(degreesApart(lng, meridian))}° of longitude from ${c.timezone}'s meridian: is the time zone right?`,
    },
  ];
}
