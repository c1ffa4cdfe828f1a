import { migrate, OfferLedger, PgliteRecords, type Records } from '@hexcast/core';
import { describe, expect, it } from 'vitest';
import { ledgerContract } from '../../contracts/ledger.contract.js';
import { hasService, usePgRecords } from '../../helpers/services.js';

ledgerContract('pglite', async () => {
  const records = await PgliteRecords.open(null);
  return { records, cleanup: () => records.close() };
});

describe.skipIf(!hasService('postgres'))('postgres', () => {
  ledgerContract('postgres', () => usePgRecords(4));
});

describe('OfferLedger group commit', () => {
  it('receipts that arrive within the linger, over several turns, share one transaction', async () => {
    const records = await PgliteRecords.open(null);
    try {
      await migrate(records);
      let transactions = 0;
      const counted: Records = {
        engine: records.engine,
        query: (sql, params) => records.query(sql, params),
        transaction: (fn) => {
          transactions++;
          return records.transaction(fn);
        },
        close: () => records.close(),
      };
      const ledger = new OfferLedger(counted, { receiptLingerMs: 200 });
      const T = Date.parse('2026-11-26T12:00:00Z');
      const ids = ['o1', 'o2', 'o3'];
      for (const [i, id] of ids.entries())
        await ledger.insert({
          id,
          code: `HX-GC-${i}`,
          decisionId: `d-${id}`,
          campaignId: 'c',
          deviceId: `dev-${id}`,
          region: 'eu',
          issuedAt: T,
          expiresAt: T + 60_000,
          score: 0.5,
          scorer: 'heuristic-v1',
        });
      const applied: Array<Promise<void>> = [];
      for (const id of ids) {
        applied.push(ledger.applyReceipt({ itemId: id, status: 'delivered', channel: 'mqtt' }, T + 1_000));
        await new Promise((turn) => setImmediate(turn)); // the next receipt comes a turn later
      }
      await Promise.all(applied);
      expect(transactions).toBe(1);
      for (const id of ids) expect((await ledger.byId(id))?.status).toBe('delivered');
    } finally {
      await records.close();
    }
  });
});
