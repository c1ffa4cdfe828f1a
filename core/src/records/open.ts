import path from 'node:path';
import type { HexcastConfig } from '../config/index.js';
import { HexcastError, isHexcastError } from '../errors/index.js';
import type { Logger } from '../observability/index.js';
import { migrate } from './migrations.js';
import type { Records } from './records.js';
import { PgRecords } from './records.pg.js';
import { PgliteRecords } from './records.pglite.js';

/** Records: PostgreSQL when DATABASE_URL is set, else PGlite in `<dataDir>/records`; migrated. */
export async function openRecords(config: Readonly<HexcastConfig>, logger: Logger): Promise<Records> {
  let records: Records;
  try {
    records = config.databaseUrl
      ? new PgRecords(config.databaseUrl)
      : await PgliteRecords.open(path.resolve(config.dataDir, 'records'));
    const applied = await migrate(records);
    logger.info({ engine: records.engine, migrationsApplied: applied }, 'records ready');
  } catch (cause) {
    if (isHexcastError(cause)) throw cause;
    throw new HexcastError(
      'HX_RECORDS_UNAVAILABLE',
      `records database unavailable: ${(cause as Error).message}`,
      { cause },
    );
  }
  return records;
}
