export { type AlertStatus, alertPriority, type CareAlert, CareAlerts } from './alerts.js';
export { type Brand, BrandMatcher, BrandSchema, DEMO_BRANDS, parseBrands } from './brands.js';
export { BRAND_MOOD, type BrandMood, sentiment } from './capability.js';
export { graphPosts, PushedPost, webhookConnectorRoutes } from './connectors/webhooks.js';
export { brandRule, tweetPost, X_BACKOFF, type XBackoff, XStreamConnector } from './connectors/x-stream.js';
export { CareAlertRaised, PostScored, SENTIMENT_EVENTS, SocialPostReceived } from './events.js';
export { detectLanguage, type IngestOutcome, PostIngest } from './ingest.js';
export { influence, postKey, type RawPost, SocialPost } from './post.js';
export {
  type PostQuery,
  type PostScore,
  type PostStore,
  RecordsPostStore,
  type StoredPost,
} from './post-store.js';
export { MysqlPostStore, shardOf } from './post-store.mysql.js';
export { type SentimentRoutesDeps, sentimentRoutes } from './routes.js';
export { ModelPostScorer, type PostScorer, rulesPostScorer, sentimentSlot } from './scorer.js';
export { SentimentEngine, type SentimentEngineOptions } from './sentiment-engine.js';
export { type ScoredPost, SentimentSummary, type Spike, type SummaryView } from './summary.js';
