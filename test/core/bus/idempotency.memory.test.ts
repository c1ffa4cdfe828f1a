import { MemoryIdempotencyStore } from '@hexcast/core';
import { expect, it } from 'vitest';
import { idempotencyContract } from '../../contracts/idempotency.contract.js';

idempotencyContract('memory', async () => {
  let now = 1_000;
  return {
    impl: new MemoryIdempotencyStore(() => now),
    advance: async (ms) => {
      now += ms;
    },
    cleanup: async () => undefined,
  };
});

it('memory store stays within its bound', async () => {
  const store = new MemoryIdempotencyStore(() => 0, 100);
  for (let i = 0; i < 1000; i++) await store.claim(`id-${i}`, 60_000);
  expect(store.size).toBeLessThanOrEqual(100);
  expect(await store.claim('id-999', 60_000)).toBe(false); // the newest survive
});
