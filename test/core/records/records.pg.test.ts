import { describe } from 'vitest';
import { recordsContract } from '../../contracts/records.contract.js';
import { hasService, usePgRecords } from '../../helpers/services.js';

describe.skipIf(!hasService('postgres'))('postgres', () => {
  recordsContract('postgres', async () => {
    const { records: impl, cleanup } = await usePgRecords();
    return { impl, cleanup };
  });
});
