export {
  type Campaign,
  type CampaignInput,
  CampaignInputSchema,
  type CampaignPatch,
  CampaignPatchSchema,
  CampaignSchema,
  type CampaignStatus,
  isLive,
  upgradeCampaign,
} from './campaign.js';
export { CampaignFeed, type CampaignFeedOptions, CampaignPublisher } from './campaign-feed.js';
export { CampaignRepository } from './campaign-repository.js';
export { campaigns, FENCE_CATALOGUE } from './capability.js';
export { CAMPAIGN_EVENTS, CampaignChanged } from './events.js';
export { FenceCatalogue } from './fence-catalogue.js';
export { type OfferSettings, OfferSettingsSchema } from './offer-settings.js';
export { type CampaignRoutesDeps, campaignRoutes } from './routes.js';
