import { type Static, Type } from '@sinclair/typebox';
import { HexcastError } from '../errors/index.js';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const Country = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' });
const Address = Type.Object(
  {
    country: Country,
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    lng: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  },
  { additionalProperties: false },
);

/**
 * A payment to score: ids and fingerprints, never a card number (`assertNoPan`). The same shape
 * arrives by `POST /v1/payments` and on `hx.payments`; `@hexcast/models`' generator writes it.
 */
export const Payment = Type.Object(
  {
    paymentId: Id,
    merchantId: Id,
    /** Major units (12.5 = 12.50). */
    amount: Type.Number({ exclusiveMinimum: 0, maximum: 1e9 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217' }),
    card: Type.Object(
      {
        /** A stable hash of the card from the payment processor — never the number. */
        fingerprint: Type.String({ minLength: 8, maxLength: 128 }),
        binCountry: Country,
      },
      { additionalProperties: false },
    ),
    customer: Type.Object(
      {
        id: Id,
        /** Hash of the normalised e-mail address. */
        emailHash: Type.String({ minLength: 8, maxLength: 128 }),
        /** When the merchant's account was opened (epoch ms). */
        accountCreatedAt: Type.Optional(Type.Integer({ minimum: 0 })),
      },
      { additionalProperties: false },
    ),
    /** The Hexcast SDK's device id, when the app embeds it: the payment is checked against its position. */
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    ip: Type.Optional(Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9A-Fa-f.:]+$' })),
    billing: Type.Optional(Address),
    shipping: Type.Optional(Address),
    items: Type.Optional(
      Type.Array(
        Type.Object(
          {
            sku: Type.String({ minLength: 1, maxLength: 64 }),
            quantity: Type.Integer({ minimum: 1, maximum: 100_000 }),
            unitPrice: Type.Number({ minimum: 0, maximum: 1e9 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
    /** When the order was placed (epoch ms). */
    createdAt: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Payment = Static<typeof Payment>;

/**
 * 13–19 digits, single spaces or dashes allowed between them, standing alone: not touching a
 * letter or another digit (a hex hash's digit runs touch its letters, and are not card numbers).
 */
const DIGIT_RUN = /(?<![0-9A-Za-z])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])/g;
/** Epoch-ms fields: 13-digit integers that are times, not card numbers. */
const TIME_FIELDS = new Set(['createdAt', 'accountCreatedAt']);

/**
 * Refuses anything that looks like a card number: a run of 13–19 digits (spaces and dashes
 * allowed between them) passing the Luhn check, in any string or integer of `value` (epoch-ms
 * time fields excepted), keys included. The error names the field's path, never its value, so the number reaches no log.
 */
export function assertNoPan(value: unknown): void {
  const path = findPan(value, '');
  if (path !== null)
    throw new HexcastError(
      'HX_PAYMENT_PAN_REFUSED',
      `a field looks like a card number (${path || 'the body'}): send the processor's card fingerprint, never the number`,
      { details: { path } },
    );
}

function findPan(value: unknown, path: string): string | null {
  if (typeof value === 'string') return looksLikePan(value) ? path : null;
  if (typeof value === 'number')
    return Number.isInteger(value) &&
      !TIME_FIELDS.has(path.slice(path.lastIndexOf('/') + 1)) &&
      looksLikePan(String(value))
      ? path
      : null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const hit = findPan(item, `${path}/${i}`);
      if (hit !== null) return hit;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (looksLikePan(key)) return `${path}/(a key)`;
      const hit = findPan(item, `${path}/${key}`);
      if (hit !== null) return hit;
    }
  }
  return null;
}

export function looksLikePan(text: string): boolean {
  for (const run of text.match(DIGIT_RUN) ?? []) {
    if (luhn(run.replace(/[ -]/g, ''))) return true;
  }
  return false;
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
