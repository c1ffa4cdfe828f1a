// Models broadcast on hx.models and swapped atomically in every worker, by slot name: the offer
// engine's propensity model, the fraud model and its shadow candidate.
export { ArtifactParts, publishArtifact } from './artifact-parts.js';
export { MODEL_EVENTS, ModelPart, ModelPublished, ModelWithdrawn } from './events.js';
export { ModelCatalog, type PublishedModel } from './model-catalog.js';
export { ModelFeed, type ModelFeedOptions } from './model-feed.js';
export { ModelSlot, type ModelSlotOptions, type Versioned } from './model-slot.js';
