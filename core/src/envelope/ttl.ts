import type { Envelope } from './envelope.js';

/** A clock is injected everywhere time matters, so TTL logic is testable without sleeping. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

/** True once `now` has reached `expiresAt`: an event is worthless at its deadline, not after. */
export function isExpired(envelope: Pick<Envelope, 'expiresAt'>, now: number): boolean {
  return envelope.expiresAt !== undefined && now >= envelope.expiresAt;
}

/** Milliseconds left before expiry (never negative); `Infinity` when the event never expires. */
export function remainingMs(envelope: Pick<Envelope, 'expiresAt'>, now: number): number {
  if (envelope.expiresAt === undefined) return Number.POSITIVE_INFINITY;
  return Math.max(0, envelope.expiresAt - now);
}

/** An absolute deadline from a TTL, capped by an optional hard end (e.g. a campaign's end). */
export function deadlineFrom(now: number, ttlMs: number, notAfter?: number): number {
  const deadline = now + Math.max(0, ttlMs);
  return notAfter === undefined ? deadline : Math.min(deadline, notAfter);
}
