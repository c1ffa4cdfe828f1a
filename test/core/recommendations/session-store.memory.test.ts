import { MemorySessionStore } from '@hexcast/core';
import { describe, expect, it } from 'vitest';
import { sessionStoreContract } from '../../contracts/session-store.contract.js';

sessionStoreContract('memory', async (options) => ({
  impl: new MemorySessionStore(options),
  cleanup: async () => undefined,
}));

describe('MemorySessionStore', () => {
  it('renews a session on each click, and its sweep drops the expired oldest first without touching the live', async () => {
    let now = 0;
    const s = new MemorySessionStore({ ttlMs: 100, maxClicks: 5, now: () => now });
    await s.append('old', { id: 'c1', productId: 'a', action: 'view', at: 0 });
    now = 60;
    await s.append('busy', { id: 'c1', productId: 'a', action: 'view', at: 60 });
    now = 90;
    await s.append('old', { id: 'c2', productId: 'b', action: 'view', at: 90 }); // renewed until 190
    now = 170; // busy's 160 passed; old lives on
    expect(s.sweep()).toBe(1);
    expect((await s.clicks('old')).length).toBe(2);
    expect(await s.clicks('busy')).toEqual([]);
    now = 190;
    expect(s.sweep()).toBe(1);
    expect(await s.count()).toBe(0);
  });
});
