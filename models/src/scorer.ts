import { affinity, type PropensityInput, redemptionRate } from './features.js';

/** Scores candidates: P(redeem | device, campaign, context), one number per input. */
export interface PropensityScorer {
  /** `model` when a trained model answers, `heuristic` otherwise. */
  readonly kind: 'model' | 'heuristic';
  /** The model version, or `heuristic-v1`. */
  readonly version: string;
  score(inputs: readonly PropensityInput[]): Promise<Float32Array>;
}

/**
 * The fallback when no trained model is loaded, documented in models/README.md:
 * 0.5 · affinity lift + 0.3 · redemption rate + 0.2 · closeness to the fence centre, in [0, 1].
 * It knows nothing of the time of day or of dwell.
 */
export function heuristicScore(x: PropensityInput): number {
  const lift = Math.min(affinity(x) * 4, 1); // 1/8 (no signal) → 0.5; ≥ 1/4 of clicks → 1
  const closeness = 1 - Math.min(Math.max(x.distanceNorm, 0), 1);
  return 0.5 * lift + 0.3 * redemptionRate(x) + 0.2 * closeness;
}

export const heuristicScorer: PropensityScorer = {
  kind: 'heuristic',
  version: 'heuristic-v1',
  score: async (inputs) => Float32Array.from(inputs, heuristicScore),
};
