import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRepository } from '../auth/index.js';
import { ROLES } from '../auth/index.js';
import { HexcastError } from '../errors/index.js';
import type { ApiRoutes } from './route-options.js';
import { SESSION_COOKIE, type SessionSealer } from './session.js';

/** Roles that may sign in to the console (a site key only sends clickstream). */
const CONSOLE_ROLES = ROLES.filter((r) => r !== 'site');

const SessionSchema = Type.Object({
  id: Type.String(),
  role: Type.String(),
  name: Type.String(),
  /** Echo in `X-CSRF-Token` on every POST/PUT/PATCH/DELETE made with the cookie; null when signed in with a bearer key. */
  csrf: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
});

function cookieOptions(request: FastifyRequest, maxAgeMs: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: request.protocol === 'https',
    maxAge: Math.floor(maxAgeMs / 1000),
  };
}

/** `POST/GET/DELETE /v1/session`: the console's sign-in (an API key → a sealed, httpOnly cookie), who am I, sign-out. */
export function sessionRoutes(deps: { keys: ApiKeyRepository; sessions: SessionSealer }): ApiRoutes {
  return async (app, { limited }) => {
    app.post('/v1/session', {
      // Public (it is the sign-in), rate-limited per address.
      config: { ...limited },
      schema: {
        tags: ['session'],
        summary:
          'Sign in to the console: the API key is exchanged for an httpOnly, SameSite=Strict session cookie and a CSRF token',
        security: [],
        body: Type.Object(
          { key: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 200: SessionSchema },
      },
      handler: async (request, reply: FastifyReply) => {
        const key = request.body.key.trim();
        const identity = await deps.keys.authenticate(key);
        if (identity === null) throw new HexcastError('HX_AUTH_INVALID_KEY', 'the API key is not valid');
        if (!(CONSOLE_ROLES as readonly string[]).includes(identity.role)) {
          throw new HexcastError(
            'HX_AUTH_FORBIDDEN',
            `a ${identity.role} key cannot sign in to the console`,
            {
              details: { allowed: CONSOLE_ROLES },
            },
          );
        }
        const { cookie, claims } = await deps.sessions.seal(key);
        reply.setCookie(SESSION_COOKIE, cookie, cookieOptions(request, deps.sessions.ttlMs));
        return { ...identity, csrf: claims.csrf, expiresAt: new Date(claims.expiresAt).toISOString() };
      },
    });

    app.get('/v1/session', {
      config: { ...limited, roles: CONSOLE_ROLES },
      schema: {
        tags: ['session'],
        summary: 'Who is signed in, and the CSRF token',
        response: { 200: SessionSchema },
      },
      handler: async (request) => ({
        ...request.identity!,
        csrf: request.session?.csrf ?? null,
        expiresAt: request.session === null ? null : new Date(request.session.expiresAt).toISOString(),
      }),
    });

    app.delete('/v1/session', {
      config: { ...limited },
      schema: { tags: ['session'], summary: 'Sign out: clears the session cookie', security: [] },
      handler: async (_request, reply) => {
        reply.clearCookie(SESSION_COOKIE, { path: '/', sameSite: 'strict', httpOnly: true });
        return reply.code(204).send();
      },
    });
  };
}
