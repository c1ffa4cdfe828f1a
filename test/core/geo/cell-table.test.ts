import { CellTable } from '@hexcast/core';
import { describe, expect, it } from 'vitest';
import { prng } from '../../fixtures/random-fences.js';

describe('CellTable', () => {
  it('behaves like a Map over 52-bit keys through growth, deletes and reuse', () => {
    const table = new CellTable(16);
    const reference = new Map<number, number>();
    const rand = prng(11);
    const keys: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      const op = rand();
      if (op < 0.6 || keys.length === 0) {
        const key = Math.floor(rand() * 2 ** 52);
        const value = Math.floor(rand() * 2 ** 31);
        keys.push(key);
        table.set(key, value);
        reference.set(key, value);
      } else if (op < 0.8) {
        const key = keys[Math.floor(rand() * keys.length)]!;
        expect(table.delete(key)).toBe(reference.delete(key));
      } else {
        const key = keys[Math.floor(rand() * keys.length)]!;
        expect(table.get(key)).toBe(reference.get(key) ?? -1);
      }
    }
    expect(table.size).toBe(reference.size);
    for (const [key, value] of reference) expect(table.get(key)).toBe(value);
    expect(table.get(2 ** 52 + 12345)).toBe(-1);
  });
});
