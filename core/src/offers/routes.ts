import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type TSchema, Type } from '@sinclair/typebox';
import { type ApiRoutes, ERROR_RESPONSES, type RouteOptions } from '../api/index.js';
import { type CampaignPublisher, type CampaignRepository, isLive } from '../campaigns/index.js';
import { TOPICS } from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import { normaliseCode } from './coupon-code.js';
import { CouponRedeemed } from './events.js';
import type { OfferLedger, OfferRecord } from './ledger.js';

export interface CouponRoutesDeps {
  ledger: OfferLedger;
  campaigns: CampaignRepository;
  /** Its registry and producer send `coupon.redeemed`. */
  publisher: CampaignPublisher;
}

interface CouponRoutesOptions extends CouponRoutesDeps, RouteOptions {
  errors: Record<number, TSchema>;
}

/** Coupons (merchant: look up, redeem) and campaign stats (marketer). */
export function couponRoutes(deps: CouponRoutesDeps): ApiRoutes {
  return (app, { limited }) => couponPlugin(app, { ...deps, limited, errors: ERROR_RESPONSES });
}

const CodeParams = Type.Object({ code: Type.String({ minLength: 3, maxLength: 64 }) });

const CouponSchema = Type.Object({
  code: Type.String(),
  offerId: Type.String(),
  campaignId: Type.String(),
  status: Type.String({ description: 'issued (on its way), delivered, expired or rejected' }),
  expiresAt: Type.String(),
  redeemable: Type.Boolean(),
  redeemedAt: Type.Union([Type.String(), Type.Null()]),
});

const ExpiredSchema = Type.Object({
  total: Type.Integer(),
  transit: Type.Integer(),
  queue: Type.Integer(),
  'in-flight': Type.Integer(),
  push: Type.Integer(),
});

const StatsSchema = Type.Object({
  campaignId: Type.String(),
  live: Type.Boolean({ description: 'the campaign is active and within its schedule now' }),
  budget: Type.Union([Type.Integer(), Type.Null()]),
  budgetLeft: Type.Union([Type.Integer(), Type.Null()]),
  issued: Type.Integer(),
  pending: Type.Integer({ description: 'issued, no terminal receipt yet' }),
  delivered: Type.Integer(),
  expired: ExpiredSchema,
  rejected: Type.Object({ total: Type.Integer(), byReason: Type.Record(Type.String(), Type.Integer()) }),
  pushed: Type.Integer(),
  received: Type.Integer(),
  opened: Type.Integer(),
  redeemed: Type.Integer(),
  redemptionRate: Type.Union([Type.Number(), Type.Null()], { description: 'redeemed / delivered' }),
});

const CampaignParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const iso = (ms: number) => new Date(ms).toISOString();

function view(o: OfferRecord, now: number) {
  return {
    code: o.code,
    offerId: o.id,
    campaignId: o.campaignId,
    status: o.status,
    expiresAt: iso(o.expiresAt),
    redeemable: o.redeemedAt === null && o.expiresAt > now && o.status !== 'rejected',
    redeemedAt: o.redeemedAt === null ? null : iso(o.redeemedAt),
  };
}

