import { PgliteRecords } from '@hexcast/core';
import { recordsContract } from '../../contracts/records.contract.js';
import { tempDir } from '../../helpers/broker.js';

recordsContract('pglite (on disk)', async () => {
  const dir = tempDir('hx-pglite-');
  const impl = await PgliteRecords.open(dir.dir);
  return {
    impl,
    cleanup: async () => {
      await impl.close();
      dir.remove();
    },
  };
});
