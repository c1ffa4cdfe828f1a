import pg from 'pg';
import type { Queryable, Records } from './records.js';

/** PostgreSQL through a `pg` pool (`DATABASE_URL`). `schema` pins search_path (tests use one per suite). */
export class PgRecords implements Records {
  readonly engine = 'postgres';
  readonly #pool: pg.Pool;

  constructor(url: string, options: { schema?: string; max?: number } = {}) {
    this.#pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    this.#pool.on('error', () => undefined); // an idle client's error surfaces on its next query
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.#pool.query(sql, params)).rows as T[];
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <R>(sql: string, params: unknown[] = []) =>
          (await client.query(sql, params)).rows as R[],
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
