import { randomUUID } from 'node:crypto';
import { HexcastError } from '../errors/index.js';
import { validateFenceShape } from '../geo/index.js';
import { checkTimeZone } from '../local-time/index.js';
import type { Queryable, Records } from '../records/index.js';
import type { Campaign, CampaignInput, CampaignPatch } from './campaign.js';

interface Row {
  id: string;
  version: number;
  name: string;
  status: Campaign['status'];
  fence: Campaign['fence'];
  dwell_ms: number;
  exit_debounce_ms: number;
  starts_at: Date | string;
  ends_at: Date | string;
  timezone: string;
  offer: Campaign['offer'] | string | null;
  updated_at: Date | string;
  brand?: string | null;
}

const iso = (v: Date | string) => (v instanceof Date ? v : new Date(v)).toISOString();

function toCampaign(row: Row): Campaign {
  return {
    id: row.id,
    version: row.version,
    name: row.name,
    status: row.status,
    fence: typeof row.fence === 'string' ? JSON.parse(row.fence) : row.fence,
    dwellSeconds: Math.round(row.dwell_ms / 1000),
    exitDebounceSeconds: Math.round(row.exit_debounce_ms / 1000),
    startsAt: iso(row.starts_at),
    endsAt: iso(row.ends_at),
    timezone: row.timezone,
    ...(row.offer === null || row.offer === undefined
      ? {}
      : { offer: typeof row.offer === 'string' ? JSON.parse(row.offer) : row.offer }),
    ...(row.brand === null || row.brand === undefined ? {} : { brand: row.brand }),
    updatedAt: iso(row.updated_at),
  };
}

function checkCampaign(c: Pick<Campaign, 'fence' | 'startsAt' | 'endsAt' | 'timezone'>): void {
  validateFenceShape(c.fence);
  if (!(Date.parse(c.startsAt) < Date.parse(c.endsAt))) {
    throw new HexcastError('HX_CAMPAIGN_INVALID', 'endsAt must be after startsAt');
  }
  checkTimeZone(c.timezone, 'HX_CAMPAIGN_INVALID');
}

const COLUMNS =
  'id, version, name, status, fence, dwell_ms, exit_debounce_ms, starts_at, ends_at, timezone, offer, brand, updated_at';

/** Campaigns with a full version history: every change writes a `campaign_versions` row. */
export class CampaignRepository {
  constructor(readonly records: Records) {}

  async create(input: CampaignInput, by: string): Promise<Campaign> {
    const candidate = { ...input, status: input.status ?? 'draft' };
    checkCampaign(candidate);
    const id = randomUUID();
    return this.records.transaction(async (tx) => {
      const rows = await tx.query<Row>(
        `INSERT INTO campaigns (id, version, name, status, fence, dwell_ms, exit_debounce_ms, starts_at, ends_at, timezone, offer, brand)
         VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
        [
          id,
          candidate.name,
          candidate.status,
          JSON.stringify(candidate.fence),
          candidate.dwellSeconds * 1000,
          candidate.exitDebounceSeconds * 1000,
          candidate.startsAt,
          candidate.endsAt,
          candidate.timezone,
          candidate.offer === undefined ? null : JSON.stringify(candidate.offer),
          candidate.brand ?? null,
        ],
      );
      const campaign = toCampaign(rows[0]!);
      await this.#history(tx, campaign, by);
      return campaign;
    });
  }

  async get(id: string): Promise<Campaign | null> {
    const rows = await this.records.query<Row>(
      `SELECT ${COLUMNS} FROM campaigns WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return rows[0] === undefined ? null : toCampaign(rows[0]);
  }

  async list(): Promise<Campaign[]> {
    const rows = await this.records.query<Row>(
      `SELECT ${COLUMNS} FROM campaigns WHERE deleted_at IS NULL ORDER BY starts_at, id`,
    );
    return rows.map(toCampaign);
  }

  /** Applies a patch; with `expectedVersion`, refuses if someone changed it first. */
  async update(id: string, patch: CampaignPatch, by: string, expectedVersion?: number): Promise<Campaign> {
    return this.records.transaction(async (tx) => {
      const rows = await tx.query<Row>(
        `SELECT ${COLUMNS} FROM campaigns WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`,
        [id],
      );
      if (rows[0] === undefined) throw new HexcastError('HX_CAMPAIGN_NOT_FOUND', `campaign ${id} not found`);
      const current = toCampaign(rows[0]);
      if (expectedVersion !== undefined && expectedVersion !== current.version) {
        throw new HexcastError(
          'HX_CAMPAIGN_VERSION_CONFLICT',
          `campaign ${id} is at version ${current.version}, not ${expectedVersion}`,
        );
      }
      const next = { ...current, ...patch };
      checkCampaign(next);
      const updated = await tx.query<Row>(
        `UPDATE campaigns SET version = version + 1, name = $2, status = $3, fence = $4, dwell_ms = $5, exit_debounce_ms = $6,
           starts_at = $7, ends_at = $8, timezone = $9, offer = $10, brand = $11, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
        [
          id,
          next.name,
          next.status,
          JSON.stringify(next.fence),
          next.dwellSeconds * 1000,
          next.exitDebounceSeconds * 1000,
          next.startsAt,
          next.endsAt,
          next.timezone,
          next.offer === undefined ? null : JSON.stringify(next.offer),
          next.brand ?? null,
        ],
      );
      const campaign = toCampaign(updated[0]!);
      await this.#history(tx, campaign, by);
      return campaign;
    });
  }

  /** Soft delete: the row and its history stay for the ledger; it ends and disappears from lists. */
  async remove(id: string, by: string): Promise<Campaign> {
    const ended = await this.update(id, { status: 'ended' }, by);
    await this.records.query('UPDATE campaigns SET deleted_at = now() WHERE id = $1', [id]);
    return ended;
  }

  async history(id: string): Promise<Array<{ version: number; changedBy: string }>> {
    const rows = await this.records.query<{ version: number; changed_by: string }>(
      'SELECT version, changed_by FROM campaign_versions WHERE campaign_id = $1 ORDER BY version',
      [id],
    );
    return rows.map((r) => ({ version: r.version, changedBy: r.changed_by }));
  }

  async #history(tx: Queryable, campaign: Campaign, by: string): Promise<void> {
    await tx.query(
      'INSERT INTO campaign_versions (campaign_id, version, body, changed_by) VALUES ($1, $2, $3, $4)',
      [campaign.id, campaign.version, JSON.stringify(campaign), by],
    );
  }
}
