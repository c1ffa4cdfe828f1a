import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../records/index.js';

export const ROLES = ['admin', 'marketer', 'reviewer', 'care', 'merchant', 'site'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiKeyIdentity {
  id: string;
  role: Role;
  name: string;
}

const TOKEN = /^hx_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/**
 * API keys: `hx_<id>_<secret>`. Only SHA-256 of the 256-bit random secret is stored — a slow
 * password hash buys nothing for a secret with that much entropy, and verification stays cheap.
 */
interface KeyRow {
  role: Role;
  name: string;
  secret_hash: string;
  revoked_at: unknown;
}

export class ApiKeyRepository {
  /**
   * Reads of the last `cacheMs`, by key id, from the moment each began: every request that finds a
   * key's row missing or stale while one read of it is on its way waits for that read. At each
   * expiry a busy key is read once, not once per request in flight (at 2,000 requests a second the
   * reads piled up on the event loop for ~50 ms). Unknown ids and failed reads are not kept.
   */
  readonly #cache = new Map<string, { row: Promise<KeyRow | undefined>; until: number }>();

  /** `cacheMs`: how long a key's row is trusted before it is read again (0: never cached). */
  constructor(
    readonly db: Queryable,
    readonly cacheMs = 0,
    readonly clock: () => number = Date.now,
  ) {}

  #row(id: string): Promise<KeyRow | undefined> {
    const now = this.clock();
    const hit = this.#cache.get(id);
    if (hit !== undefined && hit.until > now) return hit.row;
    const read = this.db
      .query<KeyRow>('SELECT role, name, secret_hash, revoked_at FROM api_keys WHERE id = $1', [id])
      .then((rows) => rows[0]);
    if (this.cacheMs <= 0) return read;
    if (this.#cache.size >= 10_000) this.#cache.clear();
    const entry = { row: read, until: now + this.cacheMs };
    this.#cache.set(id, entry);
    const forget = () => {
      if (this.#cache.get(id) === entry) this.#cache.delete(id);
    };
    read.then((row) => {
      if (row === undefined) forget();
    }, forget);
    return read;
  }

  async create(role: Role, name: string): Promise<{ identity: ApiKeyIdentity; token: string }> {
    const id = randomBytes(8).toString('hex').slice(0, 12);
    const secret = randomBytes(32).toString('base64url');
    await this.db.query('INSERT INTO api_keys (id, role, name, secret_hash) VALUES ($1, $2, $3, $4)', [
      id,
      role,
      name,
      hash(secret),
    ]);
    return { identity: { id, role, name }, token: `hx_${id}_${secret}` };
  }

  /** The key's identity, or null for a malformed, unknown, wrong or revoked token. */
  async authenticate(token: string): Promise<ApiKeyIdentity | null> {
    const match = TOKEN.exec(token);
    if (match === null) return null;
    const [, id, secret] = match as unknown as [string, string, string];
    const row = await this.#row(id);
    if (row === undefined || row.revoked_at !== null) return null;
    const expected = Buffer.from(row.secret_hash, 'hex');
    const actual = Buffer.from(hash(secret), 'hex');
    return expected.length === actual.length && timingSafeEqual(expected, actual)
      ? { id, role: row.role, name: row.name }
      : null;
  }

  async revoke(id: string): Promise<boolean> {
    this.#cache.delete(id);
    const rows = await this.db.query(
      'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id',
      [id],
    );
    return rows.length === 1;
  }
}

function hash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
