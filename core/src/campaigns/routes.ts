import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { cellToBoundary } from 'h3-js';
import { ERROR_RESPONSES as errors, type RouteOptions } from '../api/index.js';
import { HexcastError } from '../errors/index.js';
import { coverFence, FenceShapeSchema, validateFenceShape } from '../geo/index.js';
import { CampaignInputSchema, CampaignPatchSchema, CampaignSchema } from './campaign.js';
import type { CampaignPublisher } from './campaign-feed.js';
import type { CampaignRepository } from './campaign-repository.js';
import type { FenceCatalogue } from './fence-catalogue.js';
import { CampaignWarningSchema, campaignWarnings } from './fence-sanity.js';

export interface CampaignRoutesDeps {
  campaigns: CampaignRepository;
  publisher: CampaignPublisher;
  catalogue: FenceCatalogue;
}

/** Cells a cover preview draws at most. */
const MAX_COVER_CELLS = 5_000;

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** A created or changed campaign, with what looks wrong about it (accepted all the same). */
const CampaignWithWarnings = Type.Intersect([
  CampaignSchema,
  Type.Object({
    warnings: Type.Array(CampaignWarningSchema, {
      description:
        'accepted, but probably not meant: e.g. a fence far from its time zone (coordinates swapped?)',
    }),
  }),
]);

/** Campaign CRUD (marketer) and the live fence lookup. */
export function campaignRoutes(deps: CampaignRoutesDeps): FastifyPluginAsyncTypebox<RouteOptions> {
  return async (app, { limited }) => {
    const marketer = { ...limited, roles: ['marketer'] as const };

    app.post('/v1/campaigns', {
      config: marketer,
      schema: {
        summary:
          'Create a campaign: a fence ([lng, lat] GeoJSON or a circle), a schedule, an offer. A draft unless status is given (send "active" to go live at once); the answer carries warnings',
        tags: ['campaigns'],
        body: CampaignInputSchema,
        response: { 201: CampaignWithWarnings, ...errors },
      },
      handler: async (request, reply) => {
        const campaign = await deps.campaigns.create(request.body, request.identity!.id);
        await deps.publisher.publish(campaign);
        return reply.code(201).send({ ...campaign, warnings: campaignWarnings(campaign) });
      },
    });

    app.get('/v1/campaigns', {
      config: marketer,
      schema: {
        summary: 'Every campaign (ended ones hidden)',
        tags: ['campaigns'],
        response: { 200: Type.Object({ campaigns: Type.Array(CampaignSchema) }), ...errors },
      },
      handler: async () => ({ campaigns: await deps.campaigns.list() }),
    });

    app.get('/v1/campaigns/:id', {
      config: marketer,
      schema: {
        tags: ['campaigns'],
        summary: 'One campaign, as its latest version',
        params: IdParams,
        response: { 200: CampaignSchema, ...errors },
      },
      handler: async (request) => {
        const campaign = await deps.campaigns.get(request.params.id);
        if (campaign === null)
          throw new HexcastError('HX_CAMPAIGN_NOT_FOUND', `campaign ${request.params.id} not found`);
        return campaign;
      },
    });

    app.patch('/v1/campaigns/:id', {
      config: marketer,
      schema: {
        summary:
          'Change a campaign (a new version; If-Match: <version> refuses a stale edit); status active / paused / ended',
        tags: ['campaigns'],
        params: IdParams,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String({ pattern: '^"?\\d+"?$' })) }),
        body: CampaignPatchSchema,
        response: { 200: CampaignWithWarnings, ...errors },
      },
      handler: async (request) => {
        const ifMatch = request.headers['if-match'];
        const expected = ifMatch === undefined ? undefined : Number(String(ifMatch).replaceAll('"', ''));
        const campaign = await deps.campaigns.update(
          request.params.id,
          request.body,
          request.identity!.id,
          expected,
        );
        await deps.publisher.publish(campaign);
        return { ...campaign, warnings: campaignWarnings(campaign) };
      },
    });

    app.delete('/v1/campaigns/:id', {
      config: marketer,
      schema: {
        tags: ['campaigns'],
        summary: 'End a campaign and hide it (its history is kept)',
        params: IdParams,
        response: { 200: CampaignSchema, ...errors },
      },
      handler: async (request) => {
        const campaign = await deps.campaigns.remove(request.params.id, request.identity!.id);
        await deps.publisher.publish(campaign, true);
        return campaign;
      },
    });

    app.post('/v1/fences/cover', {
      config: marketer,
      schema: {
        tags: ['fences'],
        summary:
          'The H3 cells a fence would be indexed with, before saving it: interior cells (a point there is inside) and boundary cells (answered exactly), with their outlines',
        body: Type.Object({ fence: FenceShapeSchema }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            resolution: Type.Integer(),
            interior: Type.Integer(),
            boundary: Type.Integer(),
            /** Up to `MAX_COVER_CELLS` cells: `[cell, kind, [[lat, lng], …]]`. */
            cells: Type.Array(
              Type.Object({
                cell: Type.String(),
                kind: Type.Union([Type.Literal('interior'), Type.Literal('boundary')]),
                outline: Type.Array(Type.Array(Type.Number())),
              }),
            ),
            truncated: Type.Boolean(),
          }),
          ...errors,
        },
      },
      handler: async (request) => {
        validateFenceShape(request.body.fence);
        const cover = coverFence(request.body.fence);
        const all = [
          ...cover.interior.map((cell) => ({ cell, kind: 'interior' as const })),
          ...cover.boundary.map((cell) => ({ cell, kind: 'boundary' as const })),
        ];
        return {
          resolution: cover.resolution,
          interior: cover.interior.length,
          boundary: cover.boundary.length,
          cells: all.slice(0, MAX_COVER_CELLS).map((c) => ({ ...c, outline: cellToBoundary(c.cell) })),
          truncated: all.length > MAX_COVER_CELLS,
        };
      },
    });

    app.get('/v1/fences/lookup', {
      config: { ...limited, roles: ['marketer', 'care', 'reviewer'] as const },
      schema: {
        summary: 'The live fences containing a point',
        tags: ['fences'],
        querystring: Type.Object({
          lat: Type.Number({ minimum: -90, maximum: 90 }),
          lng: Type.Number({ minimum: -180, maximum: 180 }),
        }),
        response: {
          200: Type.Object({
            fences: Type.Array(
              Type.Object({ fenceId: Type.String(), campaignId: Type.String(), name: Type.String() }),
            ),
          }),
          ...errors,
        },
      },
      handler: async (request) => {
        const ids = deps.catalogue.lookup(request.query.lat, request.query.lng);
        return {
          fences: ids.map((id) => ({
            fenceId: id,
            campaignId: id,
            name: deps.catalogue.campaign(id)?.name ?? '',
          })),
        };
      },
    });
  };
}
