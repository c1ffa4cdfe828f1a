import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { type ApiKeyRepository, ROLES } from '../auth/api-keys.js';
import { CampaignInputSchema, CampaignPatchSchema, CampaignSchema } from '../campaigns/campaign.js';
import type { CampaignPublisher } from '../campaigns/campaign-feed.js';
import type { CampaignRepository } from '../campaigns/campaign-repository.js';
import type { DeviceRepository } from '../devices/device-repository.js';
import type { DeviceTokens } from '../devices/device-tokens.js';
import { HexcastError } from '../errors/index.js';
import type { FenceCatalogue } from '../geo/fence-catalogue.js';
import { healthPlugin, type Logger, type Metrics } from '../observability/index.js';
import type { OfferLedger } from '../offers/ledger.js';
import { checkTimeZone } from '../offers/quiet-hours.js';
import { couponRoutes } from '../offers/routes.js';
import { apiKeyAuth } from './auth.js';
import { installErrorHandling } from './errors.js';

export interface ApiDeps {
  logger: Logger;
  metrics: Metrics;
  keys: ApiKeyRepository;
  campaigns: CampaignRepository;
  devices: DeviceRepository;
  tokens: DeviceTokens;
  publisher: CampaignPublisher;
  catalogue: FenceCatalogue;
  ledger: OfferLedger;
  /** Requests per key per minute. */
  rateLimitPerMinute?: number;
  readiness?: Record<string, () => boolean | Promise<boolean>>;
}

const ErrorSchema = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Unknown()),
});
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  429: ErrorSchema,
};
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** The REST API for marketers, merchants and app backends (`hexcast api`). */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandling(app);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Hexcast API',
        version: '0.1.0',
        description: 'Campaigns, fences and device registration',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(healthPlugin, {
    metrics: deps.metrics,
    ...(deps.readiness ? { readiness: deps.readiness } : {}),
  });
  await app.register(apiKeyAuth, { keys: deps.keys });
  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    max: deps.rateLimitPerMinute ?? 600,
    timeWindow: 60_000,
    keyGenerator: (request) => request.identity?.id ?? request.ip,
  });
  const limited = { rateLimit: { max: deps.rateLimitPerMinute ?? 600, timeWindow: 60_000 } };
  const marketer = { ...limited, roles: ['marketer'] as const };

  app.post('/v1/campaigns', {
    config: marketer,
    schema: { tags: ['campaigns'], body: CampaignInputSchema, response: { 201: CampaignSchema, ...errors } },
    handler: async (request, reply) => {
      const campaign = await deps.campaigns.create(request.body, request.identity!.id);
      await deps.publisher.publish(campaign);
      return reply.code(201).send(campaign);
    },
  });

  app.get('/v1/campaigns', {
    config: marketer,
    schema: {
      tags: ['campaigns'],
      response: { 200: Type.Object({ campaigns: Type.Array(CampaignSchema) }), ...errors },
    },
    handler: async () => ({ campaigns: await deps.campaigns.list() }),
  });

  app.get('/v1/campaigns/:id', {
    config: marketer,
    schema: { tags: ['campaigns'], params: IdParams, response: { 200: CampaignSchema, ...errors } },
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
      tags: ['campaigns'],
      params: IdParams,
      headers: Type.Object({ 'if-match': Type.Optional(Type.String({ pattern: '^"?\\d+"?$' })) }),
      body: CampaignPatchSchema,
      response: { 200: CampaignSchema, ...errors },
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
      return campaign;
    },
  });

  app.delete('/v1/campaigns/:id', {
    config: marketer,
    schema: { tags: ['campaigns'], params: IdParams, response: { 200: CampaignSchema, ...errors } },
    handler: async (request) => {
      const campaign = await deps.campaigns.remove(request.params.id, request.identity!.id);
      await deps.publisher.publish(campaign, true);
      return campaign;
    },
  });

  app.get('/v1/fences/lookup', {
    config: { ...limited, roles: ['marketer', 'care', 'reviewer'] as const },
    schema: {
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
      const ids = deps.catalogue.index.lookupSync(request.query.lat, request.query.lng);
      return {
        fences: ids.map((id) => ({
          fenceId: id,
          campaignId: id,
          name: deps.catalogue.campaign(id)?.name ?? '',
        })),
      };
    },
  });

  app.post('/v1/keys', {
    config: { ...limited, roles: ['admin'] as const },
    schema: {
      tags: ['keys'],
      body: Type.Object(
        {
          role: Type.Union(ROLES.map((r) => Type.Literal(r))),
          name: Type.String({ minLength: 1, maxLength: 100 }),
        },
        { additionalProperties: false },
      ),
      response: {
        201: Type.Object({
          id: Type.String(),
          role: Type.String(),
          name: Type.String(),
          token: Type.String(),
        }),
        ...errors,
      },
    },
    handler: async (request, reply) => {
      const { identity, token } = await deps.keys.create(request.body.role, request.body.name);
      return reply.code(201).send({ ...identity, token });
    },
  });

  app.post('/v1/devices', {
    config: { ...limited, roles: ['merchant'] as const },
    schema: {
      tags: ['devices'],
      body: Type.Object(
        {
          deviceId: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }),
          region: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }),
          platform: Type.Union([
            Type.Literal('ios'),
            Type.Literal('android'),
            Type.Literal('web'),
            Type.Literal('node'),
          ]),
          /** IANA zone for quiet hours and daily caps (else the campaign's). */
          timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          tags: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32, uniqueItems: true }),
          ),
        },
        { additionalProperties: false },
      ),
      response: {
        201: Type.Object({ deviceId: Type.String(), token: Type.String(), expiresAt: Type.Integer() }),
        ...errors,
      },
    },
    handler: async (request, reply) => {
      const { deviceId, region, platform, timezone, tags } = request.body;
      if (timezone !== undefined) checkTimeZone(timezone, 'HX_DEVICE_INVALID');
      const device = await deps.devices.register(
        { id: deviceId, region, platform, timezone: timezone ?? null, tags: tags ?? [] },
        request.identity!.id,
      );
      const { token, expiresAt } = await deps.tokens.issue(device.id, device.region);
      return reply.code(201).send({ deviceId: device.id, token, expiresAt });
    },
  });

  await app.register(couponRoutes, {
    ledger: deps.ledger,
    campaigns: deps.campaigns,
    publisher: deps.publisher,
    limited,
    errors,
  });

  return app;
}