/** Coupon lookup and redemption (merchant), campaign results (marketer). */
const couponPlugin: FastifyPluginAsyncTypebox<CouponRoutesOptions> = async (app, o) => {
  const merchant = { ...o.limited, roles: ['merchant'] as const };

  app.get('/v1/coupons/:code', {
    config: merchant,
    schema: {
      tags: ['coupons'],
      summary: "A coupon's state and whether it can be redeemed now",
      params: CodeParams,
      response: { 200: CouponSchema, ...o.errors },
    },
    handler: async (request) => {
      const offer = await o.ledger.byCode(normaliseCode(request.params.code));
      if (offer === null) throw new HexcastError('HX_COUPON_UNKNOWN', 'no coupon has this code');
      return view(offer, Date.now());
    },
  });

  app.post('/v1/coupons/:code/redeem', {
    config: merchant,
    schema: {
      summary: 'Redeem a coupon, once (Idempotency-Key makes a retry safe)',
      tags: ['coupons'],
      description:
        'Redeems a coupon once. Send `Idempotency-Key` to make retries safe: the same key answers the same (`replayed: true`); without one, a second call is refused.',
      params: CodeParams,
      headers: Type.Object({
        'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      }),
      response: {
        200: Type.Object({
          code: Type.String(),
          offerId: Type.String(),
          campaignId: Type.String(),
          redeemedAt: Type.String(),
          replayed: Type.Boolean({ description: 'true when this key had already redeemed it' }),
        }),
        ...o.errors,
        410: o.errors[404]!,
      },
    },
    handler: async (request) => {
      const key = request.headers['idempotency-key'] ?? randomUUID();
      const by = request.identity!.id;
      const { offer, first } = await o.ledger.redeem(normaliseCode(request.params.code), key, by, Date.now());
      const redeemedAt = offer.redeemedAt!;
      // Sent on repeats too: the id makes it once downstream, and a send lost after the commit is repaired.
      await o.publisher.producer.send(
        TOPICS.receipts,
        o.publisher.registry.create(CouponRedeemed, {
          id: `redeemed:${offer.id}`,
          key: offer.deviceId,
          ts: redeemedAt,
          source: { kind: 'api', id: 'coupons' },
          data: {
            offerId: offer.id,
            code: offer.code,
            campaignId: offer.campaignId,
            deviceId: offer.deviceId,
            redeemedAt,
            by,
          },
        }),
      );
      return {
        code: offer.code,
        offerId: offer.id,
        campaignId: offer.campaignId,
        redeemedAt: iso(redeemedAt),
        replayed: !first,
      };
    },
  });

  app.get('/v1/offers/stats', {
    config: { ...o.limited, roles: ['marketer'] as const },
    schema: {
      summary:
        'Every coupon issued since a time: issued, delivered, expired by where, rejected by reason, opened, redeemed',
      tags: ['campaigns'],
      description: 'Totals over every campaign for the offers issued since a time (default: all).',
      querystring: Type.Object({ since: Type.Optional(Type.String({ format: 'date-time' })) }),
      response: { 200: Type.Omit(StatsSchema, ['campaignId', 'live', 'budget', 'budgetLeft']), ...o.errors },
    },
    handler: async (request) => {
      const since = request.query.since === undefined ? 0 : Date.parse(request.query.since);
      const stats = await o.ledger.stats({ since });
      return { ...stats, redemptionRate: stats.delivered === 0 ? null : stats.redeemed / stats.delivered };
    },
  });

  const campaignOr404 = async (id: string) => {
    const campaign = await o.campaigns.get(id);
    if (campaign === null) throw new HexcastError('HX_CAMPAIGN_NOT_FOUND', `campaign ${id} not found`);
    return campaign;
  };

  app.get('/v1/campaigns/:id/stats/series', {
    config: { ...o.limited, roles: ['marketer'] as const },
    schema: {
      tags: ['campaigns'],
      summary:
        "A campaign's coupons over time: per bucket, issued, delivered, expired, rejected (at settling) and redeemed",
      params: CampaignParams,
      querystring: Type.Object({
        bucketSeconds: Type.Integer({ minimum: 10, maximum: 86_400, default: 60 }),
        since: Type.Optional(Type.String({ format: 'date-time', description: 'default: 24 hours ago' })),
      }),
      response: {
        200: Type.Object({
          bucketSeconds: Type.Integer(),
          points: Type.Array(
            Type.Object({
              at: Type.Integer(),
              issued: Type.Integer(),
              delivered: Type.Integer(),
              expired: Type.Integer(),
              rejected: Type.Integer(),
              redeemed: Type.Integer(),
            }),
          ),
        }),
        ...o.errors,
      },
    },
    handler: async (request) => {
      const campaign = await campaignOr404(request.params.id);
      const { bucketSeconds, since } = request.query;
      const from = since === undefined ? Date.now() - 24 * 3600_000 : Date.parse(since);
      return { bucketSeconds, points: await o.ledger.series(campaign.id, bucketSeconds, from) };
    },
  });

  app.get('/v1/campaigns/:id/stats', {
    config: { ...o.limited, roles: ['marketer'] as const },
    schema: {
      summary:
        "A campaign's coupons: issued, pending, delivered, expired by where, rejected by reason, pushed, received, opened, redeemed, budget left",
      tags: ['campaigns'],
      params: CampaignParams,
      response: { 200: StatsSchema, ...o.errors },
    },
    handler: async (request) => {
      const campaign = await campaignOr404(request.params.id);
      const stats = await o.ledger.stats(campaign.id);
      const budget = campaign.offer?.budget ?? null;
      return {
        campaignId: campaign.id,
        live: isLive(campaign, Date.now()),
        budget,
        budgetLeft: budget === null ? null : Math.max(0, budget - stats.issued),
        ...stats,
        redemptionRate: stats.delivered === 0 ? null : stats.redeemed / stats.delivered,
      };
    },
  });
};
