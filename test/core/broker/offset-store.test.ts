import fs, { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { OffsetStore } from '@hexcast/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startBroker, tempDir } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait-for.js';

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) d.remove();
});
const dir = () => {
  const d = tempDir('hx-offsets-');
  dirs.push(d);
  return d.dir;
};
const syncAsync = (store: OffsetStore) =>
  new Promise<Error | null>((resolve) => store.syncAsync((error) => resolve(error)));

describe('committed offsets on disk (OffsetStore)', () => {
  it('rewrites its file compactly once the commits appended outgrow it, keeping the latest of each', () => {
    const at = dir();
    const file = path.join(at, 'group-offsets.jsonl');
    const store = new OffsetStore(at);
    // ~3 MB of commits to 12 partitions of 3 groups, as busy consumers make them every 200 ms.
    let largest = 0;
    for (let round = 0; round < 10_000; round++) {
      for (const group of ['g1', 'g2', 'g3'])
        store.commit(
          group,
          Array.from({ length: 12 }, (_, p) => ({
            topic: 'hx.clicks',
            partition: p,
            offset: round * 100 + p,
            metadata: null,
          })),
        );
      largest = Math.max(largest, statSync(file).size);
    }
    store.close();
    // Without compaction the file would hold every line (~3 MB); with it, never much over 1 MB.
    expect(largest).toBeLessThan(1.2 * 2 ** 20);
    const reopened = new OffsetStore(at);
    for (const group of ['g1', 'g2', 'g3'])
      for (let p = 0; p < 12; p++) expect(reopened.get(group, 'hx.clicks', p)?.offset).toBe(9_999 * 100 + p);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(36);
    reopened.close();
  });

  it('fsyncs on the thread pool: the event loop turns before it is done', async () => {
    const at = dir();
    const store = new OffsetStore(at);
    store.commit('g', [{ topic: 't', partition: 0, offset: 7, metadata: 'm' }]);
    const blocking = vi.spyOn(fs, 'fdatasyncSync');
    let turned = false;
    const synced = syncAsync(store);
    setImmediate(() => {
      turned = true;
    });
    expect(await synced).toBeNull();
    expect(blocking).not.toHaveBeenCalled();
    expect(turned).toBe(true);
    store.close();
    const reopened = new OffsetStore(at);
    expect(reopened.get('g', 't', 0)).toEqual({ offset: 7, metadata: 'm' });
    reopened.close();
  });

  it("a broker's interval flush fsyncs committed offsets off the event loop", async () => {
    const data = dir();
    const broker = await startBroker({ dataDir: data, flush: 'interval', flushIntervalMs: 20 });
    const blocking = vi.spyOn(fs, 'fdatasyncSync');
    const background = vi.spyOn(fs, 'fdatasync');
    try {
      // An admin's commit (generation -1, no member), as OffsetCommit from `kcat` or kafkajs' admin makes it.
      expect(
        broker.groups.commit('flushed', -1, '', [{ topic: 't', partition: 0, offset: 3, metadata: null }]),
      ).toBe(0);
      await waitFor(() => background.mock.calls.length > 0, {
        message: 'an interval flush ran after the commit',
      });
      expect(blocking).not.toHaveBeenCalled();
    } finally {
      await broker.close();
    }
    const reopened = new OffsetStore(path.join(data, 'groups'));
    expect(reopened.get('flushed', 't', 0)?.offset).toBe(3);
    reopened.close();
  });
});
