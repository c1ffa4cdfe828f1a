import { type TabularArtifact, TabularScorer } from '@hexcast/models';
import { ModelSlot, type Versioned } from '../model-feed/index.js';
import { FEATURE_WORDS, FRAUD_FEATURE_NAMES, type FraudFeatureName } from './features.js';

/** Why a score is high: a feature and how much it added. */
export interface Contribution {
  feature: FraudFeatureName;
  /** Score with the feature as is, minus the score with it at its usual value. */
  delta: number;
  words: string;
}

/** Scores a payment's feature row (in `FRAUD_FEATURE_NAMES` order): P(fraud). */
export interface FraudScorer extends Versioned {
  readonly kind: 'model' | 'rules' | 'none';
  score(row: readonly number[]): number;
  /** The features that raised this row's score most, largest first. */
  explain(row: readonly number[], top: number): Contribution[];
}

const col = (name: FraudFeatureName) => FRAUD_FEATURE_NAMES.indexOf(name);
const BASELINE_RULES: ReadonlyArray<{
  feature: FraudFeatureName;
  test: (x: number) => boolean;
  weight: number;
}> = [
  { feature: 'cardCount1h', test: (x) => x >= 3, weight: 2 },
  { feature: 'deviceDistinctCards', test: (x) => x >= 3, weight: 2.5 },
  { feature: 'ipDistinctCards', test: (x) => x >= 3, weight: 2.5 },
  { feature: 'customerCount1h', test: (x) => x >= 4, weight: 1 },
  { feature: 'amountZ', test: (x) => x >= 3, weight: 1.5 },
  { feature: 'amountLog', test: (x) => x >= Math.log1p(1000), weight: 1 },
  { feature: 'shippingBillingMismatch', test: (x) => x === 1, weight: 1 },
  { feature: 'binBillingMismatch', test: (x) => x === 1, weight: 1 },
];

/**
 * The rules-only scorer: velocity, amount and country rules, each adding to the log-odds — what
 * a merchant without a model writes first, and the baseline the model is measured against. It
 * answers until a `fraud` model is published.
 */
export const rulesScorer: FraudScorer = {
  kind: 'rules',
  version: 'rules-v1',
  score(row) {
    let logit = -5;
    for (const r of BASELINE_RULES) if (r.test(row[col(r.feature)]!)) logit += r.weight;
    return 1 / (1 + Math.exp(-logit));
  },
  explain(row, top) {
    return BASELINE_RULES.filter((r) => r.test(row[col(r.feature)]!))
      .sort((a, b) => b.weight - a.weight)
      .slice(0, top)
      .map((r) => ({ feature: r.feature, delta: r.weight, words: FEATURE_WORDS[r.feature] }));
  },
};

/** The empty shadow slot: nothing scores alongside the live model. */
export const noCandidate: FraudScorer = {
  kind: 'none',
  version: 'none',
  score: () => Number.NaN,
  explain: () => [],
};

/** A trained `fraud` model (`@hexcast/models` tabular artifact over `FRAUD_FEATURE_NAMES`). */
export class ModelFraudScorer implements FraudScorer {
  readonly kind = 'model' as const;
  readonly version: string;

  constructor(readonly model: TabularScorer) {
    this.version = model.version;
  }

  static async load(artifact: unknown): Promise<ModelFraudScorer> {
    return new ModelFraudScorer(await TabularScorer.load(artifact as TabularArtifact, FRAUD_FEATURE_NAMES));
  }

  score(row: readonly number[]): number {
    return this.model.scoreSync(row);
  }

  /** Occlusion: each feature set to its training mean in turn; what the score loses is its share. */
  explain(row: readonly number[], top: number): Contribution[] {
    const base = this.model.scoreSync(row);
    const { mean } = this.model.metadata.normalization;
    const probe = [...row];
    const out: Contribution[] = [];
    for (const [j, feature] of FRAUD_FEATURE_NAMES.entries()) {
      probe[j] = mean[j]!;
      const delta = base - this.model.scoreSync(probe);
      probe[j] = row[j]!;
      if (delta > 0.005) out.push({ feature, delta, words: FEATURE_WORDS[feature] });
    }
    return out.sort((a, b) => b.delta - a.delta).slice(0, top);
  }
}

/** The live fraud model (`hx.models` key `fraud`), on the rules until one is published. */
export function liveFraudSlot(): ModelSlot<FraudScorer> {
  return new ModelSlot<FraudScorer>({
    name: 'fraud',
    fallback: rulesScorer,
    fallbackMeans: 'payments are scored by the rules-only scorer (rules-v1)',
    load: (artifact) => ModelFraudScorer.load(artifact),
    dispose: (m) => {
      if (m instanceof ModelFraudScorer) m.model.dispose();
    },
  });
}

/** The shadow candidate (`hx.models` key `fraud.candidate`): scores beside the live one, decides nothing. */
export function candidateFraudSlot(): ModelSlot<FraudScorer> {
  return new ModelSlot<FraudScorer>({
    name: 'fraud.candidate',
    fallback: noCandidate,
    optional: true,
    load: (artifact) => ModelFraudScorer.load(artifact),
    dispose: (m) => {
      if (m instanceof ModelFraudScorer) m.model.dispose();
    },
  });
}
