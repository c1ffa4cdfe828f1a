// Product recommendations: the catalogue (hx.products), clickstream from apps (hx.clicks) and
// websites (POST /v1/events), session state with a time to live, the item-to-item and session
// lists from the `recs` model on hx.models, their union stored, published and pushed to the app.
// docs/recommendations.md.

export { LoadedRecs, recommendations, recsSlot } from './capability.js';
export { Catalogue, type CatalogueProduct } from './catalogue.js';
export { readClickSessions } from './click-history.js';
export { Product, ProductUpserted, RECS_EVENTS, RecommendationsUpdated, RecommendedItem } from './events.js';
export { NearbyCells } from './nearby.js';
export { RecsEngine, type RecsEngineOptions, type SessionRanker } from './recs-engine.js';
export type { SessionClick, SessionStore, SessionStoreOptions, StoredList } from './session-store.js';
export { MemorySessionStore } from './session-store.memory.js';
export { RedisSessionStore } from './session-store.redis.js';
