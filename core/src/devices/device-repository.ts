import type { Queryable } from '../records/records.js';

export interface Device {
  id: string;
  region: string;
  platform: string;
}

export class DeviceRepository {
  constructor(readonly db: Queryable) {}

  /** Registers a device, or refreshes it (a re-install keeps its id). */
  async register(device: Device, by: string): Promise<Device> {
    const rows = await this.db.query<Device>(
      `INSERT INTO devices (id, region, platform, registered_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET region = EXCLUDED.region, platform = EXCLUDED.platform, last_token_at = now()
       RETURNING id, region, platform`,
      [device.id, device.region, device.platform, by],
    );
    return rows[0]!;
  }

  async get(id: string): Promise<Device | null> {
    const rows = await this.db.query<Device>('SELECT id, region, platform FROM devices WHERE id = $1', [id]);
    return rows[0] ?? null;
  }
}
