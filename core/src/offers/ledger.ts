import { HexcastError } from '../errors/index.js';
import { localTime } from '../local-time/index.js';
import { type Queryable, type Records, TurnBatcher } from '../records/index.js';
import { DECISION_TTL_MS, type EligibilityHistory } from './eligibility.js';

export type OfferStatus = 'issued' | 'delivered' | 'expired' | 'rejected';

export interface LedgerOffer {
  id: string;
  code: string;
  decisionId: string;
  campaignId: string;
  deviceId: string;
  region: string;
  issuedAt: number;
  expiresAt: number;
  score: number;
  scorer: string;
}

export interface OfferRecord extends LedgerOffer {
  status: OfferStatus;
  expiredWhere: string | null;
  rejectedReason: string | null;
  channel: string | null;
  pushedAt: number | null;
  receivedAt: number | null;
  openedAt: number | null;
  redeemedAt: number | null;
}

/** A receipt as the ledger reads it (`delivery.receipt` data). */
export interface LedgerReceipt {
  itemId: string;
  status: string;
  where?: string;
  reason?: string;
  channel?: string;
}

export interface Redemption {
  offer: OfferRecord;
  /** False when this redemption id had already redeemed the coupon (an idempotent repeat). */
  first: boolean;
}

export interface CampaignSeriesPoint {
  /** Start of the bucket, epoch ms. */
  at: number;
  issued: number;
  delivered: number;
  expired: number;
  rejected: number;
  redeemed: number;
}

export interface CampaignStats {
  issued: number;
  /** Issued, not yet in a terminal state (on its way or queued at a gateway). */
  pending: number;
  delivered: number;
  expired: { total: number; transit: number; queue: number; 'in-flight': number; push: number };
  rejected: { total: number; byReason: Record<string, number> };
  pushed: number;
  received: number;
  opened: number;
  redeemed: number;
}

interface Row {
  id: string;
  code: string;
  decision_id: string;
  campaign_id: string;
  device_id: string;
  region: string;
  issued_at: Date | string;
  expires_at: Date | string;
  status: OfferStatus;
  expired_where: string | null;
  rejected_reason: string | null;
  channel: string | null;
  pushed_at: Date | string | null;
  received_at: Date | string | null;
  opened_at: Date | string | null;
  redeemed_at: Date | string | null;
  redemption_id: string | null;
  score: number;
  scorer: string;
}

const ms = (v: Date | string): number => (v instanceof Date ? v.getTime() : Date.parse(v));
const msOrNull = (v: Date | string | null): number | null => (v === null ? null : ms(v));

function toRecord(r: Row): OfferRecord {
  return {
    id: r.id,
    code: r.code,
    decisionId: r.decision_id,
    campaignId: r.campaign_id,
    deviceId: r.device_id,
    region: r.region,
    issuedAt: ms(r.issued_at),
    expiresAt: ms(r.expires_at),
    score: Number(r.score),
    scorer: r.scorer,
    status: r.status,
    expiredWhere: r.expired_where,
    rejectedReason: r.rejected_reason,
    channel: r.channel,
    pushedAt: msOrNull(r.pushed_at),
    receivedAt: msOrNull(r.received_at),
    openedAt: msOrNull(r.opened_at),
    redeemedAt: msOrNull(r.redeemed_at),
  };
}

const TERMINAL = new Set(['delivered', 'expired', 'rejected']);

const STAMPS: Record<string, string | undefined> = {
  pushed: 'pushed_at',
  received: 'received_at',
  opened: 'opened_at',
};

/**
 * Applies receipts in arrival order, as one statement per kind rather than one per receipt (a
 * PGlite statement's CPU is mostly fixed, ~200 µs and up, whatever its rows): the first terminal
 * receipt of an offer settles it, the first of each timestamp stands, so only those go in.
 */
