export {
  compareSentiment,
  crossValidateSentiment,
  SENTIMENT_SCORERS,
  SENTIMENT_TRAINERS,
  type SentimentReport,
  type SentimentScorerName,
} from './compare.js';
export {
  classOf,
  type LabelledPost,
  NEGATIVE_REASONS,
  type NegativeReason,
  parseSentimentFile,
  SENTIMENT_CLASSES,
  type SentimentClass,
} from './corpus.js';
export { DENSE_FEATURES } from './features.js';
export { BOOSTERS, isNegation, NEGATIONS, vaderLexicon } from './lexicon.js';
export { type ClassReport, classReport, pearson } from './metrics.js';
export {
  SENTIMENT_FORMAT,
  type SentimentArtifact,
  type SentimentExample,
  type SentimentMetadata,
  type SentimentScore,
  SentimentScorer,
  type SentimentTrainOptions,
  trainSentiment,
} from './model.js';
export { ruleReason } from './reasons.js';
export { type MinedText, mineText, mineWords, type TextWords } from './text.js';
export { type VaderScores, vaderScores, vaderTokens } from './vader.js';
