import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { type ApiKeyRepository, ROLES } from '../auth/index.js';
import { lazyRequestLogger } from '../http/index.js';
import { healthPlugin, type Logger, type Metrics, type Readiness } from '../observability/index.js';
import { apiKeyAuth } from './auth.js';
import { installErrorHandling } from './errors.js';
import { relaxDefaults } from './openapi.js';
import type { ApiRoutes } from './route-options.js';
import type { SessionSealer } from './session.js';
import { sessionRoutes } from './session-routes.js';

export type { ApiRoutes, RouteOptions } from './route-options.js';

export interface ApiDeps {
  logger: Logger;
  metrics: Metrics;
  keys: ApiKeyRepository;
  /** The capabilities' routes, registered behind key auth, the rate limit and coded errors. */
  routes: readonly ApiRoutes[];
  /** Requests per key per minute. */
  rateLimitPerMinute?: number;
  readiness?: Readiness;
  /** Console sign-in: seals session cookies; absent, only bearer keys authenticate. */
  sessions?: SessionSealer;
}

const ErrorSchema = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Unknown()),
});
/** The error responses routes declare (`response: { 200: …, ...ERROR_RESPONSES }`). */
export const ERROR_RESPONSES = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  429: ErrorSchema,
};
const errors = ERROR_RESPONSES;

/** The REST API shell (`hexcast api`): docs, health, API keys, rate limits; capabilities add routes. */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: 1024 * 1024,
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandling(app);
  // Request → response on the server, per route pattern (a client's own figures include its stalls).
  const requestSeconds = deps.metrics.histogram<'method' | 'route' | 'status'>({
    name: 'http_request_seconds',
    help: 'API requests, received → response sent, by method, route pattern and status class',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
  });
  app.addHook('onResponse', async (request, reply) => {
    requestSeconds.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: `${Math.floor(reply.statusCode / 100)}xx`,
      },
      reply.elapsedTime / 1000,
    );
  });
  // Who may call each route, in the OpenAPI document too (before swagger reads the routes).
  app.addHook('onRoute', (route) => {
    const roles = (route.config as { roles?: readonly string[] } | undefined)?.roles;
    const schema = (route.schema ?? {}) as Record<string, unknown>;
    const who =
      roles === undefined
        ? 'Public: no API key.'
        : `Roles: ${[...roles, 'admin'].join(', ')} — an API key as \`Authorization: Bearer\`, or the console's session cookie.`;
    route.schema = {
      ...schema,
      description: schema.description === undefined ? who : `${who}\n\n${schema.description as string}`,
    };
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Hexcast API',
        version: '0.1.0',
        description:
          'Campaigns and fences, devices, coupons, payments and fraud review, social sentiment and care, recommendations, the console and operations. Fences are GeoJSON: [lng, lat].',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transformObject: (document) =>
      // A copy: the route schemas the document was made from are the validators' too.
      relaxDefaults(
        structuredClone('openapiObject' in document ? document.openapiObject : document.swaggerObject),
      ),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(healthPlugin, {
    metrics: deps.metrics,
    ...(deps.readiness ? { readiness: deps.readiness } : {}),
  });
  await app.register(cookie);
  await app.register(apiKeyAuth, {
    keys: deps.keys,
    ...(deps.sessions === undefined ? {} : { sessions: deps.sessions }),
  });
  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    max: deps.rateLimitPerMinute ?? 600,
    timeWindow: 60_000,
    keyGenerator: (request) => request.identity?.id ?? request.ip,
  });
  const limited = { rateLimit: { max: deps.rateLimitPerMinute ?? 600, timeWindow: 60_000 } };

  app.post('/v1/keys', {
    config: { ...limited, roles: ['admin'] as const },
    schema: {
      summary: 'Create an API key for a role; the token is returned once',
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

  if (deps.sessions !== undefined)
    await app.register(sessionRoutes({ keys: deps.keys, sessions: deps.sessions }), { limited });
  for (const routes of deps.routes) await app.register(routes, { limited });
  return app;
}
