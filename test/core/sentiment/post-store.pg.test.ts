import { migrate, RecordsPostStore } from '@hexcast/core';
import { describe } from 'vitest';
import { postStoreContract } from '../../contracts/post-store.contract.js';
import { hasService, usePgRecords } from '../../helpers/services.js';

describe.skipIf(!hasService('postgres'))('postgres', () => {
  postStoreContract('records (PostgreSQL)', async () => {
    const { records, cleanup } = await usePgRecords();
    await migrate(records);
    return { impl: new RecordsPostStore(records), cleanup };
  });
});
