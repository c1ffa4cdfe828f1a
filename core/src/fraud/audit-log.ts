import { createHash } from 'node:crypto';
import { HexcastError } from '../errors/index.js';
import type { Queryable, Records } from '../records/index.js';

export type AuditKind = 'payment' | 'decision' | 'review';

export interface AuditEntry {
  kind: AuditKind;
  paymentId: string | null;
  /** What happened, as JSON; stored as the exact text hashed. */
  body: unknown;
  /** `body` already serialised (it is stored and hashed as given). */
  text?: string;
}

export interface ChainReport {
  merchantId: string;
  rows: number;
  ok: boolean;
  /** The first row that does not follow from the one before (or the head), and why. */
  broken?: { seq: number; why: string };
}

const GENESIS = '0'.repeat(64);
const PAGE = 5_000;

/**
 * The fraud audit log: every payment, decision and review, append-only, in `fraud_audit`
 * (partitioned by month). Each merchant's rows form a hash chain — a row's hash covers the
 * previous row's hash and its own fields — and `fraud_audit_heads` holds each chain's last
 * sequence number and hash, so an edited, deleted or inserted row, or a cut-off tail, shows up
 * in `verify`. Appends for one merchant take the head's row lock: they are serialised, and a
 * transaction that rolls back leaves no gap. Retention drops whole months (`prune`), keeping the
 * last hash of what was dropped as the chain's new anchor.
 */
export class AuditLog {
  readonly #partitions = new Set<string>();

  constructor(readonly records: Records) {}

  /**
   * Makes sure the month of `at` has its partition. Call it before the transaction that appends
   * at `at` (DDL inside it would hold the catalogue lock; PGlite's one connection would deadlock).
   */
  async prepare(at: Date): Promise<Date> {
    await this.#ensurePartition(at);
    return at;
  }

  /** Appends `entries` to the merchant's chain inside `tx` (the same transaction as their effect), at a prepared time. */
  async append(tx: Queryable, merchantId: string, entries: readonly AuditEntry[], at: Date): Promise<void> {
    await this.appendMany(tx, new Map([[merchantId, entries]]), at);
  }

