import {
  ApiKeyRepository,
  CampaignRepository,
  DeviceRepository,
  type HexcastError,
  MIGRATIONS,
  migrate,
  type Records,
} from '@hexcast/core';
import { describe, expect, it } from 'vitest';

export interface RecordsFixture {
  impl: Records;
  cleanup(): Promise<void>;
}

const input = {
  name: 'Lunch at the Louvre',
  fence: { type: 'Circle' as const, center: [2.3376, 48.8606] as [number, number], radiusM: 150 },
  dwellSeconds: 120,
  exitDebounceSeconds: 60,
  startsAt: '2026-11-01T00:00:00.000Z',
  endsAt: '2026-12-01T00:00:00.000Z',
  timezone: 'Europe/Paris',
};

/** Every records engine passes this: migrations, transactions and the repositories on top. */
export function recordsContract(name: string, factory: () => Promise<RecordsFixture>): void {
  describe(`Records contract: ${name}`, () => {
    it('applies migrations once and rolls back a failed transaction', async () => {
      const f = await factory();
      expect(await migrate(f.impl)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await migrate(f.impl)).toEqual([]);
      await expect(
        f.impl.transaction(async (tx) => {
          await tx.query(
            "INSERT INTO devices (id, region, platform, registered_by) VALUES ('d-tx', 'eu', 'ios', 't')",
          );
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await f.impl.query("SELECT id FROM devices WHERE id = 'd-tx'")).toEqual([]);
      await f.cleanup();
    });

    it('migration 3 renames the two cooldowns of campaigns stored before it, history included', async () => {
      const f = await factory();
      expect(await migrate(f.impl, MIGRATIONS.slice(0, 2))).toEqual([1, 2]);
      const old = { ...input, cooldownSeconds: 45, offer: { title: 'x', budget: 5, cooldownSeconds: 3600 } };
      await f.impl.query(
        `INSERT INTO campaigns (id, version, name, status, fence, dwell_ms, cooldown_ms, starts_at, ends_at, timezone, offer)
         VALUES ('c-old', 1, 'old', 'active', $1, 120000, 45000, $2, $3, 'UTC', $4)`,
        [JSON.stringify(input.fence), input.startsAt, input.endsAt, JSON.stringify(old.offer)],
      );
      await f.impl.query(
        "INSERT INTO campaign_versions (campaign_id, version, body, changed_by) VALUES ('c-old', 1, $1, 't')",
        [JSON.stringify(old)],
      );
      expect(await migrate(f.impl)).toEqual(MIGRATIONS.slice(2).map((m) => m.version));
      const campaign = await new CampaignRepository(f.impl).get('c-old');
      expect(campaign).toMatchObject({ exitDebounceSeconds: 45, offer: { couponGapSeconds: 3600 } });
      expect(JSON.stringify(campaign)).not.toContain('cooldown');
      const [{ body }] = (await f.impl.query<{ body: unknown }>(
        "SELECT body FROM campaign_versions WHERE campaign_id = 'c-old'",
      )) as [{ body: unknown }];
      const history = typeof body === 'string' ? JSON.parse(body) : body;
      expect(history).toMatchObject({ exitDebounceSeconds: 45, offer: { couponGapSeconds: 3600 } });
      expect(JSON.stringify(history)).not.toContain('cooldown');
      await f.cleanup();
    });

    it('stores API keys hashed and authenticates them', async () => {
      const f = await factory();
      await migrate(f.impl);
      const keys = new ApiKeyRepository(f.impl);
      const { token, identity } = await keys.create('marketer', 'spring team');
      const stored = await f.impl.query<{ secret_hash: string }>('SELECT secret_hash FROM api_keys');
      // The secret is everything after `hx_<id>_` (base64url: it may hold `_` itself).
      const secret = token.slice(token.indexOf('_', 3) + 1);
      expect(secret.length).toBeGreaterThanOrEqual(40);
      expect(JSON.stringify(stored)).not.toContain(secret);
      expect(await keys.authenticate(token)).toEqual(identity);
      expect(await keys.authenticate(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
      expect(await keys.authenticate('Bearer nonsense')).toBeNull();
      expect(await keys.revoke(identity.id)).toBe(true);
      expect(await keys.authenticate(token)).toBeNull();
      await f.cleanup();
    });

    it('versions campaigns and refuses stale updates', async () => {
      const f = await factory();
      await migrate(f.impl);
      const campaigns = new CampaignRepository(f.impl);
      const created = await campaigns.create(input, 'key-1');
      expect(created).toMatchObject({ version: 1, status: 'draft', dwellSeconds: 120, fence: input.fence });
      const active = await campaigns.update(created.id, { status: 'active' }, 'key-2', 1);
      expect(active.version).toBe(2);
      const stale = await campaigns.update(created.id, { name: 'x' }, 'key-1', 1).catch((e: unknown) => e);
      expect((stale as HexcastError).code).toBe('HX_CAMPAIGN_VERSION_CONFLICT');
      const bad = await campaigns
        .update(created.id, { endsAt: '2020-01-01T00:00:00.000Z' }, 'key-1')
        .catch((e: unknown) => e);
      expect((bad as HexcastError).code).toBe('HX_CAMPAIGN_INVALID');
      expect((await campaigns.list()).map((c) => c.id)).toEqual([created.id]);
      expect(await campaigns.history(created.id)).toEqual([
        { version: 1, changedBy: 'key-1' },
        { version: 2, changedBy: 'key-2' },
      ]);
      await campaigns.remove(created.id, 'key-2');
      expect(await campaigns.get(created.id)).toBeNull();
      expect(await campaigns.list()).toEqual([]);
      await f.cleanup();
    });

    it('registers devices idempotently', async () => {
      const f = await factory();
      await migrate(f.impl);
      const devices = new DeviceRepository(f.impl);
      await devices.register({ id: 'd1', region: 'eu', platform: 'ios' }, 'k');
      await devices.register(
        { id: 'd1', region: 'us', platform: 'ios', timezone: 'America/Chicago', tags: ['vip'] },
        'k',
      );
      expect(await devices.get('d1')).toEqual({
        id: 'd1',
        region: 'us',
        platform: 'ios',
        timezone: 'America/Chicago',
        tags: ['vip'],
      });
      // A re-registration without them clears them (the app backend states the device as it is now).
      await devices.register({ id: 'd1', region: 'us', platform: 'ios' }, 'k');
      expect(await devices.get('d1')).toMatchObject({ timezone: null, tags: [] });
      expect(await devices.get('nope')).toBeNull();
      await f.cleanup();
    });

    it('reads several devices in one call, in the order asked, null for unknown ones', async () => {
      const f = await factory();
      await migrate(f.impl);
      const devices = new DeviceRepository(f.impl);
      await devices.register({ id: 'd1', region: 'eu', platform: 'ios', tags: ['vip'] }, 'k');
      await devices.register({ id: 'd2', region: 'us', platform: 'android', timezone: 'UTC' }, 'k');
      const many = await devices.getMany(['d2', 'nope', 'd1', 'd2']);
      expect(many).toEqual([await devices.get('d2'), null, await devices.get('d1'), await devices.get('d2')]);
      expect(many[2]).toMatchObject({ id: 'd1', tags: ['vip'] });
      expect(await devices.getMany([])).toEqual([]);
      await f.cleanup();
    });
  });
}
