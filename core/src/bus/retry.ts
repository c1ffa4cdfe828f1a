import { isHexcastError } from '../errors/index.js';

export interface RetryPolicy {
  retries: number;
  initialMs: number;
  maxMs: number;
}

/** Exponential backoff with full jitter, capped. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** A HexcastError that says it is not retriable is not retried; anything else may be. */
export function isRetriable(error: unknown): boolean {
  return !isHexcastError(error) || error.retriable;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
