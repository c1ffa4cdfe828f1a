import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeyIdentity, ApiKeyRepository, Role } from '../auth/index.js';
import { HexcastError } from '../errors/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    identity: ApiKeyIdentity | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on this route (admin always is); absent: public. */
    roles?: readonly Role[];
    /** The key may also come as `?key=` (navigator.sendBeacon cannot set headers). */
    keyInQuery?: boolean;
  }
}

/** `Authorization: Bearer <api key>` on every route that declares roles. */
export const apiKeyAuth = fp<{ keys: ApiKeyRepository }>(
  async (app: FastifyInstance, { keys }) => {
    app.decorateRequest('identity', null);
    app.addHook('onRequest', async (request: FastifyRequest) => {
      const roles = request.routeOptions.config.roles;
      if (roles === undefined) return;
      const header = request.headers.authorization ?? '';
      let token = /^Bearer\s/i.test(header) ? header.slice(7).trim() : '';
      if (token === '' && request.routeOptions.config.keyInQuery === true) {
        const key = (request.query as { key?: unknown } | undefined)?.key;
        if (typeof key === 'string') token = key;
      }
      if (token === '')
        throw new HexcastError('HX_AUTH_MISSING_KEY', 'an API key is required: Authorization: Bearer hx_…');
      // Garbage, unknown, revoked or wrong secret: one answer, so nothing tells which part was wrong.
      const identity = await keys.authenticate(token);
      if (identity === null) throw new HexcastError('HX_AUTH_INVALID_KEY', 'the API key is not valid');
      if (identity.role !== 'admin' && !roles.includes(identity.role)) {
        throw new HexcastError('HX_AUTH_FORBIDDEN', `role ${identity.role} may not use this route`, {
          details: { allowed: roles },
        });
      }
      request.identity = identity;
    });
  },
  { name: 'hexcast-api-key-auth' },
);
