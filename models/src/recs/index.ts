export {
  clickCounts,
  ItemKnn,
  type ItemNeighbours,
  MostPopular,
  SequentialRules,
  SessionKnn,
  type SessionKnnOptions,
} from './baselines.js';
export { BlendedRecommender, learnBlendWeights } from './blend.js';
export { evaluateNextClick, type NextClickReport } from './evaluate.js';
export {
  compareRecs,
  HEXCAST_KNN,
  RECS_FORMAT,
  type Recommended,
  type RecsArtifact,
  type RecsComparison,
  RecsModel,
  type RecsTrainOptions,
  type SessionRanking,
  trainRecs,
} from './model.js';
export { ItemScores, type NextClickRecommender } from './scores.js';
export { type ScoringPoolEvent, type ScoringPoolOptions, SessionScoringPool } from './scoring-pool.js';
export {
  SessionNet,
  type SessionNetOptions,
  type SessionNetWeights,
  trainSessionNet,
} from './session-net.js';
export {
  type ClickSession,
  ItemVocabulary,
  knownItemSessions,
  parseSessionsTsv,
  type SessionCorpus,
  sessionCorpus,
  splitByTime,
} from './sessions.js';
