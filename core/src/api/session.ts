import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';

/** The console's cookie: an API key sealed with the API's session secret. */
export const SESSION_COOKIE = 'hx_session';
/** The header a cookie-authenticated request that changes state must carry. */
export const CSRF_HEADER = 'x-csrf-token';

export interface SessionClaims {
  /** The API key the session was opened with: checked again on every request (revocation holds). */
  token: string;
  /** The synchronizer token a state-changing request must echo in `X-CSRF-Token`. */
  csrf: string;
  /** Epoch ms. */
  expiresAt: number;
}

export type OpenedSession =
  | { ok: true; claims: SessionClaims }
  | { ok: false; reason: 'expired' | 'invalid' };

/**
 * Console sessions without server-side state: the cookie is a JWE (dir + A256GCM) of the key, a
 * CSRF token and the expiry, so any API process holding the secret can open it and nobody else
 * can read or forge it. The key is re-authenticated on each request, so revoking it ends the
 * session within the key cache's time.
 */
export class SessionSealer {
  readonly #key: Uint8Array;
  readonly #ttlMs: number;
  readonly #clock: () => number;

  constructor(secret: string, ttlMs: number, clock: () => number = Date.now) {
    this.#key = createHash('sha256').update(`hexcast-console-session:${secret}`).digest();
    this.#ttlMs = ttlMs;
    this.#clock = clock;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  async seal(token: string): Promise<{ cookie: string; claims: SessionClaims }> {
    const claims: SessionClaims = {
      token,
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: this.#clock() + this.#ttlMs,
    };
    const cookie = await new EncryptJWT({ t: claims.token, c: claims.csrf, x: claims.expiresAt })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(this.#key);
    return { cookie, claims };
  }

  async open(cookie: string): Promise<OpenedSession> {
    try {
      const { payload } = await jwtDecrypt(cookie, this.#key);
      const { t, c, x } = payload as { t?: unknown; c?: unknown; x?: unknown };
      if (typeof t !== 'string' || typeof c !== 'string' || typeof x !== 'number') {
        return { ok: false, reason: 'invalid' };
      }
      if (x <= this.#clock()) return { ok: false, reason: 'expired' };
      return { ok: true, claims: { token: t, csrf: c, expiresAt: x } };
    } catch {
      return { ok: false, reason: 'invalid' };
    }
  }
}

/** Constant-time comparison of the CSRF header with the session's token. */
export function csrfMatches(sent: string | undefined, expected: string): boolean {
  if (sent === undefined) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
