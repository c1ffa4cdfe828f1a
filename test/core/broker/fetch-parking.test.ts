import { expect, it } from 'vitest';
import { startBroker } from '../../helpers/broker.js';

const waiting = async (broker: Awaited<ReturnType<typeof startBroker>>) =>
  Number(/^hexcast_broker_fetches_waiting (\d+)/m.exec(await broker.metrics.text())?.[1]);

// A parked fetch that is not woken waits its whole (60 s) wait: these fail by the test's timeout.
it('parked fetches: an append to any partition of a fetch wakes it (and only those parked on it), a wait that ends leaves, closing wakes the rest', async () => {
  const broker = await startBroker();
  try {
    const onA0 = broker.waitForAppend([{ topic: 'a', partition: 0 }], 60_000);
    const onA0andB3 = broker.waitForAppend(
      [
        { topic: 'a', partition: 0 },
        { topic: 'b', partition: 3 },
      ],
      60_000,
    );
    const onB3 = broker.waitForAppend([{ topic: 'b', partition: 3 }], 60_000);
    const onA1 = broker.waitForAppend([{ topic: 'a', partition: 1 }], 60_000);
    const short = broker.waitForAppend([{ topic: 'a', partition: 1 }], 1);
    expect(await short).toBe(true); // its wait ended: answered, and gone from the partition's list
    expect(await waiting(broker)).toBe(4);

    const woken: string[] = [];
    for (const [name, p] of Object.entries({ onA0, onA0andB3, onB3, onA1 }))
      void p.then(() => woken.push(name));
    broker.notifyAppend('b', 3);
    expect(await onA0andB3).toBe(true);
    expect(await onB3).toBe(true);
    expect(woken.sort()).toEqual(['onA0andB3', 'onB3']);
    expect(await waiting(broker)).toBe(2);

    broker.notifyAppend('a', 0); // onA0andB3 left a/0's list when b/3 woke it: only onA0 is there
    expect(await onA0).toBe(true);
    expect(await waiting(broker)).toBe(1);

    // Parked again on lists that emptied and filled: the lists are reused.
    const again = broker.waitForAppend([{ topic: 'b', partition: 3 }], 60_000);
    broker.notifyAppend('b', 3);
    expect(await again).toBe(true);

    const closing = broker.close();
    expect(await onA1).toBe(false); // woken by the close: no data
    await closing;
    expect(await waiting(broker)).toBe(0);
  } finally {
    await broker.close().catch(() => undefined);
  }
});

it('a wait for minBytes stays parked through appends that add up to less, counting only its partitions, and answers once they reach it', async () => {
  const broker = await startBroker();
  try {
    const wait = broker.waitForAppend(
      [
        { topic: 'a', partition: 0 },
        { topic: 'a', partition: 1 },
      ],
      60_000,
      100,
    );
    broker.notifyAppend('a', 0, 40);
    broker.notifyAppend('a', 1, 40);
    broker.notifyAppend('b', 0, 500); // not one of its partitions
    expect(await waiting(broker)).toBe(1);
    broker.notifyAppend('a', 0, 20);
    expect(await wait).toBe(true);
    expect(await waiting(broker)).toBe(0);
  } finally {
    await broker.close();
  }
});
