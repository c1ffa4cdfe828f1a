import type { PostScore, PostStore, SocialPost } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

export interface PostStoreFixture {
  impl: PostStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 11, 1, 12);

export const socialPost = (channel: string, postId: string, over: Partial<SocialPost> = {}): SocialPost => ({
  channel,
  postId,
  brand: 'delta',
  matchedBrands: ['delta'],
  matchedRules: ['test'],
  author: { id: `a-${postId}`, handle: 'someone', followers: 10 },
  text: `post ${postId} about Delta ✈️ — "quoted", ünïcödé`,
  language: 'en',
  createdAt: T0,
  engagement: { likes: 1, shares: 0, replies: 0 },
  ...over,
});

const negative: PostScore = { compound: -0.8, label: 'negative', reason: 'delay', modelVersion: 'm1' };
const positive: PostScore = { compound: 0.6, label: 'positive', modelVersion: 'm1' };

/** Every PostStore (the message DB engines) passes this. */
export function postStoreContract(name: string, factory: () => Promise<PostStoreFixture>): void {
  describe(`PostStore contract: ${name}`, () => {
    it('stores a post once with its score; the same post again keeps the score, takes higher engagement, and says it is not new', async () => {
      const f = await factory();
      try {
        const s = f.impl;
        const p = socialPost('x', '1');
        expect(await s.upsert([{ post: p, score: negative, now: T0 }])).toEqual([negative]);
        const stored = await s.get('x', '1');
        expect(stored?.post).toEqual(p);
        expect(stored?.score).toEqual(negative);
        expect(stored?.announced).toBe(false);
        // Not announced yet: a redelivery still has to announce it, with the stored score.
        expect(await s.upsert([{ post: p, score: positive, now: T0 + 1 }])).toEqual([negative]);
        await s.announced([{ channel: 'x', postId: '1' }]);
        const more = socialPost('x', '1', { engagement: { likes: 9, shares: 2, replies: 1 } });
        expect(await s.upsert([{ post: more, score: positive, now: T0 + 2 }])).toEqual([null]);
        const older = socialPost('x', '1', { engagement: { likes: 3, shares: 0, replies: 0 } });
        expect(await s.upsert([{ post: older, score: positive, now: T0 + 3 }])).toEqual([null]);
        const after = (await s.get('x', '1'))!;
        expect(after.score).toEqual(negative);
        expect(after.post.engagement).toEqual({ likes: 9, shares: 2, replies: 1 });
        expect(after.announced).toBe(true);
        expect(after.receivedAt).toBe(T0);
        expect(after.updatedAt).toBe(T0 + 3);
        expect(await s.get('x', 'missing')).toBeNull();
        // Same post id on another channel is another post.
        expect(await s.upsert([{ post: socialPost('facebook', '1'), score: positive, now: T0 }])).toEqual([
          positive,
        ]);
      } finally {
        await f.cleanup();
      }
    });

    it("answers a batch in order, and lists a brand's posts newest first, by class, in pages", async () => {
      const f = await factory();
      try {
        const s = f.impl;
        const items = Array.from({ length: 30 }, (_, i) => ({
          post: socialPost(i % 2 === 0 ? 'x' : 'instagram', `p${i}`, {
            createdAt: T0 + i * 1000,
            brand: i < 25 ? 'delta' : 'united',
          }),
          score: i % 3 === 0 ? negative : positive,
          now: T0,
        }));
        await s.upsert(items.slice(0, 10));
        await s.announced(items.slice(0, 10).map((i) => i.post));
        expect(await s.upsert(items)).toEqual(items.map((item, i) => (i >= 10 ? item.score : null)));
        const page1 = await s.list({ brand: 'delta', limit: 10 });
        expect(page1.map((p) => p.post.postId)).toEqual(Array.from({ length: 10 }, (_, i) => `p${24 - i}`));
        const page2 = await s.list({ brand: 'delta', limit: 10, before: page1.at(-1)!.post.createdAt });
        expect(page2.map((p) => p.post.postId)).toEqual(Array.from({ length: 10 }, (_, i) => `p${14 - i}`));
        const negatives = await s.list({ brand: 'delta', label: 'negative', limit: 100 });
        expect(negatives.map((p) => p.post.postId)).toEqual([
          'p24',
          'p21',
          'p18',
          'p15',
          'p12',
          'p9',
          'p6',
          'p3',
          'p0',
        ]);
        expect((await s.list({ brand: 'united', limit: 100 })).length).toBe(5);
        expect(await s.list({ brand: 'nobody', limit: 10 })).toEqual([]);
      } finally {
        await f.cleanup();
      }
    });
  });
}
