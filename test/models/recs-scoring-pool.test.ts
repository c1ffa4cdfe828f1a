import {
  type RecsArtifact,
  RecsModel,
  type ScoringPoolEvent,
  SessionScoringPool,
  trainRecs,
} from '@hexcast/models';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** 300 sessions over 40 items, each walking up the item numbers from a start: rankings of many items. */
async function artifact(version: string): Promise<RecsArtifact> {
  const sessions = Array.from({ length: 300 }, (_, i) => {
    const items = Array.from({ length: 2 + (i % 5) }, (_, k) => `p${(i * 7 + k * (1 + (i % 3))) % 40}`);
    return { id: String(i), items, times: items.map((_, k) => i * 100 + k) };
  });
  return trainRecs(sessions, { now: Date.UTC(2026, 11, 1), netEpochs: 0, version });
}

describe('SessionScoringPool: session rankings in worker threads', () => {
  let a: RecsArtifact;
  let model: RecsModel;
  let pool: SessionScoringPool;
  const events: ScoringPoolEvent[] = [];

  beforeAll(async () => {
    a = await artifact('recs-a');
    model = new RecsModel(a);
    pool = new SessionScoringPool({ threads: 2, batchSize: 4, onEvent: (e) => events.push(e) });
    pool.load(a);
  });
  afterAll(() => pool.close());

  it('give exactly the lists scored in process, for any session, filter, list size and ranking length, or null where a ranking cannot tell (property)', async () => {
    let nulls = 0;
    let exact = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.nat(45), { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 9 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 60 }),
        fc.nat(6),
        async (sessions, n, asked, skipEvery) => {
          // p40…p45 are not in the model: passed over, as forSession does.
          const clicks = sessions.map((s) => s.map((i) => `p${i}`));
          const skip = (id: string) => skipEvery > 0 && Number(id.slice(1)) % (skipEvery + 1) === 0;
          // Asked at once: they go to the threads in batches of 4 and a remainder.
          const rankings = await Promise.all(
            clicks.map((c) => pool.rank(model.sessionNumbers(c), asked, model.version)),
          );
          for (const [s, ranking] of rankings.entries()) {
            expect(ranking).not.toBeNull();
            const expected = model.forSession(clicks[s]!, n, skip);
            const list = model.fromRanking(ranking!, asked, n, skip);
            if (list === null) {
              // Only a ranking of the full length asked, with fewer than n items the filter
              // lets through, cannot tell.
              expect(ranking!.items.length).toBe(asked);
              expect(ranking!.items.filter((i) => !skip(model.vocabulary.ids[i]!)).length).toBeLessThan(n);
              nulls++;
            } else {
              expect(list).toEqual(expected);
              exact++;
            }
          }
        },
      ),
      { numRuns: 150 },
    );
    // Both outcomes were exercised.
    expect(nulls).toBeGreaterThan(0);
    expect(exact).toBeGreaterThan(nulls);
    expect(events).toEqual([]);
  });

  it('answer null for a model version the threads do not hold; after a load they hold it and the one before it', async () => {
    const session = model.sessionNumbers(['p1', 'p2']);
    expect(await pool.rank(session, 10, 'recs-b')).toBeNull();
    const b = await artifact('recs-b');
    pool.load(b);
    expect(await pool.rank(session, 10, 'recs-b')).not.toBeNull();
    expect(await pool.rank(session, 10, 'recs-a')).not.toBeNull();
    pool.load(await artifact('recs-c'));
    expect(await pool.rank(session, 10, 'recs-c')).not.toBeNull();
    expect(await pool.rank(session, 10, 'recs-b')).not.toBeNull();
    expect(await pool.rank(session, 10, 'recs-a')).toBeNull(); // two are kept
  });

  it('a thread that exits: its batch gets null, the exit is reported, and it starts again with the models it held', async () => {
    const crashEvents: ScoringPoolEvent[] = [];
    const crashing = new SessionScoringPool({
      entry: new URL('./fixtures/crashing-scoring-thread.ts', import.meta.url),
      onEvent: (e) => crashEvents.push(e),
    });
    try {
      // No thread before the first model.
      expect(crashing.running).toBe(0);
      expect(await crashing.rank(model.sessionNumbers(['p3']), 20, a.version)).toBeNull();
      crashing.load(a);
      expect(crashing.running).toBe(1);
      const fine = model.sessionNumbers(['p3', 'p4']);
      const expected = model.rankSession(fine, 20);
      expect(await crashing.rank(fine, 20, a.version)).toEqual(expected);
      // A batch whose first item is number 0 makes the fixture exit.
      const zero = new Int32Array([0, 1]);
      const [crashed, alongside] = await Promise.all([
        crashing.rank(zero, 20, a.version),
        crashing.rank(fine, 20, a.version),
      ]);
      expect(crashed).toBeNull();
      expect(alongside).toBeNull();
      expect(crashEvents).toEqual([
        expect.objectContaining({ kind: 'crashed', thread: 0, exitCode: 3, restartInMs: 100 }),
      ]);
      // Asked while it is down: null at once (the caller scores itself).
      expect(await crashing.rank(fine, 20, a.version)).toBeNull();
      // Back: it was sent the model again.
      while (crashing.running === 0) await new Promise((r) => setTimeout(r, 20));
      expect(await crashing.rank(fine, 20, a.version)).toEqual(expected);
    } finally {
      await crashing.close();
    }
    expect(await crashing.rank(model.sessionNumbers(['p3']), 20, a.version)).toBeNull();
  });
});
