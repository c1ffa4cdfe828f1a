import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeyIdentity, ApiKeyRepository, Role } from '../auth/index.js';
import { HexcastError } from '../errors/index.js';
import {
  CSRF_HEADER,
  csrfMatches,
  SESSION_COOKIE,
  type SessionClaims,
  type SessionSealer,
} from './session.js';

declare module 'fastify' {
  interface FastifyRequest {
    identity: ApiKeyIdentity | null;
    /** Set when the request was authenticated by the console's session cookie. */
    session: SessionClaims | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on this route (admin always is); absent: public. */
    roles?: readonly Role[];
    /** The key may also come as `?key=` (navigator.sendBeacon cannot set headers). */
    keyInQuery?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * `Authorization: Bearer <api key>` on every route that declares roles — or, from the console, the
 * session cookie, with the CSRF token on every request that changes state.
 */
export const apiKeyAuth = fp<{ keys: ApiKeyRepository; sessions?: SessionSealer }>(
  async (app: FastifyInstance, { keys, sessions }) => {
    app.decorateRequest('identity', null);
    app.decorateRequest('session', null);
    app.addHook('onRequest', async (request: FastifyRequest) => {
      const roles = request.routeOptions.config.roles;
      if (roles === undefined) return;
      const header = request.headers.authorization ?? '';
      let token = /^Bearer\s/i.test(header) ? header.slice(7).trim() : '';
      if (token === '' && request.routeOptions.config.keyInQuery === true) {
        const key = (request.query as { key?: unknown } | undefined)?.key;
        if (typeof key === 'string') token = key;
      }
      const cookie = request.cookies?.[SESSION_COOKIE];
      if (token === '' && sessions !== undefined && cookie !== undefined && cookie !== '') {
        const opened = await sessions.open(cookie);
        if (!opened.ok) {
          throw new HexcastError(
            'HX_AUTH_SESSION_EXPIRED',
            opened.reason === 'expired'
              ? 'the console session has expired: sign in again'
              : 'the console session is no longer valid: sign in again',
          );
        }
        if (!SAFE_METHODS.has(request.method)) {
          const sent = request.headers[CSRF_HEADER];
          if (!csrfMatches(typeof sent === 'string' ? sent : undefined, opened.claims.csrf)) {
            throw new HexcastError(
              'HX_AUTH_CSRF_INVALID',
              `a request made with the session cookie must carry its ${CSRF_HEADER} header`,
            );
          }
        }
        token = opened.claims.token;
        request.session = opened.claims;
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
