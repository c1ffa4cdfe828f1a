/** The console's one way to call the API: the session cookie, the CSRF token, coded errors, and sign-in again on 401. */

export interface Session {
  id: string;
  role: 'admin' | 'marketer' | 'care' | 'reviewer' | 'merchant';
  name: string;
  csrf: string | null;
  expiresAt: string | null;
}

/** An API error as the API sends it: `{ code, message, details? }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let csrf: string | null = null;
/** Set by the app: shows the sign-in over the current view and resolves once signed in again. */
let reauthenticate: (() => Promise<void>) | null = null;

export function onSessionLost(handler: () => Promise<void>): void {
  reauthenticate = handler;
}

async function parse(res: Response): Promise<unknown> {
  if (res.status === 204) return null;
  const text = await res.text();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toError(res: Response, body: unknown): ApiError {
  const b = (body ?? {}) as { code?: string; message?: string; details?: unknown };
  return new ApiError(res.status, b.code ?? `HTTP_${res.status}`, b.message ?? res.statusText, b.details);
}

const SESSION_CODES = new Set(['HX_AUTH_SESSION_EXPIRED', 'HX_AUTH_INVALID_KEY', 'HX_AUTH_MISSING_KEY']);

/** JSON in, JSON out. A lost session (401) opens the sign-in and retries the same request once signed in. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  for (;;) {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && csrf !== null) headers['x-csrf-token'] = csrf;
    const res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed = await parse(res);
    if (res.ok) return parsed as T;
    const error = toError(res, parsed);
    if (res.status === 401 && SESSION_CODES.has(error.code) && reauthenticate !== null) {
      await reauthenticate();
      continue;
    }
    throw error;
  }
}

export async function signIn(key: string): Promise<Session> {
  const res = await fetch('/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify({ key }),
  });
  const body = await parse(res);
  if (!res.ok) throw toError(res, body);
  const session = body as Session;
  csrf = session.csrf;
  return session;
}

/** The current session from the cookie, or null when there is none. */
export async function currentSession(): Promise<Session | null> {
  const res = await fetch('/v1/session', { credentials: 'same-origin' });
  if (res.status === 401) return null;
  const body = await parse(res);
  if (!res.ok) throw toError(res, body);
  const session = body as Session;
  csrf = session.csrf;
  return session;
}

export async function signOut(): Promise<void> {
  await fetch('/v1/session', { method: 'DELETE', credentials: 'same-origin' });
  csrf = null;
}

export function describe(error: unknown): { code: string; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: 'NETWORK', message: error.message };
  return { code: 'UNKNOWN', message: String(error) };
}
