import { type Static, Type } from '@sinclair/typebox';

const HHMM = '^([01]\\d|2[0-3]):[0-5]\\d$';

/** What a campaign gives away, to whom, how often (`offer` on the campaign; the offer engine reads it). */
export const OfferSettingsSchema = Type.Object(
  {
    /** The coupon as the device shows it (and the push notification's text). */
    title: Type.String({ minLength: 1, maxLength: 120 }),
    body: Type.String({ maxLength: 500, default: '' }),
    /** Codes look like `PREFIX-XXXX-XXXX-XXXX` (60 random bits, Crockford base32). */
    codePrefix: Type.String({ pattern: '^[A-Z0-9]{1,8}$', default: 'HX' }),
    /** The product category the coupon is for: the model's affinity feature and the audience's. */
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** The coupon's life; it expires at min(issue + ttl, campaign end). */
    ttlSeconds: Type.Integer({ minimum: 5, maximum: 30 * 86_400, default: 3600 }),
    /** Coupons the campaign may issue in all. */
    budget: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    capPerDevice: Type.Integer({ minimum: 1, maximum: 10_000, default: 1 }),
    /** Coupons a device may get per local day across campaigns: the strictest candidate's applies. */
    capPerDevicePerDay: Type.Integer({ minimum: 1, maximum: 1000, default: 3 }),
    /** After a coupon of this campaign, the device waits this long for the next one (seconds). */
    couponGapSeconds: Type.Integer({ minimum: 0, maximum: 365 * 86_400, default: 86_400 }),
    /** No coupon in this daily window of the device's local time (may cross midnight). */
    quietHours: Type.Optional(
      Type.Object(
        { start: Type.String({ pattern: HHMM }), end: Type.String({ pattern: HHMM }) },
        { additionalProperties: false },
      ),
    ),
    /** `enter`: as the device enters the fence; `dwell`: once it stayed the campaign's dwell time. */
    trigger: Type.Union([Type.Literal('enter'), Type.Literal('dwell')], { default: 'enter' }),
    audience: Type.Optional(
      Type.Object(
        {
          /** The device has at least one of these tags (set at registration). */
          anyTags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 })),
          /** Devices with any of these tags are left out. */
          noneTags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 })),
          /** The device clicked at least this many products (of `category` when set). */
          minClicks: Type.Optional(Type.Integer({ minimum: 0 })),
          /** The device redeemed at least this many coupons before. */
          minRedemptions: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Below this propensity, the campaign is not offered (0 = always). */
    minScore: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
  },
  { additionalProperties: false },
);

export type OfferSettings = Static<typeof OfferSettingsSchema>;
