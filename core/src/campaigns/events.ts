import { Type } from '@sinclair/typebox';
import { defineEvent, type EventType } from '../envelope/index.js';
import { CampaignSchema, upgradeCampaign } from './campaign.js';

/** A campaign as it is now (compacted `hx.campaigns`, key = campaign id). */
export const CampaignChanged = defineEvent(
  'campaign.changed',
  Type.Object({ campaign: CampaignSchema, deleted: Type.Boolean() }, { additionalProperties: false }),
  {
    upcast: (data) =>
      typeof data === 'object' && data !== null && 'campaign' in data
        ? { ...data, campaign: upgradeCampaign(data.campaign) }
        : data,
  },
);

export const CAMPAIGN_EVENTS: readonly EventType[] = [CampaignChanged];
