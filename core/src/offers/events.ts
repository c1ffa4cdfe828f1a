import { Type } from '@sinclair/typebox';
import { defineEvent, type EventType } from '../envelope/index.js';
import { MODEL_EVENTS } from '../model-feed/index.js';

const DeviceId = Type.String({ minLength: 1, maxLength: 128 });

/** A coupon issued by the offer engine (`hx.offers`, key = device id; envelope id = offer id). */
export const OfferIssued = defineEvent(
  'offer.issued',
  Type.Object(
    {
      offerId: Type.String({ minLength: 1, maxLength: 64 }),
      code: Type.String({ minLength: 1, maxLength: 64 }),
      campaignId: Type.String({ minLength: 1 }),
      deviceId: DeviceId,
      region: Type.String({ minLength: 1, maxLength: 32 }),
      decisionId: Type.String({ minLength: 1, maxLength: 64 }),
      /** The geo event that triggered it. */
      triggerId: Type.String({ minLength: 1, maxLength: 64 }),
      /** The triggering location fix's event time. */
      triggeredAt: Type.Integer({ minimum: 0 }),
      issuedAt: Type.Integer({ minimum: 0 }),
      expiresAt: Type.Integer({ minimum: 0 }),
      score: Type.Number(),
      /** `heuristic-v1` or the model version that ranked it. */
      scorer: Type.String({ minLength: 1, maxLength: 128 }),
      /** The other candidates, in rank order, and why each was passed over. */
      passedOver: Type.Array(Type.Object({ campaignId: Type.String(), reason: Type.String() })),
    },
    { additionalProperties: false },
  ),
);

/** A merchant redeemed a coupon (`hx.receipts`, key = device id; envelope id = `redeemed:<offerId>`). */
export const CouponRedeemed = defineEvent(
  'coupon.redeemed',
  Type.Object(
    {
      offerId: Type.String({ minLength: 1, maxLength: 64 }),
      code: Type.String({ minLength: 1, maxLength: 64 }),
      campaignId: Type.String({ minLength: 1 }),
      deviceId: DeviceId,
      redeemedAt: Type.Integer({ minimum: 0 }),
      /** The merchant API key. */
      by: Type.String({ minLength: 1, maxLength: 64 }),
    },
    { additionalProperties: false },
  ),
);

export const OFFER_EVENTS: readonly EventType[] = [OfferIssued, CouponRedeemed, ...MODEL_EVENTS];
