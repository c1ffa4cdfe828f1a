import type { Queryable } from '../records/index.js';

export interface Device {
  id: string;
  region: string;
  platform: string;
  /** IANA time zone for local-time rules (quiet hours, daily caps); unknown → the campaign's. */
  timezone?: string | null;
  /** Audience tags set by the app backend. */
  tags?: string[];
}

interface Row {
  id: string;
  region: string;
  platform: string;
  timezone: string | null;
  tags: string[] | string;
}

const toDevice = (r: Row): Device => ({
  id: r.id,
  region: r.region,
  platform: r.platform,
  timezone: r.timezone,
  tags: typeof r.tags === 'string' ? (JSON.parse(r.tags) as string[]) : r.tags,
});

export class DeviceRepository {
  constructor(readonly db: Queryable) {}

  /** Registers a device, or refreshes it (a re-install keeps its id). */
  async register(device: Device, by: string): Promise<Device> {
    const rows = await this.db.query<Row>(
      `INSERT INTO devices (id, region, platform, registered_by, timezone, tags) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET region = EXCLUDED.region, platform = EXCLUDED.platform,
         timezone = EXCLUDED.timezone, tags = EXCLUDED.tags, last_token_at = now()
       RETURNING id, region, platform, timezone, tags`,
      [
        device.id,
        device.region,
        device.platform,
        by,
        device.timezone ?? null,
        JSON.stringify(device.tags ?? []),
      ],
    );
    return toDevice(rows[0]!);
  }

  async get(id: string): Promise<Device | null> {
    const rows = await this.db.query<Row>(
      'SELECT id, region, platform, timezone, tags FROM devices WHERE id = $1',
      [id],
    );
    return rows[0] === undefined ? null : toDevice(rows[0]);
  }

  /** Several devices in one statement: each id's device, or null, in the order asked. */
  async getMany(ids: readonly string[]): Promise<Array<Device | null>> {
    const rows = await this.db.query<Row>(
      'SELECT id, region, platform, timezone, tags FROM devices WHERE id = ANY($1::text[])',
      [[...new Set(ids)]],
    );
    const byId = new Map(rows.map((r) => [r.id, toDevice(r)]));
    return ids.map((id) => byId.get(id) ?? null);
  }
}
