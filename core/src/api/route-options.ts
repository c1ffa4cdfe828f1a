import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** What every capability's routes plugin is registered with. */
export interface RouteOptions {
  /** The per-key rate limit: `config: { ...limited, roles: [...] }` on every route. */
  limited: { rateLimit: { max: number; timeWindow: number } };
}

export type ApiRoutes = FastifyPluginAsyncTypebox<RouteOptions>;
