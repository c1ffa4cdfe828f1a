import { AuditLog, migrate, PaymentStore, PgliteRecords } from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPayment as payment } from '../../helpers/fraud.js';

describe('payment store: submissions (PGlite)', () => {
  let records: PgliteRecords;
  let store: PaymentStore;
  const inserts: number[] = [];
  const reads: number[] = [];
  beforeAll(async () => {
    records = await PgliteRecords.open(null);
    await migrate(records);
    // Counts the statements that insert payments, and how many rows each carried.
    const query = records.query.bind(records);
    records.query = (async (sql: string, params?: unknown[]) => {
      if (sql.trimStart().startsWith('INSERT INTO payments (')) inserts.push((params?.length ?? 0) / 9);
      if (sql.includes('(merchant_id, id) IN (SELECT * FROM unnest'))
        reads.push((params?.[0] as string[] | undefined)?.length ?? 0);
      return query(sql, params);
    }) as typeof records.query;
    store = new PaymentStore(records, new AuditLog(records));
    await store.putMerchant('shop', 'key-1', { name: 'shop', currencies: ['EUR'] });
  });
  afterAll(async () => {
    await records.close();
  });

  it('stores the submissions of one turn in one statement, each answered as if it came alone', async () => {
    await store.submit(payment('before'), 'idem-before');
    inserts.length = 0;
    const outcomes = await Promise.allSettled([
      store.submit(payment('a'), 'idem-a'),
      store.submit(payment('b'), null),
      // The same request again in the same turn: a replay of the first.
      store.submit(payment('a'), 'idem-a'),
      // Another payment under a key the first took: refused.
      store.submit(payment('c'), 'idem-a'),
      // The same payment id with another body: refused.
      store.submit(payment('b', { amount: 41 }), null),
      // A request stored in an earlier turn: a replay.
      store.submit(payment('before'), 'idem-before'),
      store.submit(payment('d', { amount: 7 }), 'idem-d'),
      // A new payment id under a key an earlier turn took (refused), then the same id under its own
      // key: the row stored is the second's.
      store.submit(payment('e'), 'idem-before'),
      store.submit(payment('e'), 'idem-e'),
    ]);
    expect(inserts).toEqual([9]);
    const answer = (k: number) => {
      const o = outcomes[k]!;
      return o.status === 'fulfilled'
        ? { replayed: o.value.replayed, id: o.value.view.paymentId, amount: o.value.view.payment.amount }
        : (o.reason as { code: string }).code;
    };
    expect(outcomes.map((_, k) => answer(k))).toEqual([
      { replayed: false, id: 'a', amount: 40 },
      { replayed: false, id: 'b', amount: 40 },
      { replayed: true, id: 'a', amount: 40 },
      'HX_PAYMENT_IDEMPOTENCY_CONFLICT',
      'HX_PAYMENT_DUPLICATE',
      { replayed: true, id: 'before', amount: 40 },
      { replayed: false, id: 'd', amount: 7 },
      'HX_PAYMENT_IDEMPOTENCY_CONFLICT',
      { replayed: false, id: 'e', amount: 40 },
    ]);
    const stored = await records.query<{ id: string }>('SELECT id FROM payments ORDER BY id');
    expect(stored.map((r) => r.id)).toEqual(['a', 'b', 'before', 'd', 'e']);
  });

  it("reads one merchant's payments asked for in one turn with one statement", async () => {
    reads.length = 0;
    const seen = await Promise.all([
      store.get(['shop'], 'a'),
      store.get(['shop'], 'd'),
      store.get(['shop'], 'missing'),
      store.get(['another-shop'], 'a'),
    ]);
    expect(reads).toEqual([4]);
    expect(seen.map((v) => (v === null ? null : `${v.paymentId}:${v.payment.amount}`))).toEqual([
      'a:40',
      'd:7',
      null,
      null,
    ]);
  });
});
