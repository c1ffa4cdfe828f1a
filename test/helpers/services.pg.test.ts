import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { hasService, usePostgres } from './services.js';

describe.skipIf(!hasService('postgres'))('postgres test fixture', () => {
  it('works in a fresh schema and drops it on cleanup', async () => {
    const fixture = await usePostgres();
    await fixture.pool.query('CREATE TABLE t (id int)');
    await fixture.pool.query('INSERT INTO t VALUES (1)');
    const { rows } = await fixture.pool.query('SELECT count(*)::int AS n FROM t');
    expect(rows[0].n).toBe(1);
    await fixture.cleanup();
    const client = new pg.Client({ connectionString: fixture.url });
    await client.connect();
    const gone = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
      fixture.schema,
    ]);
    await client.end();
    expect(gone.rowCount).toBe(0);
  });
});
