import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HexcastError } from '../errors/index.js';
import type { HexcastConfig } from './schema.js';

/**
 * A secret from config, else (one machine, dev) generated once into `<dataDir>/<fileName>`
 * (mode 600) so every process of this data dir agrees. Production requires it configured.
 */
export function dataDirSecret(
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
