import { type AuditEntry, AuditLog, migrate, PgliteRecords, type Records } from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasService, usePgRecords } from '../../helpers/services.js';

const entries = (merchant: string, n: number, from = 0): AuditEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'decision' as const,
    paymentId: `${merchant}-p${from + i}`,
    body: { action: 'approve', n: from + i },
  }));

/** The audit log's hash chains on each records engine: several merchants appended at once, concurrently, and an edit found. */
function auditLogContract(name: string, open: () => Promise<{ records: Records; cleanup(): Promise<void> }>) {
  describe(`audit log: ${name}`, () => {
    let records: Records;
    let cleanup: () => Promise<void>;
    let audit: AuditLog;
    const at = new Date();
    beforeAll(async () => {
      ({ records, cleanup } = await open());
      await migrate(records);
      audit = new AuditLog(records);
      await audit.prepare(at);
    });
    afterAll(async () => cleanup());

    it("appends to several merchants' chains in one call, then one at a time, and every chain verifies", async () => {
      await records.transaction((tx) =>
        audit.appendMany(
          tx,
          new Map([
            ['m1', entries('m1', 3)],
            ['m2', entries('m2', 1)],
            ['m0', []],
          ]),
          at,
        ),
      );
      await records.transaction((tx) => audit.append(tx, 'm1', entries('m1', 1, 3), at));
      await records.transaction((tx) =>
        audit.appendMany(
          tx,
          new Map([
            ['m3', entries('m3', 2)],
            ['m2', entries('m2', 1, 1)],
          ]),
          at,
        ),
      );
      const reports = await audit.verify();
      expect(reports.map((r) => [r.merchantId, r.rows, r.ok])).toEqual([
        ['m1', 4, true],
        ['m2', 2, true],
        ['m3', 2, true],
      ]);
      const seqs = await records.query<{ seq: string | number }>(
        `SELECT seq FROM fraud_audit WHERE merchant_id = 'm1' ORDER BY seq`,
      );
      expect(seqs.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4]);
    });

    it('concurrent appenders over the same merchants neither deadlock nor fork a chain', async () => {
      const batch = (from: number, order: string[]) =>
        records.transaction((tx) =>
          audit.appendMany(tx, new Map(order.map((m) => [m, entries(m, 2, 100 + from)])), at),
        );
      await Promise.all([
        batch(0, ['m1', 'm2', 'm3']),
        batch(10, ['m3', 'm2', 'm1']),
        batch(20, ['m2', 'm4']),
      ]);
      const reports = await audit.verify();
      expect(reports.every((r) => r.ok)).toBe(true);
      expect(reports.map((r) => [r.merchantId, r.rows])).toEqual([
        ['m1', 8],
        ['m2', 8],
        ['m3', 6],
        ['m4', 2],
      ]);
    });

    it('a row altered in the database breaks its chain at that row, and only there', async () => {
      await records.query(
        `UPDATE fraud_audit SET body = '{"action":"decline"}' WHERE merchant_id = 'm2' AND seq = 3`,
      );
      const reports = await audit.verify();
      const m2 = reports.find((r) => r.merchantId === 'm2')!;
      expect(m2.ok).toBe(false);
      expect(m2.broken?.seq).toBe(3);
      expect(reports.filter((r) => !r.ok).map((r) => r.merchantId)).toEqual(['m2']);
    });
  });
}

auditLogContract('PGlite', async () => {
  const records = await PgliteRecords.open(null);
  return { records, cleanup: () => records.close() };
});

describe.skipIf(!hasService('postgres'))('postgres', () => {
  auditLogContract('PostgreSQL', () => usePgRecords(3));
});
