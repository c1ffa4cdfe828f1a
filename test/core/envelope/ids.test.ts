import { validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { newEnvelopeId } from '../../../core/src/envelope/ids.js';

describe('envelope ids', () => {
  it('are RFC 9562 UUIDv7s carrying the millisecond they were made in', () => {
    const at = Date.now() + 10_000_000; // a millisecond later than any id made before
    const id = newEnvelopeId(at);
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(7);
    expect(id[19]).toMatch(/[89ab]/); // the variant bits 10
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sort in the order they were made, within a millisecond, across pool refills and when the clock steps back', () => {
    const base = Date.now() + 20_000_000;
    const ids: string[] = [];
    for (let i = 0; i < 5_000; i++) ids.push(newEnvelopeId(base + Math.floor(i / 1_000)));
    // The clock goes back a second: ids keep increasing (the counter goes on from the last one).
    for (let i = 0; i < 1_000; i++) ids.push(newEnvelopeId(base - 1_000));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `id ${i}`).toBe(true);
  });

  it('draw fresh random bits for every id (the pool is refilled, never reused)', () => {
    const tails = new Set<string>();
    for (let i = 0; i < 2_000; i++) tails.add(newEnvelopeId().slice(24));
    expect(tails.size).toBe(2_000);
  });
});
