export {
  type Campaign,
  type CampaignInput,
  CampaignInputSchema,
  type CampaignPatch,
  CampaignPatchSchema,
  CampaignSchema,
  type CampaignStatus,
  isLive,
} from './campaign.js';
export { CampaignFeed, type CampaignFeedOptions, CampaignPublisher } from './campaign-feed.js';
export { CampaignRepository } from './campaign-repository.js';
