import type { CampaignInput } from '@hexcast/core';
import type { City, Poi } from './city.js';

/**
 * The demo's own audience: seeded demo campaigns reach only devices with this tag, which every
 * simulated device carries. A user's own devices never get a demo coupon, and demo campaigns
 * never use up their daily cap.
 */
export const DEMO_TAG = 'demo';

/** Products per category in the demo catalogue the simulated devices browse. */
export const DEMO_PRODUCTS_PER_CATEGORY = 40;

/** The demo catalogue's product ids: `sku-<category>-<n>`. */
export const demoProduct = (category: string, n: number): string => `sku-${category}-${n}`;

/**
 * The demo campaign of one point of interest: a circle around it and a coupon for demo devices
 * only (`DEMO_TAG`), named `Demo · …` with `DEMO-` codes. `hexcast dev` seeds these; the e2e
 * benchmark measures its stages on the same ones.
 */
export function demoCampaign(poi: Poi, city: Pick<City, 'timezone'>, now: number): CampaignInput {
  return {
    name: `Demo · ${poi.name}`,
    fence: { type: 'Circle', center: [poi.lng, poi.lat], radiusM: poi.radiusM },
    dwellSeconds: 30,
    exitDebounceSeconds: 60,
    startsAt: new Date(now - 60_000).toISOString(),
    endsAt: new Date(now + 365 * 86_400_000).toISOString(),
    timezone: city.timezone,
    status: 'active',
    offer: {
      title: `${poi.name}: 15% off`,
      body: 'Show this code at the till',
      codePrefix: 'DEMO',
      category: poi.category,
      ttlSeconds: 600,
      budget: 100_000,
      capPerDevice: 1,
      capPerDevicePerDay: 5,
      couponGapSeconds: 3600,
      trigger: 'enter',
      minScore: 0,
      audience: { anyTags: [DEMO_TAG] },
    },
  };
}
