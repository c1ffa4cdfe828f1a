import {
  classOf,
  type MinedText,
  ruleReason,
  type SentimentArtifact,
  SentimentScorer,
} from '@hexcast/models';
import { ModelSlot } from '../model-feed/index.js';
import type { PostScore } from './post-store.js';

/** Scores a mined post: the model from `hx.models`, or VADER's rules without one. */
export interface PostScorer {
  readonly version: string;
  score(mined: MinedText): PostScore;
}

/** VADER-style rules; a negative post's reason by keywords. */
export const rulesPostScorer: PostScorer = {
  version: 'vader-rules-v1',
  score(mined) {
    const compound = mined.vader.compound;
    const label = classOf(compound);
    return {
      compound,
      label,
      ...(label === 'negative' ? { reason: ruleReason(mined) } : {}),
      modelVersion: 'vader-rules-v1',
    };
  },
};

export class ModelPostScorer implements PostScorer {
  readonly version: string;

  private constructor(readonly model: SentimentScorer) {
    this.version = model.version;
  }

  static async load(artifact: unknown): Promise<ModelPostScorer> {
    return new ModelPostScorer(await SentimentScorer.load(artifact as SentimentArtifact));
  }

  score(mined: MinedText): PostScore {
    const s = this.model.scoreMined(mined);
    return {
      compound: s.compound,
      label: s.label,
      ...(s.reason === undefined ? {} : { reason: s.reason }),
      modelVersion: this.version,
    };
  }
}

/** The worker's sentiment model (`hx.models` key `sentiment`), hot-swapped; VADER's rules until one arrives. */
export function sentimentSlot(): ModelSlot<PostScorer> {
  return new ModelSlot<PostScorer>({
    name: 'sentiment',
    fallback: rulesPostScorer,
    fallbackMeans: 'posts are scored by VADER-style rules (vader-rules-v1)',
    load: (artifact) => ModelPostScorer.load(artifact),
    dispose: (m) => {
      if (m instanceof ModelPostScorer) m.model.dispose();
    },
  });
}
