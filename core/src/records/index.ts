export { MIGRATIONS, type Migration, migrate } from './migrations.js';
export { openRecords } from './open.js';
export type { Queryable, Records } from './records.js';
export { PgRecords } from './records.pg.js';
export { PgliteRecords } from './records.pglite.js';
export { TurnBatcher } from './turn-batcher.js';
