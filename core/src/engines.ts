import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { HexcastConfig } from './config/index.js';
import { HexcastError } from './errors/index.js';
import type { Component } from './lifecycle/index.js';
import type { Logger } from './observability/index.js';
import { migrate, PgliteRecords, PgRecords, type Records } from './records/index.js';
import { type DeviceStateStore, MemoryDeviceStateStore, RedisDeviceStateStore } from './state/index.js';

/** Records: PostgreSQL when DATABASE_URL is set, else PGlite in `<dataDir>/records`; migrated. */
export async function openRecords(config: Readonly<HexcastConfig>, logger: Logger): Promise<Records> {
  let records: Records;
  try {
    records = config.databaseUrl
      ? new PgRecords(config.databaseUrl)
      : await PgliteRecords.open(path.resolve(config.dataDir, 'records'));
    const applied = await migrate(records);
    logger.info({ engine: records.engine, migrationsApplied: applied }, 'records ready');
  } catch (cause) {
    throw new HexcastError(
      'HX_RECORDS_UNAVAILABLE',
      `records database unavailable: ${(cause as Error).message}`,
      { cause },
    );
  }
  return records;
}

/** One shared Redis command connection when REDIS_URL is set. */
export function openRedis(config: Readonly<HexcastConfig>): Redis | null {
  return config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 3, enableAutoPipelining: true })
    : null;
}

/** A component that closes a service's Redis connection when the service stops. */
export function redisConnection(redis: Redis): Component {
  return { name: 'redis', start: async () => undefined, close: async () => void (await redis.quit()) };
}

export function deviceStateStore(redis: Redis | null): DeviceStateStore {
  return redis === null ? new MemoryDeviceStateStore() : new RedisDeviceStateStore(redis);
}

/**
 * The device-token secret: from config, else (one machine, dev) generated once into
 * `<dataDir>/device-token.secret` (mode 600) so the API and gateways of this data dir agree.
 */
export function deviceTokenSecret(config: Readonly<HexcastConfig>): string {
  return dataDirSecret(
    config,
    config.auth.deviceTokenSecret,
    'HX_DEVICE_TOKEN_SECRET',
    'device-token.secret',
  );
}

/** The coupon-code HMAC secret: from config, else generated once into `<dataDir>/offer-code.secret`. */
export function offerCodeSecret(config: Readonly<HexcastConfig>): string {
  return dataDirSecret(config, config.offers.codeSecret, 'HX_OFFERS_CODE_SECRET', 'offer-code.secret');
}

function dataDirSecret(
  config: Readonly<HexcastConfig>,
  configured: string | undefined,
  variable: string,
  fileName: string,
): string {
  if (configured !== undefined) return configured;
  if (config.env === 'production') {
    throw new HexcastError(
      'HX_CONFIG_INVALID',
      `invalid configuration at ${variable}: required in production`,
      {
        details: { source: variable },
      },
    );
  }
  const file = path.resolve(config.dataDir, fileName);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return readFileSync(file, 'utf8').trim();
}
