import { createHmac } from 'node:crypto';
import { dataDirSecret, type HexcastConfig } from '../config/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The coupon code of one decision: `PREFIX-XXXX-XXXX-XXXX`, 60 bits of HMAC-SHA-256 over the
 * decision and campaign in Crockford base32 (no I, L, O, U). Unguessable without the secret, and
 * the same on a replay, so a replayed decision re-sends the same coupon instead of a new one.
 */
export function couponCode(secret: string, decisionId: string, campaignId: string, prefix: string): string {
  const mac = createHmac('sha256', secret).update(`${decisionId}\n${campaignId}`).digest();
  let bits = 0n;
  for (let i = 0; i < 8; i++) bits = (bits << 8n) | BigInt(mac[i]!);
  bits >>= 4n; // 60 bits
  let out = '';
  for (let i = 0; i < 12; i++) {
    out = CROCKFORD[Number(bits & 31n)]! + out;
    bits >>= 5n;
  }
  return `${prefix}-${out.slice(0, 4)}-${out.slice(4, 8)}-${out.slice(8)}`;
}

/** Codes typed at a till: upper-cased, spaces dropped, Crockford's look-alikes read as digits. */
export function normaliseCode(input: string): string {
  const [prefix, ...rest] = input.trim().toUpperCase().replace(/\s+/g, '').split('-');
  const body = rest.join('-').replace(/[OIL]/g, (c) => (c === 'O' ? '0' : '1'));
  return rest.length === 0 ? (prefix ?? '') : `${prefix}-${body}`;
}

/** The coupon-code HMAC secret: from config, else generated once into `<dataDir>/offer-code.secret`. */
export function offerCodeSecret(config: Readonly<HexcastConfig>): string {
  return dataDirSecret(config, config.offers.codeSecret, 'HX_OFFERS_CODE_SECRET', 'offer-code.secret');
}
