import { DEFAULT_RETENTION, type EntityObservation, MemoryFraudState } from '@hexcast/core';
import { describe, expect, it } from 'vitest';
import { fraudStateContract } from '../../contracts/fraud-state.contract.js';

fraudStateContract('memory', async () => ({ impl: new MemoryFraudState(), cleanup: async () => undefined }));

describe('MemoryFraudState replay window', () => {
  const at = Date.UTC(2026, 10, 2, 12);
  const card = (paymentId: string, t: number): EntityObservation => ({
    kind: 'card',
    id: 'c1',
    paymentId,
    at: t,
    amount: 10,
  });

  it('answers a redelivery the same within a minute, and keeps no answer longer (memory stays bounded)', async () => {
    let clock = at;
    const s = new MemoryFraudState(undefined, () => clock);
    await s.observe([card('p1', at)]);
    const [first] = await s.observe([card('p2', at + 1_000)]);
    clock += 59_000;
    const [again] = await s.observe([card('p2', at + 1_000)]);
    expect(again).toEqual(first);
    expect(again).toMatchObject({ count1m: 1 });
    // Past the window the answer is gone: a redelivery now is a new payment to the state.
    clock += 2_000;
    const [late] = await s.observe([card('p2', at + 1_000)]);
    expect(late).toMatchObject({ count1m: 2, amounts: { n: 2 } });
  });

  it('keeps answers for `replayMs` when given a retention', async () => {
    let clock = at;
    const s = new MemoryFraudState({ ...DEFAULT_RETENTION, replayMs: 10 * 60_000 }, () => clock);
    const [first] = await s.observe([card('p1', at)]);
    clock += 9 * 60_000;
    expect((await s.observe([card('p1', at)]))[0]).toEqual(first);
  });
});
