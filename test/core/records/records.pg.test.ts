import { PgRecords } from '@hexcast/core';
import { describe } from 'vitest';
import { recordsContract } from '../../contracts/records.contract.js';
import { hasService, usePostgres } from '../../helpers/services.js';

describe.skipIf(!hasService('postgres'))('postgres', () => {
  recordsContract('postgres', async () => {
    const pg = await usePostgres();
    const impl = new PgRecords(pg.url, { schema: pg.schema, max: 2 });
    return {
      impl,
      cleanup: async () => {
        await impl.close();
        await pg.cleanup();
      },
    };
  });
});
