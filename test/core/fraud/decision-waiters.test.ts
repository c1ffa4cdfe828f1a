import { DecisionWaiters } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

describe('decision waiters', () => {
  it('read nothing until the decision settles, then read it at once', async () => {
    const waiters = new DecisionWaiters();
    let reads = 0;
    let stored: string | null = null;
    const expected = waiters.expect('shop', 'p1');
    // A poll tick far beyond the test: only the settlement can wake the wait.
    const answer = expected.wait(
      60_000,
      async () => {
        reads++;
        return stored;
      },
      60_000,
    );
    await new Promise((r) => setImmediate(r));
    expect(reads).toBe(0);
    stored = 'approve';
    waiters.settled('shop', 'p1');
    expect(await answer).toBe('approve');
    expect(reads).toBe(1);
  });

  it('a decision settled between the publish and the wait is read at once', async () => {
    const waiters = new DecisionWaiters();
    const expected = waiters.expect('shop', 'p2');
    waiters.settled('shop', 'p2');
    expect(await expected.wait(60_000, async () => 'decline', 60_000)).toBe('decline');
  });

  it('polls when nothing settles (the worker in another process), and gives up at the deadline', async () => {
    const waiters = new DecisionWaiters();
    let reads = 0;
    const found = await waiters
      .expect('shop', 'p3')
      .wait(60_000, async () => (++reads === 3 ? 'review' : null), 5);
    expect(found).toBe('review');
    expect(reads).toBe(3);
    let late = 0;
    const gaveUp = await waiters.expect('shop', 'p4').wait(
      30,
      async () => {
        late++;
        return null;
      },
      10,
    );
    expect(gaveUp).toBeNull();
    expect(late).toBeGreaterThanOrEqual(1);
  });
});
