import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi, SessionSealer } from '../api/index.js';
import { ApiKeyRepository } from '../auth/index.js';
import type { LocalBus } from '../bus/index.js';
import { dataDirSecret, type HexcastConfig } from '../config/index.js';
import { listenOn } from '../http/index.js';
import { type Component, readinessChecks } from '../lifecycle/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { Queryable } from '../records/index.js';
import { type Capability, ServiceContext } from '../runtime/index.js';
import { CAPABILITIES } from './capabilities.js';

/** The process's context, with every capability's events and ports. */
export function serviceContext(
  config: Readonly<HexcastConfig>,
  logger: Logger,
  metrics: Metrics,
  embeddedBootstrap?: string,
  local?: LocalBus,
): ServiceContext {
  return new ServiceContext(config, logger, metrics, CAPABILITIES, embeddedBootstrap, local);
}

export function capability(name: string): Capability | undefined {
  return CAPABILITIES.find((c) => c.name === name && c.worker !== undefined);
}

export const WORKER_NAMES = CAPABILITIES.filter((c) => c.worker !== undefined).map((c) => c.name);

/**
 * The REST API: the shell plus every capability's routes, on HX_HTTP_PORT (build it before
 * `ctx.foundation()`: the routes use ports). `/readyz` reports
 * `readiness()` — the components of the whole process, so that in `hexcast dev` the API is ready
 * only once the workers' feeds have caught up.
 */
export function apiComponent(ctx: ServiceContext, readiness: () => Iterable<Component>): Component {
  let app: FastifyInstance | undefined;
  const routes = CAPABILITIES.flatMap((c) => (c.routes === undefined ? [] : [c.routes(ctx)]));
  return {
    name: 'api',
    start: async () => {
      const records = await ctx.records();
      const keys = new ApiKeyRepository(records, ctx.config.auth.keyCacheMs);
      await bootstrapAdminKey(ctx, keys, records);
      const checks = () => readinessChecks(readiness());
      app = await buildApi({
        logger: ctx.logger,
        metrics: ctx.metrics,
        keys,
        routes,
        rateLimitPerMinute: ctx.config.auth.rateLimitPerMinute,
        readiness: checks,
        sessions: new SessionSealer(
          dataDirSecret(ctx.config, ctx.config.auth.sessionSecret, 'HX_SESSION_SECRET', 'session.secret'),
          ctx.config.auth.sessionTtlMs,
        ),
      });
      const { host, port } = ctx.config.http;
      const server = app;
      const address = await listenOn(port, 'HX_HTTP_PORT', () => server.listen({ host, port }));
      ctx.addresses.set('api', address);
      ctx.logger.info({ address, docs: `${address}/docs` }, 'api listening');
    },
    close: async () => {
      await app?.close();
    },
  };
}

/**
 * A fresh install has no API key, and PGlite cannot be shared with a second process: the first
 * start creates an admin key and writes it to `<dataDir>/admin.key` (mode 600). Its path is
 * logged, never the key.
 */
async function bootstrapAdminKey(
  ctx: ServiceContext,
  keys: ApiKeyRepository,
  records: Queryable,
): Promise<void> {
  const [{ n }] = (await records.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys')) as [
    { n: number },
  ];
  if (n > 0) return;
  const { token } = await keys.create('admin', 'bootstrap');
  const file = path.resolve(ctx.config.dataDir, 'admin.key');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  ctx.logger.warn({ file }, 'created the first admin API key; create others with POST /v1/keys');
}