async function applyReceipts(db: Queryable, batch: ReadonlyArray<{ receipt: LedgerReceipt; at: number }>) {
  const terminal = new Map<string, { r: LedgerReceipt; when: string }>();
  const stamps = new Map<string, Map<string, string>>();
  for (const { receipt: r, at } of batch) {
    const when = new Date(at).toISOString();
    if (TERMINAL.has(r.status)) {
      if (!terminal.has(r.itemId)) terminal.set(r.itemId, { r, when });
      continue;
    }
    // A device's own `redeemed` ack is not a redemption: only a merchant's POST redeems.
    const column = STAMPS[r.status];
    if (column === undefined) continue;
    const byId = stamps.get(column) ?? new Map<string, string>();
    stamps.set(column, byId);
    if (!byId.has(r.itemId)) byId.set(r.itemId, when);
  }
  if (terminal.size > 0) {
    const rows = [...terminal.values()];
    await db.query(
      `UPDATE offers AS o SET status = r.status, expired_where = r.expired_where,
         rejected_reason = r.rejected_reason, channel = COALESCE(r.channel, o.channel),
         settled_at = r.settled_at::timestamptz
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         AS r(id, status, expired_where, rejected_reason, channel, settled_at)
       WHERE o.id = r.id AND o.status = 'issued'`,
      [
        rows.map((t) => t.r.itemId),
        rows.map((t) => t.r.status),
        rows.map((t) => t.r.where ?? null),
        rows.map((t) => t.r.reason ?? null),
        rows.map((t) => t.r.channel ?? null),
        rows.map((t) => t.when),
      ],
    );
  }
  for (const [column, byId] of stamps)
    await db.query(
      `UPDATE offers AS o SET ${column} = COALESCE(o.${column}, r.at::timestamptz)
       FROM unnest($1::text[], $2::text[]) AS r(id, at) WHERE o.id = r.id`,
      [[...byId.keys()], [...byId.values()]],
    );
}

export type LedgerInsert = 'inserted' | 'exists' | 'conflict';

/** Offers as one INSERT of many rows; each answered as `OfferLedger.insert` says. */
async function insertOffers(db: Queryable, offers: readonly LedgerOffer[]): Promise<LedgerInsert[]> {
  const rows = await db.query<{ id: string }>(
    `INSERT INTO offers (id, code, decision_id, campaign_id, device_id, region, issued_at, expires_at, score, scorer)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
       $7::timestamptz[], $8::timestamptz[], $9::float8[], $10::text[])
     ON CONFLICT DO NOTHING RETURNING id`,
    [
      offers.map((o) => o.id),
      offers.map((o) => o.code),
      offers.map((o) => o.decisionId),
      offers.map((o) => o.campaignId),
      offers.map((o) => o.deviceId),
      offers.map((o) => o.region),
      offers.map((o) => new Date(o.issuedAt).toISOString()),
      offers.map((o) => new Date(o.expiresAt).toISOString()),
      offers.map((o) => o.score),
      offers.map((o) => o.scorer),
    ],
  );
  const inserted = new Set(rows.map((r) => r.id));
  const missing = offers.filter((o) => !inserted.has(o.id)).map((o) => o.id);
  const present =
    missing.length === 0
      ? new Set<string>()
      : new Set(
          (await db.query<{ id: string }>('SELECT id FROM offers WHERE id = ANY($1::text[])', [missing])).map(
            (r) => r.id,
          ),
        );
  // The same offer twice in one batch: the first asker inserted it, the second finds it there.
  const answered = new Set<string>();
  return offers.map((o) => {
    if (inserted.has(o.id) && !answered.has(o.id)) {
      answered.add(o.id);
      return 'inserted';
    }
    return inserted.has(o.id) || present.has(o.id) ? 'exists' : 'conflict';
  });
}

/** How long a receipt waits, by default, for others to share its transaction. */
const RECEIPT_LINGER_MS = 100;

/**
 * The coupon ledger (records engine): one row per issued offer. Its status moves once from
 * `issued` to a terminal state — `delivered`, `expired` (with where) or `rejected` (with why) —
 * whichever receipt comes first; `pushed`, `received`, `opened` and `redeemed` are timestamps
 * beside it. Every write is idempotent, so replayed receipts change nothing.
 */
export class OfferLedger {
  readonly #receiptLingerMs: number;

  /**
   * @param options.receiptLingerMs how long a receipt waits for others to share its transaction
   *   (default 100 ms): a PGlite transaction costs ~1 ms of CPU whatever it holds, and receipts come
   *   a few per fetch; no decision reads them, so a ledger that far behind costs nothing (redemption
   *   reads only the code, the expiry and whether it was redeemed).
   */
  constructor(
    readonly records: Records,
    options: { receiptLingerMs?: number } = {},
  ) {
    this.#receiptLingerMs = options.receiptLingerMs ?? RECEIPT_LINGER_MS;
  }

  /**
   * Records an issued offer: `inserted`; `exists` when this very offer is there already (a
   * replay); `conflict` when another offer holds its decision or its code (nothing is written).
   * The offers of one turn of the event loop go in one statement (a statement's fixed cost is
   * most of a single row's on PGlite).
   */
  insert(o: LedgerOffer): Promise<LedgerInsert> {
    return this.#inserts.add(o);
  }

