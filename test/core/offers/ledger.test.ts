import { PgliteRecords } from '@hexcast/core';
import { describe } from 'vitest';
import { ledgerContract } from '../../contracts/ledger.contract.js';
import { hasService, usePgRecords } from '../../helpers/services.js';

ledgerContract('pglite', async () => {
  const records = await PgliteRecords.open(null);
  return { records, cleanup: () => records.close() };
});

describe.skipIf(!hasService('postgres'))('postgres', () => {
  ledgerContract('postgres', () => usePgRecords(4));
});
