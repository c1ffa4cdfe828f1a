import type { PropensityInput } from './features.js';
import { gamma, normal, poisson, seededRandom } from './random.js';

/**
 * The behaviour model behind generated interaction history (documented in models/README.md).
 * Each user has latent category preferences (Dirichlet(0.5) over 8 categories), a latent
 * propensity to redeem (standard normal) and an activity level (clicks per offer, log-normal).
 * Clicks follow the preferences; whether a coupon is redeemed follows `redeemLogit` — which the
 * model never sees: it only sees noisy traces of it (click counts, past redemptions) and the
 * context.
 */
export interface LatentUser {
  preferences: number[];
  propensity: number;
  activity: number;
}

export const CATEGORIES = 8;

export interface Context {
  distanceNorm: number;
  dwellMs: number;
  localHour: number;
  localDow: number;
}

export function latentUser(random: () => number): LatentUser {
  const raw = Array.from({ length: CATEGORIES }, () => gamma(random, 0.5));
  const sum = raw.reduce((a, b) => a + b, 0) || 1;
  return {
    preferences: raw.map((g) => g / sum),
    propensity: normal(random),
    activity: Math.exp(0.8 + 0.9 * normal(random)),
  };
}

/**
 * log-odds that `user` redeems a coupon of `category` in `context`:
 * base −2.4; + 2.2 · (preference lift − 1), lift = preference · categories capped at 3;
 * + 0.9 · propensity; − 1.2 · distance (0 centre, 1 edge); + 0.45 · ln(1 + dwell minutes);
 * + 0.7 at lunch (11–14 h) and in the evening (17–20 h); − 0.8 late (before 8 h or from 22 h);
 * + 0.3 at weekends.
 */
export function redeemLogit(user: LatentUser, category: number, c: Context): number {
  const lift = Math.min((user.preferences[category] ?? 0) * CATEGORIES, 3);
  const h = c.localHour;
  const mealtime = (h >= 11 && h < 14) || (h >= 17 && h < 20);
  const late = h < 8 || h >= 22;
  const weekend = c.localDow === 0 || c.localDow === 6;
  return (
    -2.4 +
    2.2 * (lift - 1) +
    0.9 * user.propensity -
    1.2 * c.distanceNorm +
    0.45 * Math.log1p(c.dwellMs / 60_000) +
    (mealtime ? 0.7 : 0) -
    (late ? 0.8 : 0) +
    (weekend ? 0.3 : 0)
  );
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** A random trigger moment: distance uniform in the fence, dwell 0 (enter) or exponential (mean 6 min), hour mostly daytime. */
export function randomContext(random: () => number): Context {
  const dwell = random() < 0.5 ? 0 : -Math.log(1 - random()) * 6 * 60_000;
  const hour = random() < 0.85 ? 8 + random() * 14 : random() < 0.5 ? random() * 8 : 22 + random() * 2;
  return {
    distanceNorm: Math.sqrt(random()),
    dwellMs: dwell,
    localHour: hour,
    localDow: Math.floor(random() * 7),
  };
}

export interface Example {
  user: number;
  input: PropensityInput;
  redeemed: boolean;
}

export interface HistoryOptions {
  users: number;
  offersPerUser: number;
  seed: number;
}

/**
 * Interaction history: per user, clicks accumulate before each offer, then the offer is
 * redeemed or not by the behaviour model; the features are what was observable at that moment.
 */
export function generateHistory(options: HistoryOptions): Example[] {
  const random = seededRandom(options.seed);
  const examples: Example[] = [];
  for (let u = 0; u < options.users; u++) {
    const user = latentUser(random);
    const clicks = new Array<number>(CATEGORIES).fill(0);
    let total = 0;
    let offers = 0;
    let redemptions = 0;
    for (let j = 0; j < options.offersPerUser; j++) {
      for (let k = poisson(random, user.activity); k > 0; k--) {
        clicks[pick(random, user.preferences)]! += 1;
        total++;
      }
      const category = Math.floor(random() * CATEGORIES);
      const context = randomContext(random);
      const redeemed = random() < sigmoid(redeemLogit(user, category, context));
      examples.push({
        user: u,
        input: {
          categoryClicks: clicks[category]!,
          totalClicks: total,
          offersReceived: offers,
          redemptions,
          ...context,
        },
        redeemed,
      });
      offers++;
      if (redeemed) redemptions++;
    }
  }
  return examples;
}

/** Draws an index with the given probabilities. */
export function pick(random: () => number, weights: readonly number[]): number {
  let r = random();
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i]!;
    if (r <= 0) return i;
  }
  return weights.length - 1;
}

/** Held-out split by user (no user in both halves). */
export function splitByUser(
  examples: readonly Example[],
  testShare = 0.2,
): { train: Example[]; test: Example[] } {
  const train: Example[] = [];
  const test: Example[] = [];
  for (const e of examples) ((e.user * 2654435761) % 1000) / 1000 < testShare ? test.push(e) : train.push(e);
  return { train, test };
}
