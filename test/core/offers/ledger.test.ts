import { PgliteRecords, PgRecords } from '@hexcast/core';
import { describe } from 'vitest';
import { ledgerContract } from '../../contracts/ledger.contract.js';
import { hasService, usePostgres } from '../../helpers/services.js';

ledgerContract('pglite', async () => {
  const records = await PgliteRecords.open(null);
  return { records, cleanup: () => records.close() };
});

describe.skipIf(!hasService('postgres'))('postgres', () => {
  ledgerContract('postgres', async () => {
    const pg = await usePostgres();
    const records = new PgRecords(pg.url, { schema: pg.schema, max: 4 });
    return {
      records,
      cleanup: async () => {
        await records.close();
        await pg.cleanup();
      },
    };
  });
});
