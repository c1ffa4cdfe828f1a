import { jwtVerify, SignJWT } from 'jose';
import { dataDirSecret, type HexcastConfig } from '../config/index.js';
import { HexcastError } from '../errors/index.js';

export const DEVICE_TOKEN_AUDIENCE = 'hexcast-gateway';
export const DEVICE_TOKEN_ISSUER = 'hexcast-api';

export interface DeviceClaims {
  sub: string;
  region: string;
  exp: number;
}

/** Short-lived device tokens (HS256 JWT, jose): `sub` = device id, `region`, expiry. */
export class DeviceTokens {
  readonly #key: Uint8Array;

  constructor(
    secret: string,
    readonly ttlSeconds = 900,
  ) {
    if (Buffer.byteLength(secret) < 32)
      throw new HexcastError('HX_CONFIG_INVALID', 'device token secret needs at least 32 bytes');
    this.#key = new TextEncoder().encode(secret);
  }

  async issue(
    deviceId: string,
    region: string,
    now = Date.now(),
  ): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(now / 1000);
    const exp = iat + this.ttlSeconds;
    const token = await new SignJWT({ region })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(deviceId)
      .setIssuer(DEVICE_TOKEN_ISSUER)
      .setAudience(DEVICE_TOKEN_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.#key);
    return { token, expiresAt: exp * 1000 };
  }

  /** Verifies signature, issuer, audience and expiry; throws HX_AUTH_TOKEN_INVALID otherwise. */
  async verify(token: string, now = Date.now()): Promise<DeviceClaims> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        issuer: DEVICE_TOKEN_ISSUER,
        audience: DEVICE_TOKEN_AUDIENCE,
        algorithms: ['HS256'],
        currentDate: new Date(now),
      });
      if (
        typeof payload.sub !== 'string' ||
        typeof payload.region !== 'string' ||
        typeof payload.exp !== 'number'
      ) {
        throw new Error('missing claims');
      }
      return { sub: payload.sub, region: payload.region, exp: payload.exp };
    } catch (cause) {
      throw new HexcastError('HX_AUTH_TOKEN_INVALID', 'device token is invalid or expired', { cause });
    }
  }
}

/** The device-token secret: from config, else generated once into `<dataDir>/device-token.secret`. */
export function deviceTokenSecret(config: Readonly<HexcastConfig>): string {
  return dataDirSecret(
    config,
    config.auth.deviceTokenSecret,
    'HX_DEVICE_TOKEN_SECRET',
    'device-token.secret',
  );
}
