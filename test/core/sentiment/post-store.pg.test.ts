import { migrate, PgRecords, RecordsPostStore } from '@hexcast/core';
import { describe } from 'vitest';
import { postStoreContract } from '../../contracts/post-store.contract.js';
import { hasService, usePostgres } from '../../helpers/services.js';

describe.skipIf(!hasService('postgres'))('postgres', () => {
  postStoreContract('records (PostgreSQL)', async () => {
    const pg = await usePostgres();
    const records = new PgRecords(pg.url, { schema: pg.schema, max: 2 });
    await migrate(records);
    return {
      impl: new RecordsPostStore(records),
      cleanup: async () => {
        await records.close();
        await pg.cleanup();
      },
    };
  });
});
