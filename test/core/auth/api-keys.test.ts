import { ApiKeyRepository, type Queryable } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

/** The api_keys table in a Map, counting reads: enough to watch what the repository asks. */
function table() {
  const rows = new Map<string, { role: string; name: string; secret_hash: string; revoked_at: unknown }>();
  let reads = 0;
  const db = {
    async query(sql: string, params: unknown[] = []) {
      if (sql.startsWith('INSERT')) {
        const [id, role, name, secret_hash] = params as string[];
        rows.set(id!, { role: role!, name: name!, secret_hash: secret_hash!, revoked_at: null });
        return [];
      }
      if (sql.startsWith('SELECT')) {
        reads++;
        const row = rows.get(params[0] as string);
        return row === undefined ? [] : [{ ...row }];
      }
      if (sql.startsWith('UPDATE')) {
        const row = rows.get(params[0] as string);
        if (row === undefined || row.revoked_at !== null) return [];
        row.revoked_at = new Date();
        return [{ id: params[0] }];
      }
      throw new Error(`unexpected ${sql}`);
    },
  } as unknown as Queryable;
  return { db, rows, reads: () => reads };
}

describe('API keys', () => {
  it('are read once per cache period; a key revoked elsewhere stops working when the period ends, one revoked here at once', async () => {
    let now = 0;
    const t = table();
    const keys = new ApiKeyRepository(t.db, 5000, () => now);
    const { token, identity } = await keys.create('site', 'shop');
    expect(await keys.authenticate(token)).toEqual(identity);
    expect(await keys.authenticate(token)).toEqual(identity);
    expect(t.reads()).toBe(1);
    expect(await keys.authenticate(`${token.slice(0, -1)}x`)).toBeNull(); // wrong secret: the cached row says no
    t.rows.get(identity.id)!.revoked_at = new Date(); // another process revokes it
    now = 4999;
    expect(await keys.authenticate(token)).toEqual(identity);
    now = 5000;
    expect(await keys.authenticate(token)).toBeNull();

    const second = await keys.create('site', 'other');
    expect(await keys.authenticate(second.token)).toEqual(second.identity);
    expect(await keys.revoke(second.identity.id)).toBe(true);
    expect(await keys.authenticate(second.token)).toBeNull();
    // Without a cache every request reads.
    const uncached = new ApiKeyRepository(t.db);
    const before = t.reads();
    await uncached.authenticate(second.token);
    await uncached.authenticate(second.token);
    expect(t.reads() - before).toBe(2);
  });

  it('requests that find a key missing or stale at once share one read of it; unknown ids and failed reads are not kept', async () => {
    let now = 0;
    const t = table();
    const keys = new ApiKeyRepository(t.db, 5000, () => now);
    const { token, identity } = await keys.create('site', 'shop');
    const burst = async (tok: string, n = 50) =>
      Promise.all(Array.from({ length: n }, () => keys.authenticate(tok)));
    // The first requests for a key, all in flight at once: one read.
    expect(await burst(token)).toEqual(Array(50).fill(identity));
    expect(t.reads()).toBe(1);
    // The period ends under load: one read again, not one per request in flight.
    now = 5000;
    expect(await burst(token)).toEqual(Array(50).fill(identity));
    expect(t.reads()).toBe(2);
    // An unknown id: the requests in flight share a read, and the next one reads again.
    const unknown = `hx_${'z'.repeat(12)}_${'A'.repeat(43)}`;
    expect(await burst(unknown)).toEqual(Array(50).fill(null));
    expect(t.reads()).toBe(3);
    expect(await keys.authenticate(unknown)).toBeNull();
    expect(t.reads()).toBe(4);
    // A read that fails fails its waiters and is not kept: the next request reads again.
    now = 10_000;
    const query = t.db.query;
    t.db.query = (async () => {
      throw new Error('connection lost');
    }) as typeof query;
    await expect(keys.authenticate(token)).rejects.toThrow('connection lost');
    t.db.query = query;
    expect(await keys.authenticate(token)).toEqual(identity);
    expect(t.reads()).toBe(5);
  });
});
