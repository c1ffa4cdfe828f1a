import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { HexcastError } from '../errors/index.js';
import type { Queryable, Records } from './records.js';

/**
 * PGlite allows one opener: a second process writing the same directory loses its writes (a key
 * made by `hexcast keys create` beside a running server never worked). A lock file holding the
 * opener's pid makes the second opener fail with a coded error instead; a lock left by a process
 * that is gone is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, 'hexcast.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid))
        throw new HexcastError(
          'HX_RECORDS_IN_USE',
          `the records in ${dataDir} are open in process ${pid} (a running hexcast dev?): stop it, or use its API (POST /v1/keys for a key)`,
          { details: { dataDir, pid } },
        );
      rmSync(file, { force: true }); // left by a process that is gone
    }
  }
  throw new HexcastError('HX_RECORDS_IN_USE', `could not lock ${dataDir}`, { details: { dataDir } });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Embedded Postgres (WASM). `dataDir` null keeps the database in memory. */
export class PgliteRecords implements Records {
  readonly engine = 'pglite';
  readonly #db: PGlite;
  readonly #unlock: () => void;

  private constructor(db: PGlite, unlock: () => void) {
    this.#db = db;
    this.#unlock = unlock;
  }

  static async open(dataDir: string | null): Promise<PgliteRecords> {
    if (dataDir === null) {
      const db = new PGlite();
      await db.waitReady;
      return new PgliteRecords(db, () => undefined);
    }
    mkdirSync(dataDir, { recursive: true });
    const unlock = lockDataDir(dataDir);
    try {
      const db = new PGlite(dataDir);
      await db.waitReady;
      return new PgliteRecords(db, unlock);
    } catch (error) {
      unlock();
      throw error;
    }
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
    try {
      await this.#db.close();
    } finally {
      this.#unlock();
    }
  }
}
