import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from './metrics.js';

export interface HealthOptions {
  metrics: Metrics;
  /** Ready when every check resolves true; a check that throws counts as not ready. */
  readiness?: Record<string, () => boolean | Promise<boolean>>;
}

async function runChecks(readiness: HealthOptions['readiness']): Promise<Record<string, boolean>> {
  const results: Record<string, boolean> = {};
  for (const [name, check] of Object.entries(readiness ?? {})) {
    try {
      results[name] = await check();
    } catch {
      results[name] = false;
    }
  }
  return results;
}

const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app: FastifyInstance, options) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks = await runChecks(options.readiness);
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.text();
  });
};

/** `/healthz`, `/readyz` and `/metrics` for every Hexcast service. */
export const healthPlugin = fp(healthRoutes, { name: 'hexcast-health', fastify: '5.x' });
