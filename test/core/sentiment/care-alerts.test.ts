import {
  alertPriority,
  CareAlerts,
  migrate,
  PgliteRecords,
  type Records,
  type SocialPost,
} from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasService, usePgRecords } from '../../helpers/services.js';

const post = (postId: string, authorId: string, followers = 100, conversationId?: string): SocialPost => ({
  channel: 'x',
  postId,
  brand: 'delta',
  matchedBrands: ['delta'],
  matchedRules: ['delta'],
  author: { id: authorId, handle: authorId, followers },
  text: 'Delta lost my bag and nobody answers',
  createdAt: Date.now(),
  engagement: { likes: 0, shares: 0, replies: 0 },
  ...(conversationId === undefined ? {} : { conversationId }),
});
const negative = (compound: number) => ({
  compound,
  label: 'negative' as const,
  reason: 'lost_item',
  modelVersion: 't',
});

/** The care queue's grouping, on each records engine: one alert per post at most, a group's posts joining its open alert. */
function careAlertsContract(
  name: string,
  open: () => Promise<{ records: Records; cleanup(): Promise<void> }>,
) {
  describe(`care alerts: ${name}`, () => {
    let records: Records;
    let cleanup: () => Promise<void>;
    let alerts: CareAlerts;
    beforeAll(async () => {
      ({ records, cleanup } = await open());
      await migrate(records);
      alerts = new CareAlerts(records);
    });
    afterAll(async () => cleanup());

    it('a batch raises one alert per author or conversation; later posts join it, in the batch or after; a post never raises twice', async () => {
      const first = await alerts.raiseForPosts([
        { post: post('p1', 'ann'), score: negative(-0.2) },
        { post: post('p2', 'bob'), score: negative(-0.5) },
        { post: post('p3', 'ann', 50_000), score: negative(-0.9) },
        { post: post('p4', 'cat', 10, 'thread-1'), score: negative(-0.4) },
        { post: post('p5', 'dan', 10, 'thread-1'), score: negative(-0.4) },
      ]);
      expect(first.map((a) => a !== null)).toEqual([true, true, false, true, false]);
      const ann = await alerts.get(first[0]!.id);
      expect(ann.posts).toBe(2);
      // p3's reach raises the group's priority above what p1 alone gives.
      const p3 = alertPriority(post('p3', 'ann', 50_000), negative(-0.9));
      expect(p3).toBeGreaterThan(alertPriority(post('p1', 'ann'), negative(-0.2)));
      expect(ann.priority).toBeCloseTo(p3, 3);
      expect((await alerts.get(first[3]!.id)).posts).toBe(2);

      // Again (a replay), and a new post by ann: nothing new is raised — a replayed post that raised
      // an alert gets that alert back (to announce it again), p6 joins ann's, which grows by one.
      const again = await alerts.raiseForPosts([
        { post: post('p1', 'ann'), score: negative(-0.2) },
        { post: post('p6', 'ann'), score: negative(-0.3) },
        { post: post('p2', 'bob'), score: negative(-0.5) },
        { post: post('p5', 'dan', 10, 'thread-1'), score: negative(-0.4) },
      ]);
      expect(again.map((a) => a?.id ?? null)).toEqual([first[0]!.id, null, first[1]!.id, null]);
      expect((await alerts.get(first[0]!.id)).posts).toBe(3);
      expect((await alerts.get(first[1]!.id)).posts).toBe(1);

      // Once ann's alert is resolved, her next post raises a new one.
      await alerts.claim(first[0]!.id, 'agent', 60_000);
      await alerts.resolve(first[0]!.id, 'agent', 'refunded');
      const [next] = await alerts.raiseForPosts([{ post: post('p7', 'ann'), score: negative(-0.6) }]);
      expect(next).not.toBeNull();
      expect(next!.id).not.toBe(first[0]!.id);
      const list = await alerts.list({ limit: 10 });
      expect(list.map((a) => a.id).sort()).toEqual([first[1]!.id, first[3]!.id, next!.id].sort());
      expect(await alerts.raiseForPost(post('p8', 'eve'), negative(-0.7))).not.toBeNull();
    });
  });
}

careAlertsContract('PGlite', async () => {
  const records = await PgliteRecords.open(null);
  return { records, cleanup: () => records.close() };
});

describe.skipIf(!hasService('postgres'))('postgres', () => {
  careAlertsContract('PostgreSQL', () => usePgRecords());
});
