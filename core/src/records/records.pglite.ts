import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Queryable, Records } from './records.js';

/** Embedded Postgres (WASM). `dataDir` null keeps the database in memory. */
export class PgliteRecords implements Records {
  readonly engine = 'pglite';
  readonly #db: PGlite;

  private constructor(db: PGlite) {
    this.#db = db;
  }

  static async open(dataDir: string | null): Promise<PgliteRecords> {
    if (dataDir !== null) mkdirSync(dataDir, { recursive: true });
    const db = dataDir === null ? new PGlite() : new PGlite(dataDir);
    await db.waitReady;
    return new PgliteRecords(db);
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.#db.query<T>(sql, params)).rows;
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#db.transaction(async (tx) =>
      fn({ query: async <R>(sql: string, params: unknown[] = []) => (await tx.query<R>(sql, params)).rows }),
    );
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
