import { createHmac, timingSafeEqual } from 'node:crypto';

// The one webhook signature Hexcast speaks, both ways: merchants verify the fraud webhooks with it,
// and any channel or vendor signs the posts it pushes to the generic social webhook with it.

/**
 * `Hexcast-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the shared
 * secret>` — the receiver recomputes it over the raw body and refuses an old `t`.
 */
export function webhookSignature(secret: string, body: string | Buffer, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export type SignatureProblem = 'missing' | 'malformed' | 'stale' | 'mismatch';

/**
 * Checks a `Hexcast-Signature` header against the raw body: null when it is good, else what is
 * wrong. `t` must be within `toleranceSeconds` of now (either way), so a captured request cannot
 * be replayed later; several `v1=` values (a secret being rotated) pass if one matches.
 */
export function checkWebhookSignature(
  secret: string,
  header: string | undefined,
  body: Buffer,
  nowSeconds: number,
  toleranceSeconds = 300,
): SignatureProblem | null {
  if (header === undefined || header === '') return 'missing';
  const parts = header.split(',').map((p) => p.trim().split('=') as [string, string | undefined]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const macs = parts
    .filter(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v))
    .map(([, v]) => v!);
  if (!Number.isInteger(t) || macs.length === 0) return 'malformed';
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return 'stale';
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex'));
  return macs.some((m) => timingSafeEqual(Buffer.from(m), expected)) ? null : 'mismatch';
}

/** Meta's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`. */
export function checkHubSignature(
  appSecret: string,
  header: string | undefined,
  body: Buffer,
): SignatureProblem | null {
  if (header === undefined || header === '') return 'missing';
  const match = /^sha256=([0-9a-f]{64})$/.exec(header.trim());
  if (match === null) return 'malformed';
  const expected = Buffer.from(createHmac('sha256', appSecret).update(body).digest('hex'));
  return timingSafeEqual(Buffer.from(match[1]!), expected) ? null : 'mismatch';
}
