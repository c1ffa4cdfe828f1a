/**
 * What the propensity model sees for one (device, campaign, moment): the device's behaviour so
 * far and the context of the trigger. Every field is something the offer worker knows at
 * decision time; `featureVector` turns it into the model's input, in `FEATURES` order.
 */
export interface PropensityInput {
  /** The device's clicks on products of the campaign's category. */
  categoryClicks: number;
  /** All the device's clicks. */
  totalClicks: number;
  /** Coupons the device was issued before. */
  offersReceived: number;
  /** Coupons the device redeemed. */
  redemptions: number;
  /** Distance to the fence's centre over the fence's radius (0 at the centre, 1 at the edge). */
  distanceNorm: number;
  /** Time inside the fence when the decision is made (0 on enter). */
  dwellMs: number;
  /** Local hour of the day, fractional (0 ≤ h < 24). */
  localHour: number;
  /** Local day of the week, 0 = Sunday. */
  localDow: number;
}

/** Product categories the smoothing assumes (a device with no clicks has affinity 1/CATEGORIES). */
export const CATEGORY_PRIOR = 8;

export const FEATURES = [
  'affinity',
  'clicksLog',
  'redemptionRate',
  'offersLog',
  'distance',
  'dwellLog',
  'hourSin',
  'hourCos',
  'dowSin',
  'dowCos',
  'weekend',
] as const;

/** Share of the device's clicks in the campaign's category, smoothed toward 1/CATEGORY_PRIOR. */
export function affinity(x: Pick<PropensityInput, 'categoryClicks' | 'totalClicks'>): number {
  return (x.categoryClicks + 1) / (x.totalClicks + CATEGORY_PRIOR);
}

/** Past redemption rate, smoothed toward 0.2 (two pseudo-offers, 0.4 pseudo-redemptions). */
export function redemptionRate(x: Pick<PropensityInput, 'redemptions' | 'offersReceived'>): number {
  return (x.redemptions + 0.4) / (x.offersReceived + 2);
}

export function featureVector(x: PropensityInput): number[] {
  const hour = (2 * Math.PI * x.localHour) / 24;
  const dow = (2 * Math.PI * x.localDow) / 7;
  return [
    affinity(x),
    Math.log1p(x.totalClicks),
    redemptionRate(x),
    Math.log1p(x.offersReceived),
    Math.min(Math.max(x.distanceNorm, 0), 2),
    Math.log1p(x.dwellMs / 60_000),
    Math.sin(hour),
    Math.cos(hour),
    Math.sin(dow),
    Math.cos(dow),
    x.localDow === 0 || x.localDow === 6 ? 1 : 0,
  ];
}
