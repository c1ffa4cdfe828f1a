import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PgliteRecords } from '@hexcast/core';
import { describe, expect, it } from 'vitest';
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

describe('PGlite has one opener', () => {
  it('a second opener of the same directory gets HX_RECORDS_IN_USE; after close, or after a dead owner, it opens', async () => {
    const dir = tempDir('hx-pglite-lock-');
    const first = await PgliteRecords.open(dir.dir);
    await expect(PgliteRecords.open(dir.dir)).rejects.toMatchObject({
      code: 'HX_RECORDS_IN_USE',
      details: { pid: process.pid },
    });
    await first.close();
    const second = await PgliteRecords.open(dir.dir);
    await second.close();
    // A lock left by a process that is gone is taken over.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(path.join(dir.dir, 'hexcast.lock'), String(dead));
    const third = await PgliteRecords.open(dir.dir);
    await third.close();
    dir.remove();
  });
});
