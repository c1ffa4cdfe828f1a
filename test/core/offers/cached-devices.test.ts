import { CachedDevices } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

/** A directory that records how it was asked. */
function directory(known: Record<string, string>) {
  const calls: string[][] = [];
  return {
    calls,
    source: {
      get: async (id: string) => {
        calls.push([id]);
        return known[id] ?? null;
      },
      getMany: async (ids: string[]) => {
        calls.push(ids);
        return ids.map((id) => known[id] ?? null);
      },
    },
  };
}

describe('CachedDevices', () => {
  it("reads one turn's misses in one call, an id asked twice once, and answers each caller", async () => {
    const { calls, source } = directory({ a: 'A', b: 'B', c: 'C' });
    const devices = new CachedDevices(source, 60_000);
    const answers = await Promise.all(['a', 'b', 'a', 'x', 'c'].map((id) => devices.get(id)));
    expect(answers).toEqual(['A', 'B', 'A', null, 'C']);
    expect(calls).toEqual([['a', 'b', 'x', 'c']]);
    // Cached now, except the unknown one (it may register a moment later).
    expect(await Promise.all(['a', 'b', 'c', 'x'].map((id) => devices.get(id)))).toEqual([
      'A',
      'B',
      'C',
      null,
    ]);
    expect(calls).toEqual([['a', 'b', 'x', 'c'], ['x']]);
  });

  it('reads again once an entry is older than its time to live', async () => {
    const { calls, source } = directory({ a: 'A' });
    let now = 0;
    const devices = new CachedDevices(source, 1_000, 100, () => now);
    await devices.get('a');
    now = 999;
    await devices.get('a');
    now = 1_000;
    await devices.get('a');
    expect(calls).toEqual([['a'], ['a']]);
  });

  it('a failed read fails every caller waiting on it, and the next asks again', async () => {
    let fail = true;
    const source = {
      get: async () => null,
      getMany: async (ids: string[]) => {
        if (fail) throw new Error('database down');
        return ids.map((id) => id.toUpperCase());
      },
    };
    const devices = new CachedDevices(source, 60_000);
    const both = await Promise.allSettled([devices.get('a'), devices.get('a')]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await devices.get('a')).toBe('A');
  });

  it('without getMany, asks the source one id at a time', async () => {
    const calls: string[] = [];
    const devices = new CachedDevices(
      {
        get: async (id: string) => {
          calls.push(id);
          return id;
        },
      },
      60_000,
    );
    expect(await Promise.all(['a', 'b', 'a'].map((id) => devices.get(id)))).toEqual(['a', 'b', 'a']);
    expect(calls).toEqual(['a', 'b']);
  });
});
