import { migrate, PgliteRecords, RecordsPostStore } from '@hexcast/core';
import { postStoreContract } from '../../contracts/post-store.contract.js';

postStoreContract('records (PGlite)', async () => {
  const records = await PgliteRecords.open(null);
  await migrate(records);
  return { impl: new RecordsPostStore(records), cleanup: () => records.close() };
});
