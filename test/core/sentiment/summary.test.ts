import { SentimentSummary, type Spike } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 3, 9, 0);

describe('live sentiment summary', () => {
  it('buckets posts per brand × channel and minute, counts a post once, and reads 1/5/15/60-minute views with top hashtags, terms and reasons', () => {
    let now = T0 + 30_000;
    const s = new SentimentSummary({ spikeMinPosts: 100, spikeMargin: 0.3, now: () => now });
    const add = (postId: string, minute: number, label: 'negative' | 'neutral' | 'positive', extra = {}) =>
      s.add({
        brand: 'delta',
        channel: 'x',
        postId,
        compound: label === 'negative' ? -0.6 : label === 'positive' ? 0.6 : 0,
        label,
        hashtags: ['delta'],
        terms: ['flight'],
        createdAt: T0 + minute * MIN,
        ...extra,
      });
    add('a', 0, 'negative', { reason: 'delay', hashtags: ['late', 'delta'] });
    add('a', 0, 'negative', { reason: 'delay' }); // again: counted once
    add('b', 0, 'positive');
    add('c', -10, 'negative', { reason: 'lost_item' });
    add('old', -70, 'negative'); // older than the hour kept
    s.add({
      brand: 'united',
      channel: 'x',
      postId: 'u',
      compound: 0.5,
      label: 'positive',
      hashtags: [],
      terms: [],
      createdAt: T0,
    });
    const [one] = s.views({ brand: 'delta', windowMinutes: 1 });
    expect(one).toMatchObject({ volume: 2, negativeShare: 0.5, meanCompound: 0 });
    expect(one!.topHashtags[0]).toEqual({ value: 'delta', count: 2 });
    const [hour] = s.views({ brand: 'delta', windowMinutes: 60 });
    expect(hour!.volume).toBe(3);
    expect(hour!.topReasons).toEqual([
      { value: 'delay', count: 1 },
      { value: 'lost_item', count: 1 },
    ]);
    expect(hour!.minutes).toHaveLength(60);
    expect(s.views({ windowMinutes: 60 }).map((v) => v.brand)).toEqual(['delta', 'united']);
    now += 20 * MIN;
    expect(s.views({ brand: 'delta', windowMinutes: 15 })).toEqual([]);
  });

  it("raises one spike when a minute's negative share rises far above the last half hour's, pauses the brand's mood, and ends it when the share falls back", () => {
    let now = T0;
    const spikes: Spike[] = [];
    const s = new SentimentSummary({
      spikeMinPosts: 10,
      spikeMargin: 0.3,
      now: () => now,
      onSpike: (x) => spikes.push(x),
    });
    let n = 0;
    const minute = (m: number, negatives: number, total: number) => {
      now = T0 + m * MIN + 30_000;
      for (let i = 0; i < total; i++)
        s.add({
          brand: 'delta',
          channel: 'x',
          postId: `p${n++}`,
          compound: i < negatives ? -0.7 : 0.4,
          label: i < negatives ? 'negative' : 'positive',
          hashtags: [],
          terms: [],
          createdAt: T0 + m * MIN,
        });
    };
    for (let m = 0; m < 20; m++) minute(m, 2, 20); // baseline: 10% negative
    expect(spikes).toEqual([]);
    expect(s.brandMood('delta')).toBeGreaterThan(0);
    minute(20, 14, 20); // 70% negative: far above 10% + 30 points
    expect(spikes).toHaveLength(1);
    expect(spikes[0]).toMatchObject({ brand: 'delta', channel: 'x', minute: T0 + 20 * MIN, volume: 10 }); // as soon as the minute has enough posts
    expect(spikes[0]!.negativeShare).toBeGreaterThan(0.5);
    expect(spikes[0]!.baseline).toBeCloseTo(0.1);
    expect(s.brandMood('delta')).toBe(-1);
    minute(21, 16, 20); // still spiking: no second alert
    expect(spikes).toHaveLength(1);
    minute(22, 2, 20); // back near the baseline: over
    expect(s.brandMood('delta')).toBeGreaterThan(-1);
    expect(s.views({ brand: 'delta', windowMinutes: 5 })[0]!.spike).toBe(false);
    minute(23, 18, 20); // a new episode is a new spike
    expect(spikes).toHaveLength(2);
    // A minute under spikeMinPosts never spikes, however negative.
    const quiet = new SentimentSummary({
      spikeMinPosts: 10,
      spikeMargin: 0.3,
      now: () => now,
      onSpike: (x) => spikes.push(x),
    });
    for (let i = 0; i < 9; i++)
      quiet.add({
        brand: 'b',
        channel: 'x',
        postId: `q${i}`,
        compound: -1,
        label: 'negative',
        hashtags: [],
        terms: [],
        createdAt: now,
      });
    expect(spikes).toHaveLength(2);
    expect(quiet.brandMood('b')).toBeNull(); // under 10 posts: no opinion
  });
});
