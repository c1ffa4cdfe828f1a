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
export { CampaignRepository } from './campaign-repository.js';
