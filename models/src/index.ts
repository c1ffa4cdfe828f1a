// @hexcast/models: the offer engine's propensity model — features, the heuristic fallback, the
// behaviour model that generates interaction history, TF.js training, evaluation (AUC) and the
// artifact format that `hx.models` carries. TF.js is loaded only when a model is trained or loaded.

export {
  loadLayers,
  type ModelArtifact,
  normalise,
  packModel,
  quantizeUint8,
  readArtifact,
  saveToMemory,
  standardisation,
  writeArtifact,
} from './artifact.js';
export {
  CATEGORIES,
  type Context,
  type Example,
  generateHistory,
  type HistoryOptions,
  type LatentUser,
  latentUser,
  pick,
  randomContext,
  redeemLogit,
  sigmoid,
  splitByUser,
} from './behaviour.js';
export { auc, averagePrecision, recallAtFpr, stratifiedFoldOf } from './evaluate.js';
export {
  affinity,
  CATEGORY_PRIOR,
  FEATURES,
  featureVector,
  type PropensityInput,
  redemptionRate,
} from './features.js';
export {
  type Address,
  type Attack,
  generatePayments,
  type LabelledPayment,
  type PaymentRecord,
  type PaymentsOptions,
  splitByDay,
} from './fraud/payments.js';
export {
  compareTrainers,
  FRAUD_TRAINERS,
  type LabelledRows,
  parseTransactionsCsv,
  scoreReport,
  stratifiedFolds,
  type TrainerScores,
} from './fraud/transactions-csv.js';
export {
  ARTIFACT_FORMAT,
  evaluateScorer,
  type PropensityArtifact,
  type PropensityMetadata,
  readPropensityArtifact,
  TfPropensityScorer,
  type TrainOptions,
  trainPropensity,
} from './propensity-model.js';
export { gamma, normal, poisson, seededRandom } from './random.js';
export * from './recs/index.js';
export { heuristicScore, heuristicScorer, type PropensityScorer } from './scorer.js';
export * from './sentiment/index.js';
export {
  TABULAR_FORMAT,
  type TabularArtifact,
  type TabularMetadata,
  TabularScorer,
  type TabularTrainOptions,
  trainTabular,
} from './tabular.js';
export { loadTf } from './tf.js';
