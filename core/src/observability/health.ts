import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from './metrics.js';

export interface HealthOptions {
  metrics: Metrics;
  /**
   * Ready when every check resolves true; a check that throws counts as not ready. A function
   * is asked for the checks at each probe (components may join after the server starts).
   */
  readiness?: Readiness;
}

export type ReadinessChecks = Record<string, () => boolean | Promise<boolean>>;
export type Readiness = ReadinessChecks | (() => ReadinessChecks);

async function runChecks(readiness: Readiness | undefined): Promise<Record<string, boolean>> {
  const results: Record<string, boolean> = {};
  const checks = typeof readiness === 'function' ? readiness() : (readiness ?? {});
  for (const [name, check] of Object.entries(checks)) {
    try {
      results[name] = await check();
    } catch {
      results[name] = false;
    }
  }
  return results;
}

const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app: FastifyInstance, options) => {
  app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness: the process answers' } }, async () => ({
    status: 'ok',
  }));
  const readyz = { tags: ['ops'], summary: "Readiness: every component's check (503 until all pass)" };
  app.get('/readyz', { schema: readyz }, async (_request, reply) => {
    const checks = await runChecks(options.readiness);
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });
  const metrics = { tags: ['ops'], summary: 'Prometheus metrics (hexcast_*)' };
  app.get('/metrics', { schema: metrics }, async (_request, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.text();
  });
};

/** `/healthz`, `/readyz` and `/metrics` for every Hexcast service. */
export const healthPlugin = fp(healthRoutes, { name: 'hexcast-health', fastify: '5.x' });