  readonly #inserts = new TurnBatcher<LedgerOffer, LedgerInsert>((offers) =>
    insertOffers(this.records, offers),
  );

  /**
   * Applies a delivery receipt; receipts for items that are not offers touch nothing. Receipts
   * are group-committed: those that arrive within `receiptLingerMs` of the first go in one
   * transaction, those that arrive while it runs in the next, in arrival order. The promise
   * settles once the receipt's transaction has.
   */
  applyReceipt(r: LedgerReceipt, at: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#receipts.push({ receipt: r, at, resolve, reject });
      if (!this.#applying) {
        this.#applying = true;
        setTimeout(() => void this.#applyPending(), this.#receiptLingerMs);
      }
    });
  }

  readonly #receipts: Array<{
    receipt: LedgerReceipt;
    at: number;
    resolve(): void;
    reject(e: unknown): void;
  }> = [];
  #applying = false;

  async #applyPending(): Promise<void> {
    this.#applying = true;
    while (this.#receipts.length > 0) {
      const batch = this.#receipts.splice(0, 500);
      try {
        await this.records.transaction((tx) => applyReceipts(tx, batch));
        for (const item of batch) item.resolve();
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
    this.#applying = false;
  }

  async byCode(code: string): Promise<OfferRecord | null> {
    const rows = await this.records.query<Row>('SELECT * FROM offers WHERE code = $1', [code]);
    return rows[0] === undefined ? null : toRecord(rows[0]);
  }

  async byId(id: string): Promise<OfferRecord | null> {
    const rows = await this.records.query<Row>('SELECT * FROM offers WHERE id = $1', [id]);
    return rows[0] === undefined ? null : toRecord(rows[0]);
  }

  /**
   * Redeems a coupon once. Repeating with the same `redemptionId` answers the same (idempotent);
   * another redemption of a redeemed coupon, an unknown, expired or void code is a coded error.
   */
  async redeem(code: string, redemptionId: string, by: string, now: number): Promise<Redemption> {
    const at = new Date(now).toISOString();
    for (let attempt = 0; attempt < 2; attempt++) {
      // The usual case is one statement (on PGlite a statement's fixed cost is most of it): the row
      // changes only while it may be redeemed, and concurrent redemptions queue on its lock.
      const updated = await this.records.query<Row>(
        `UPDATE offers SET redeemed_at = $2, redeemed_by = $3, redemption_id = $4
          WHERE code = $1 AND redeemed_at IS NULL AND expires_at > $2 AND status <> 'rejected'
          RETURNING *`,
        [code, at, by, redemptionId],
      );
      if (updated[0] !== undefined) return { offer: toRecord(updated[0]), first: true };
      // Why not: each reason below, once true, stays true.
      const row = (await this.records.query<Row>('SELECT * FROM offers WHERE code = $1', [code]))[0];
      if (row === undefined) break;
      if (row.redeemed_at !== null) {
        if (row.redemption_id === redemptionId) return { offer: toRecord(row), first: false };
        throw new HexcastError('HX_COUPON_ALREADY_REDEEMED', 'this coupon was redeemed before', {
          details: { redeemedAt: new Date(ms(row.redeemed_at)).toISOString() },
        });
      }
      if (ms(row.expires_at) <= now)
        throw new HexcastError('HX_COUPON_EXPIRED', 'this coupon has expired', {
          details: { expiresAt: new Date(ms(row.expires_at)).toISOString() },
        });
      if (row.status === 'rejected')
        throw new HexcastError('HX_COUPON_VOID', 'this coupon never reached its device', {
          details: { reason: row.rejected_reason },
        });
      // Issued between the two statements: redeemable now, so once more.
    }
    throw new HexcastError('HX_COUPON_UNKNOWN', 'no coupon has this code');
  }

  /**
   * A campaign's coupons over time: per bucket of `bucketSeconds` from `since`, how many were
   * issued, delivered, expired, rejected (each at its settling time) and redeemed.
   */
  async series(campaignId: string, bucketSeconds: number, since: number): Promise<CampaignSeriesPoint[]> {
    const rows = await this.records.query<{ b: string; kind: string; n: number }>(
      `SELECT b::text AS b, kind, count(*)::int AS n FROM (
         SELECT floor(extract(epoch FROM issued_at) / $2)::bigint AS b, 'issued' AS kind
           FROM offers WHERE campaign_id = $1 AND issued_at >= $3
         UNION ALL
         SELECT floor(extract(epoch FROM settled_at) / $2)::bigint, status
           FROM offers WHERE campaign_id = $1 AND status <> 'issued' AND settled_at >= $3
         UNION ALL
         SELECT floor(extract(epoch FROM redeemed_at) / $2)::bigint, 'redeemed'
           FROM offers WHERE campaign_id = $1 AND redeemed_at >= $3
       ) t GROUP BY b, kind ORDER BY b`,
      [campaignId, bucketSeconds, new Date(since).toISOString()],
    );
    const points = new Map<string, CampaignSeriesPoint>();
    for (const r of rows) {
      let p = points.get(r.b);
      if (p === undefined) {
        p = {
          at: Number(r.b) * bucketSeconds * 1000,
          issued: 0,
          delivered: 0,
          expired: 0,
          rejected: 0,
          redeemed: 0,
        };
        points.set(r.b, p);
      }
      if (r.kind in p && r.kind !== 'at') p[r.kind as Exclude<keyof CampaignSeriesPoint, 'at'>] += r.n;
    }
    return [...points.values()];
  }

  /**
   * The eligibility counters the ledger implies at `now`: every coupon ever issued counts against
   * its campaign's budget and the device's cap (whatever became of it, as when it was issued);
   * those of the last two days against the device's daily cap, on its local date (the device's
   * time zone, else the campaign's, as the offer engine decides).
   */
  async eligibilityHistory(now: number): Promise<EligibilityHistory> {
    const spent = await this.records.query<{ campaign_id: string; n: number }>(
      'SELECT campaign_id, count(*)::int AS n FROM offers GROUP BY campaign_id',
    );
    const devices = await this.records.query<{
      campaign_id: string;
      device_id: string;
      n: number;
      last_at: Date | string;
      holding_until: Date | string;
    }>(
      `SELECT campaign_id, device_id, count(*)::int AS n, max(issued_at) AS last_at, max(expires_at) AS holding_until
       FROM offers GROUP BY campaign_id, device_id`,
    );
    const recent = await this.records.query<{
      device_id: string;
      issued_at: Date | string;
      device_tz: string | null;
      campaign_tz: string | null;
    }>(
      `SELECT o.device_id, o.issued_at, d.timezone AS device_tz, c.timezone AS campaign_tz
       FROM offers o LEFT JOIN devices d ON d.id = o.device_id LEFT JOIN campaigns c ON c.id = o.campaign_id
       WHERE o.issued_at >= $1`,
      [new Date(now - DECISION_TTL_MS).toISOString()],
    );
    const daily = new Map<string, { deviceId: string; day: string; count: number }>();
    for (const r of recent) {
      const day = localTime(new Date(r.issued_at).getTime(), r.device_tz ?? r.campaign_tz ?? 'UTC').date;
      const key = `${r.device_id}|${day}`;
      const d = daily.get(key) ?? { deviceId: r.device_id, day, count: 0 };
      d.count++;
      daily.set(key, d);
    }
    return {
      spent: spent.map((r) => ({ campaignId: r.campaign_id, count: r.n })),
      devices: devices.map((r) => ({
        campaignId: r.campaign_id,
        deviceId: r.device_id,
        count: r.n,
        lastAt: new Date(r.last_at).getTime(),
        holdingUntil: new Date(r.holding_until).getTime(),
      })),
      daily: [...daily.values()],
    };
  }

  /** Totals of one campaign, or (`{ since }`) of every offer issued since a time. */
  async stats(filter: string | { since: number }): Promise<CampaignStats> {
    const [where, param] =
      typeof filter === 'string'
        ? ['campaign_id = $1', filter]
        : ['issued_at >= $1', new Date(filter.since).toISOString()];
    const rows = await this.records.query<{
      status: OfferStatus;
      expired_where: string | null;
      rejected_reason: string | null;
      n: number;
      pushed: number;
      received: number;
      opened: number;
      redeemed: number;
    }>(
      `SELECT status, expired_where, rejected_reason, count(*)::int AS n,
         count(pushed_at)::int AS pushed, count(received_at)::int AS received,
         count(opened_at)::int AS opened, count(redeemed_at)::int AS redeemed
       FROM offers WHERE ${where} GROUP BY status, expired_where, rejected_reason`,
      [param],
    );
    const stats: CampaignStats = {
      issued: 0,
      pending: 0,
      delivered: 0,
      expired: { total: 0, transit: 0, queue: 0, 'in-flight': 0, push: 0 },
      rejected: { total: 0, byReason: {} },
      pushed: 0,
      received: 0,
      opened: 0,
      redeemed: 0,
    };
    for (const r of rows) {
      stats.issued += r.n;
      stats.pushed += r.pushed;
      stats.received += r.received;
      stats.opened += r.opened;
      stats.redeemed += r.redeemed;
      if (r.status === 'issued') stats.pending += r.n;
      else if (r.status === 'delivered') stats.delivered += r.n;
      else if (r.status === 'expired') {
        stats.expired.total += r.n;
        const where = r.expired_where as keyof CampaignStats['expired'] | null;
        if (where !== null && where !== 'total' && where in stats.expired) stats.expired[where] += r.n;
      } else {
        stats.rejected.total += r.n;
        const reason = r.rejected_reason ?? 'unknown';
        stats.rejected.byReason[reason] = (stats.rejected.byReason[reason] ?? 0) + r.n;
      }
    }
    return stats;
  }
}
