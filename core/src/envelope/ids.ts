import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

/** Random bytes drawn 4 KiB at a time: `uuid`'s own v7 asks the CSPRNG for 16 bytes per id. */
const pool = new Uint8Array(4096);
let used = pool.length;
/** The last id's millisecond and its 32-bit counter (RFC 9562 §6.2 method 1, as `uuid` keeps it). */
let msecs = -Infinity;
let seq = 0;

/**
 * A fresh UUIDv7, monotonic within this process: a new millisecond starts the counter at random,
 * the same millisecond adds one (and a wrapped counter borrows the next millisecond). `uuid` lays
 * out the bytes; only where its random bytes come from differs (~0.35 µs an id against ~2.3 µs).
 */
export function newEnvelopeId(now = Date.now()): string {
  if (used + 16 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const random = pool.subarray(used, used + 16);
  used += 16;
  if (now > msecs) {
    msecs = now;
    seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    seq = (seq + 1) | 0;
    if (seq === 0) msecs++;
  }
  return v7({ random, msecs, seq });
}