  /**
   * Appends to several merchants' chains at once, in two statements whatever their number: the
   * heads created where missing, locked and read; then every row inserted and the heads moved on.
   */
  async appendMany(
    tx: Queryable,
    byMerchant: ReadonlyMap<string, readonly AuditEntry[]>,
    at: Date,
  ): Promise<void> {
    const merchants = [...byMerchant.keys()].filter((m) => byMerchant.get(m)!.length > 0).sort();
    if (merchants.length === 0) return;
    if (!this.#partitions.has(partitionName(at)))
      throw new Error(`audit partition for ${at.toISOString()} not prepared (AuditLog.prepare)`);
    const list = (n: number, first = 1) => Array.from({ length: n }, (_, i) => `$${first + i}`).join(', ');
    // Created where missing, locked and read in one statement: the no-op update takes the row lock
    // (rows in merchant order, so two appenders never deadlock) and returns the head as it stands.
    const heads = await tx.query<{ merchant_id: string; seq: string | number; hash: string }>(
      `INSERT INTO fraud_audit_heads AS h (merchant_id, seq, hash)
       SELECT m, 0, $1 FROM (VALUES ${merchants.map((_, i) => `($${i + 2})`).join(', ')}) AS v(m)
       ON CONFLICT (merchant_id) DO UPDATE SET seq = h.seq
       RETURNING h.merchant_id, h.seq, h.hash`,
      [GENESIS, ...merchants],
    );
    const params: unknown[] = [];
    const rows: string[] = [];
    const moved: string[] = [];
    for (const head of heads) {
      const merchantId = head.merchant_id;
      let seq = Number(head.seq);
      let prev = head.hash;
      for (const e of byMerchant.get(merchantId)!) {
        seq++;
        const body = e.text ?? JSON.stringify(e.body);
        const hash = chainHash(prev, merchantId, seq, at.getTime(), e.kind, e.paymentId, body);
        rows.push(`(${list(8, params.length + 1)})`);
        params.push(merchantId, seq, at, e.kind, e.paymentId, body, prev, hash);
        prev = hash;
      }
      const first = params.length + 1;
      moved.push(`($${first}, $${first + 1}::bigint, $${first + 2})`);
      params.push(merchantId, seq, prev);
    }
    // The rows and the heads' move in one statement.
    await tx.query(
      `WITH appended AS (
         INSERT INTO fraud_audit (merchant_id, seq, at, kind, payment_id, body, prev_hash, hash) VALUES ${rows.join(', ')}
       )
       UPDATE fraud_audit_heads AS h SET seq = v.seq, hash = v.hash
       FROM (VALUES ${moved.join(', ')}) AS v(merchant_id, seq, hash)
       WHERE h.merchant_id = v.merchant_id`,
      params,
    );
  }

  /** Walks each merchant's chain (or one) from its anchor to its head; reports the first break. */
  async verify(merchantId?: string): Promise<ChainReport[]> {
    const heads = await this.records.query<{ merchant_id: string; seq: string | number; hash: string }>(
      `SELECT merchant_id, seq, hash FROM fraud_audit_heads ${merchantId === undefined ? '' : 'WHERE merchant_id = $1'} ORDER BY merchant_id`,
      merchantId === undefined ? [] : [merchantId],
    );
    const reports: ChainReport[] = [];
    for (const head of heads)
      reports.push(await this.#verifyChain(head.merchant_id, Number(head.seq), head.hash));
    return reports;
  }

  async #verifyChain(merchantId: string, headSeq: number, headHash: string): Promise<ChainReport> {
    const [anchor] = await this.records.query<{ seq: string | number; hash: string }>(
      'SELECT seq, hash FROM fraud_audit_anchors WHERE merchant_id = $1',
      [merchantId],
    );
    let seq = anchor === undefined ? 0 : Number(anchor.seq);
    let prev = anchor?.hash ?? GENESIS;
    let rows = 0;
    const fail = (at: number, why: string): ChainReport => ({
      merchantId,
      rows,
      ok: false,
      broken: { seq: at, why },
    });
    for (;;) {
      const page = await this.records.query<{
        seq: string | number;
        at: Date | string;
        kind: string;
        payment_id: string | null;
        body: string;
        prev_hash: string;
        hash: string;
      }>(
        `SELECT seq, at, kind, payment_id, body, prev_hash, hash FROM fraud_audit
         WHERE merchant_id = $1 AND seq > $2 ORDER BY seq LIMIT ${PAGE}`,
        [merchantId, seq],
      );
      for (const row of page) {
        const n = Number(row.seq);
        if (n !== seq + 1)
          return fail(
            seq + 1,
            n > seq + 1 ? `rows ${seq + 1}…${n - 1} are missing` : 'a sequence number repeats',
          );
        if (row.prev_hash !== prev) return fail(n, 'its previous hash is not the hash of the row before it');
        const at = new Date(row.at).getTime();
        if (chainHash(prev, merchantId, n, at, row.kind, row.payment_id, row.body) !== row.hash)
          return fail(n, 'its contents do not match its hash (the row was altered)');
        seq = n;
        prev = row.hash;
        rows++;
      }
      if (page.length < PAGE) break;
    }
    if (seq !== headSeq)
      return fail(seq + 1, `the chain ends at ${seq} but its head says ${headSeq} (rows were deleted)`);
    if (prev !== headHash) return fail(seq, 'the last row is not the one the head recorded');
    return { merchantId, rows, ok: true };
  }

  /**
   * Drops every monthly partition that ends on or before `before`, after recording each chain's
   * last row in it as the chain's anchor. Returns the partitions dropped.
   */
  async prune(before: Date): Promise<string[]> {
    const partitions = await this.records.query<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = 'fraud_audit' ORDER BY c.relname`,
    );
    const dropped: string[] = [];
    for (const { name, bound } of partitions) {
      const to = /TO \('([^']+)'\)/.exec(bound)?.[1];
      if (to === undefined || new Date(to) > before) continue;
      await this.records.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO fraud_audit_anchors (merchant_id, seq, hash, pruned_before)
           SELECT DISTINCT ON (merchant_id) merchant_id, seq, hash, $1::timestamptz FROM ${name}
           ORDER BY merchant_id, seq DESC
           ON CONFLICT (merchant_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, pruned_before = EXCLUDED.pruned_before
           WHERE fraud_audit_anchors.seq < EXCLUDED.seq`,
          [to],
        );
        await tx.query(`DROP TABLE ${name}`);
      });
      this.#partitions.delete(name);
      dropped.push(name);
    }
    return dropped;
  }

  async #ensurePartition(at: Date): Promise<void> {
    const y = at.getUTCFullYear();
    const m = at.getUTCMonth();
    const name = partitionName(at);
    if (this.#partitions.has(name)) return;
    const from = new Date(Date.UTC(y, m, 1)).toISOString();
    const to = new Date(Date.UTC(y, m + 1, 1)).toISOString();
    try {
      await this.records.query(
        `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF fraud_audit FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
    } catch (error) {
      // Another process created it at the same moment.
      if (!/already exists|duplicate key/.test(String((error as Error).message))) throw error;
    }
    this.#partitions.add(name);
  }
}

function partitionName(at: Date): string {
  return `fraud_audit_y${at.getUTCFullYear()}m${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
}

function chainHash(
  prev: string,
  merchantId: string,
  seq: number,
  atMs: number,
  kind: string,
  paymentId: string | null,
  body: string,
): string {
  return createHash('sha256')
    .update(`${prev}\n${merchantId}\n${seq}\n${atMs}\n${kind}\n${paymentId ?? ''}\n${body}`)
    .digest('hex');
}

/** Throws `HX_AUDIT_CHAIN_BROKEN` naming the first broken chain, if any. */
export function assertChainsIntact(reports: readonly ChainReport[]): void {
  const broken = reports.find((r) => !r.ok);
  if (broken !== undefined)
    throw new HexcastError(
      'HX_AUDIT_CHAIN_BROKEN',
      `merchant ${broken.merchantId}: the audit chain breaks at row ${broken.broken!.seq}: ${broken.broken!.why}`,
      { details: { ...broken } },
    );
}
