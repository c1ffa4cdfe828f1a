import { type Static, Type } from '@sinclair/typebox';
import { FenceShapeSchema } from '../geo/index.js';
import { OfferSettingsSchema } from './offer-settings.js';

export const CampaignStatusSchema = Type.Union([
  Type.Literal('draft'),
  Type.Literal('active'),
  Type.Literal('paused'),
  Type.Literal('ended'),
]);

/** What a marketer sends to create a campaign. */
export const CampaignInputSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    fence: FenceShapeSchema,
    dwellSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 300 }),
    /**
     * GPS jitter guard: an exit is raised only once the device has been outside this long, and a
     * re-entry within it after an exit raises nothing.
     */
    exitDebounceSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 60 }),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.String({ format: 'date-time' }),
    timezone: Type.String({ minLength: 1, maxLength: 64, default: 'UTC' }),
    /** Absent: `draft` — a draft raises nothing until it is made `active`. */
    status: Type.Optional(
      Type.Union(CampaignStatusSchema.anyOf, {
        description:
          'absent: draft (raises nothing until PATCHed to active); send "active" to go live at once',
      }),
    ),
    /** Without it the campaign only raises geo events (no coupon). */
    offer: Type.Optional(OfferSettingsSchema),
    /**
     * The brand the campaign promotes (a brand id of `HX_SENTIMENT_BRANDS`): its coupons pause
     * while the brand's posts spike negative.
     */
    brand: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
        description: "a sentiment brand id: coupons pause while the brand's posts spike negative",
      }),
    ),
  },
  { additionalProperties: false },
);

export const CampaignPatchSchema = Type.Partial(Type.Omit(CampaignInputSchema, []), {
  additionalProperties: false,
});

export const CampaignSchema = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  name: Type.String(),
  status: CampaignStatusSchema,
  fence: FenceShapeSchema,
  dwellSeconds: Type.Integer(),
  exitDebounceSeconds: Type.Integer(),
  startsAt: Type.String(),
  endsAt: Type.String(),
  timezone: Type.String(),
  offer: Type.Optional(OfferSettingsSchema),
  brand: Type.Optional(Type.String()),
  updatedAt: Type.String(),
});

export type CampaignStatus = Static<typeof CampaignStatusSchema>;
export type CampaignInput = Static<typeof CampaignInputSchema>;
export type CampaignPatch = Static<typeof CampaignPatchSchema>;
export type Campaign = Static<typeof CampaignSchema>;

/** True when a campaign's fence should be live in the geo index at `now`. */
export function isLive(campaign: Pick<Campaign, 'status' | 'startsAt' | 'endsAt'>, now: number): boolean {
  return (
    campaign.status === 'active' && Date.parse(campaign.startsAt) <= now && now < Date.parse(campaign.endsAt)
  );
}

/**
 * A campaign written before the two cooldowns were renamed (`cooldownSeconds` was both the geo
 * exit debounce and, under `offer`, the gap between coupons), as it is now. Old `campaign.changed`
 * records stay on the compacted topic until their campaign changes again.
 */
export function upgradeCampaign(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const { cooldownSeconds, ...rest } = raw as Record<string, unknown>;
  const campaign: Record<string, unknown> =
    cooldownSeconds === undefined || 'exitDebounceSeconds' in rest
      ? rest
      : { ...rest, exitDebounceSeconds: cooldownSeconds };
  const offer = campaign.offer as Record<string, unknown> | undefined;
  if (offer !== undefined && offer !== null && typeof offer === 'object' && 'cooldownSeconds' in offer) {
    const { cooldownSeconds: gap, ...offerRest } = offer;
    campaign.offer = 'couponGapSeconds' in offerRest ? offerRest : { ...offerRest, couponGapSeconds: gap };
  }
  return campaign;
}
