import { evaluateNextClick, type NextClickReport } from './evaluate.js';
import { ItemScores, type NextClickRecommender } from './scores.js';

/**
 * A weighted sum of recommenders, each one's scores scaled to a best of 1 first so the weights
 * compare like with like.
 */
export class BlendedRecommender implements NextClickRecommender {
  readonly name: string;
  readonly components: readonly NextClickRecommender[];
  readonly weights: readonly number[];
  readonly #scratch: ItemScores[];

  constructor(
    name: string,
    components: readonly NextClickRecommender[],
    weights: readonly number[],
    items: number,
  ) {
    if (components.length !== weights.length) throw new Error('one weight per component');
    this.name = name;
    this.components = components;
    this.weights = weights;
    this.#scratch = components.map(() => new ItemScores(items));
  }

  score(session: ArrayLike<number>, into: ItemScores): void {
    // Into an empty `into`, the first component scores directly and is scaled in place (the same
    // sums as adding its scaled scores, without the copy).
    let direct = into.size === 0;
    for (const [c, component] of this.components.entries()) {
      const w = this.weights[c]!;
      if (w === 0) continue;
      if (direct) {
        direct = false;
        component.score(session, into);
        const max = into.max();
        if (max > 0) into.scale(w, max);
        else into.reset();
        continue;
      }
      const scratch = this.#scratch[c]!;
      scratch.reset();
      component.score(session, scratch);
      const max = scratch.max();
      if (max > 0) scratch.addTo(into, w, max);
    }
  }
}

/**
 * Learns blend weights on validation sessions: a coarse search over the simplex (steps of
 * 1/`steps`), keeping the weights with the best HR@20 + MRR@20 (the first component's weight is
 * never 0: it is the backbone).
 */
export function learnBlendWeights(
  components: readonly NextClickRecommender[],
  valid: readonly Int32Array[],
  items: number,
  steps = 10,
): { weights: number[] } & NextClickReport {
  let best: { weights: number[] } & NextClickReport = {
    weights: components.map((_, c) => (c === 0 ? 1 : 0)),
    'hr@20': -1,
    'mrr@20': -1,
    predictions: 0,
  };
  const visit = (prefix: number[], left: number) => {
    if (prefix.length === components.length - 1) {
      const weights = [...prefix, left].map((w) => w / steps);
      if (weights[0] === 0) return;
      const report = evaluateNextClick(
        new BlendedRecommender('blend', components, weights, items),
        valid,
        items,
      );
      if (report['hr@20'] + report['mrr@20'] > best['hr@20'] + best['mrr@20']) best = { weights, ...report };
      return;
    }
    for (let w = 0; w <= left; w++) visit([...prefix, w], left - w);
  };
  visit([], steps);
  return best;
}
