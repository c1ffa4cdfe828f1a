import { HexcastError, type LedgerOffer, migrate, OfferLedger, type Records } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

export interface LedgerFixture {
  records: Records;
  cleanup(): Promise<void>;
}

const T = Date.parse('2026-11-26T12:00:00Z');
let n = 0;
const offer = (over: Partial<LedgerOffer> = {}): LedgerOffer => {
  n++;
  return {
    id: `offer-${n}`,
    code: `HX-TEST-${String(n).padStart(4, '0')}-AAAA`,
    decisionId: `decision-${n}`,
    campaignId: 'camp-1',
    deviceId: `dev-${n}`,
    region: 'eu',
    issuedAt: T,
    expiresAt: T + 600_000,
    score: 0.42,
    scorer: 'heuristic-v1',
    ...over,
  };
};

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return error instanceof HexcastError ? error.code : String(error);
  }
  return 'no error';
}

/** The coupon ledger on each records engine (PGlite, PostgreSQL). */
export function ledgerContract(name: string, factory: () => Promise<LedgerFixture>): void {
  describe(`OfferLedger: ${name}`, () => {
    it('records an offer once (a replayed decision inserts nothing)', async () => {
      const f = await factory();
      await migrate(f.records);
      const ledger = new OfferLedger(f.records);
      const o = offer();
      expect(await ledger.insert(o)).toBe('inserted');
      expect(await ledger.insert(o)).toBe('exists');
      expect(await ledger.insert({ ...o, id: 'other-id', code: 'HX-OTHER' })).toBe('conflict'); // same decision
      expect(await ledger.byCode(o.code)).toMatchObject({ ...o, status: 'issued', redeemedAt: null });
      await f.cleanup();
    });

    it('concurrent inserts: each offer is new exactly once, a repeat is told it exists', async () => {
      const f = await factory();
      await migrate(f.records);
      const ledger = new OfferLedger(f.records);
      const offers = Array.from({ length: 30 }, () => offer({ campaignId: 'camp-batch' }));
      const calls = [...offers, ...offers.slice(0, 10)].map((o) => ledger.insert(o));
      const results = await Promise.all(calls);
      expect(results.filter((r) => r === 'inserted')).toHaveLength(30);
      expect(results.slice(30).every((r) => r === 'exists')).toBe(true);
      expect((await ledger.stats('camp-batch')).issued).toBe(30);
      await f.cleanup();
    });

    it('inserts asked together (one statement): clashes among them and with the table are conflicts', async () => {
      const f = await factory();
      await migrate(f.records);
      const ledger = new OfferLedger(f.records);
      const old = offer({ campaignId: 'camp-mix' });
      expect(await ledger.insert(old)).toBe('inserted');
      const fresh = Array.from({ length: 5 }, () => offer({ campaignId: 'camp-mix' }));
      const asked = [
        ...fresh,
        offer({ campaignId: 'camp-mix', code: fresh[0]!.code }), // a code another new one takes
        offer({ campaignId: 'camp-mix', decisionId: old.decisionId }), // a decision already recorded
        old, // a replay
        fresh[2]!, // the same new offer twice
      ];
      const results = await Promise.all(asked.map((o) => ledger.insert(o)));
      // One of the two offers sharing a code is in; the other is a conflict, and the code is the winner's.
      const sharing = [results[0], results[5]].sort();
      expect(sharing).toEqual(['conflict', 'inserted']);
      const winner = results[0] === 'inserted' ? asked[0]! : asked[5]!;
      expect((await ledger.byCode(fresh[0]!.code))?.id).toBe(winner.id);
      expect(results.slice(1, 5)).toEqual(['inserted', 'inserted', 'inserted', 'inserted']);
      expect(results.slice(6)).toEqual(['conflict', 'exists', 'exists']);
      expect((await ledger.stats('camp-mix')).issued).toBe(6);
      await f.cleanup();
    });

    it('receipts that arrive within the linger, over several turns, share one transaction', async () => {
      const f = await factory();
      await migrate(f.records);
      let transactions = 0;
      const counted: Records = {
        engine: f.records.engine,
        query: (sql, params) => f.records.query(sql, params),
        transaction: (fn) => {
          transactions++;
          return f.records.transaction(fn);
        },
        close: () => f.records.close(),
      };
      const ledger = new OfferLedger(counted, { receiptLingerMs: 200 });
      const offers = [offer(), offer(), offer()];
      for (const o of offers) expect(await ledger.insert(o)).toBe('inserted');
      const applied: Array<Promise<void>> = [];
      for (const o of offers) {
        applied.push(ledger.applyReceipt({ itemId: o.id, status: 'delivered', channel: 'mqtt' }, T + 1_000));
        await new Promise((turn) => setImmediate(turn)); // the next receipt comes a turn later
      }
      await Promise.all(applied);
      expect(transactions).toBe(1);
      for (const o of offers) expect((await ledger.byId(o.id))?.status).toBe('delivered');
      await f.cleanup();
    });

    it('moves once to the first terminal receipt; timestamps beside it; a device’s own “redeemed” is not a redemption', async () => {
      const f = await factory();
      await migrate(f.records);
      const ledger = new OfferLedger(f.records);
      const a = offer();
      const b = offer();
      const c = offer();
      for (const o of [a, b, c]) await ledger.insert(o);
      await ledger.applyReceipt({ itemId: a.id, status: 'pushed', channel: 'webpush' }, T + 1000);
      await ledger.applyReceipt({ itemId: a.id, status: 'delivered', channel: 'mqtt' }, T + 2000);
      await ledger.applyReceipt({ itemId: a.id, status: 'expired', where: 'in-flight' }, T + 3000); // too late
      await ledger.applyReceipt({ itemId: a.id, status: 'opened' }, T + 4000);
      await ledger.applyReceipt({ itemId: a.id, status: 'opened' }, T + 9000); // the first open stays
      await ledger.applyReceipt({ itemId: a.id, status: 'redeemed' }, T + 5000);
      await ledger.applyReceipt({ itemId: b.id, status: 'expired', where: 'queue' }, T + 600_000);
      await ledger.applyReceipt({ itemId: c.id, status: 'rejected', reason: 'queue-full' }, T + 10);
      await ledger.applyReceipt({ itemId: 'not-an-offer', status: 'delivered' }, T); // touches nothing
      // Receipts arriving together are applied in arrival order in one commit: the first terminal wins.
      // The first receipt starts a commit alone; the rest arrive while it runs and share the next
      // one, where two terminal receipts of one offer and two opens of another meet.
      const d = offer();
      const e = offer();
      await ledger.insert(d);
      await ledger.insert(e);
      await Promise.all([
        ledger.applyReceipt({ itemId: d.id, status: 'expired', where: 'in-flight' }, T + 20),
        ledger.applyReceipt({ itemId: d.id, status: 'delivered', channel: 'mqtt' }, T + 21),
        ledger.applyReceipt({ itemId: d.id, status: 'opened' }, T + 22),
        ledger.applyReceipt({ itemId: e.id, status: 'delivered', channel: 'webpush' }, T + 23),
        ledger.applyReceipt({ itemId: e.id, status: 'rejected', reason: 'queue-full' }, T + 24),
        ledger.applyReceipt({ itemId: d.id, status: 'opened' }, T + 25),
      ]);
      expect(await ledger.byId(d.id)).toMatchObject({
        status: 'expired',
        expiredWhere: 'in-flight',
        openedAt: T + 22,
      });
      expect(await ledger.byId(e.id)).toMatchObject({
        status: 'delivered',
        channel: 'webpush',
        rejectedReason: null,
      });
      expect(await ledger.byId(a.id)).toMatchObject({
        status: 'delivered',
        channel: 'mqtt',
        pushedAt: T + 1000,
        openedAt: T + 4000,
        redeemedAt: null,
        expiredWhere: null,
      });
      expect(await ledger.byId(b.id)).toMatchObject({ status: 'expired', expiredWhere: 'queue' });
      expect(await ledger.byId(c.id)).toMatchObject({ status: 'rejected', rejectedReason: 'queue-full' });
      expect(await ledger.stats('camp-1')).toEqual({
        issued: 5,
        pending: 0,
        delivered: 2,
        expired: { total: 2, transit: 0, queue: 1, 'in-flight': 1, push: 0 },
        rejected: { total: 1, byReason: { 'queue-full': 1 } },
        pushed: 1,
        received: 0,
        opened: 2,
        redeemed: 0,
      });
      await f.cleanup();
    });

    it('redeems once: the same key repeats, another key, an expired, void or unknown code is refused', async () => {
      const f = await factory();
      await migrate(f.records);
      const ledger = new OfferLedger(f.records);
      const good = offer();
      const late = offer({ expiresAt: T + 1000 });
      const voided = offer();
      for (const o of [good, late, voided]) await ledger.insert(o);
      await ledger.applyReceipt({ itemId: voided.id, status: 'rejected', reason: 'gateway-stopped' }, T);
      const first = await ledger.redeem(good.code, 'till-1', 'merchant-a', T + 100);
      expect(first).toMatchObject({ first: true, offer: { redeemedAt: T + 100 } });
      expect(await ledger.redeem(good.code, 'till-1', 'merchant-a', T + 200)).toMatchObject({
        first: false,
        offer: { redeemedAt: T + 100 },
      });
      expect(await code(ledger.redeem(good.code, 'till-2', 'merchant-a', T + 300))).toBe(
        'HX_COUPON_ALREADY_REDEEMED',
      );
      expect(await code(ledger.redeem(late.code, 'k', 'm', T + 1000))).toBe('HX_COUPON_EXPIRED');
      expect(await code(ledger.redeem(voided.code, 'k', 'm', T + 100))).toBe('HX_COUPON_VOID');
      expect(await code(ledger.redeem('HX-NOPE', 'k', 'm', T))).toBe('HX_COUPON_UNKNOWN');
      expect((await ledger.stats('camp-1')).redeemed).toBeGreaterThanOrEqual(1);
      await f.cleanup();
    });

    it('two tills racing with different keys: exactly one redemption', async () => {
      const f = await factory();
      await migrate(f.records);
      const ledger = new OfferLedger(f.records);
      const o = offer({ campaignId: 'camp-race' });
      await ledger.insert(o);
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => ledger.redeem(o.code, `till-${i}`, 'm', T + 10)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected')
          expect((r.reason as HexcastError).code).toBe('HX_COUPON_ALREADY_REDEEMED');
      expect((await ledger.stats('camp-race')).redeemed).toBe(1);
      await f.cleanup();
    });
  });
}
