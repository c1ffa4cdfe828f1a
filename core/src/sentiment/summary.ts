// The live summary: per brand × channel, one-minute tumbling buckets (by the post's time) kept
// for an hour, read as 1/5/15/60-minute sliding views; and the spike detector over them. Derived
// state: fed from `hx.sentiment`, rebuilt by reading it again.

const MINUTE = 60_000;
const KEEP_MINUTES = 61;
const BASELINE_MINUTES = 30;
const TOP = 5;
/** How far back the summary's feed reads at start: everything the summary keeps, and a minute's margin. */
export const SUMMARY_HISTORY_MS = (KEEP_MINUTES + 1) * MINUTE;

export interface ScoredPost {
  brand: string;
  channel: string;
  postId: string;
  compound: number;
  label: 'negative' | 'neutral' | 'positive';
  reason?: string;
  hashtags: readonly string[];
  terms: readonly string[];
  createdAt: number;
}

interface Bucket {
  posts: number;
  compound: number;
  negatives: number;
  hashtags: Map<string, number>;
  terms: Map<string, number>;
  reasons: Map<string, number>;
}

export interface SummaryView {
  brand: string;
  channel: string;
  windowMinutes: number;
  volume: number;
  meanCompound: number | null;
  negativeShare: number | null;
  topHashtags: Array<{ value: string; count: number }>;
  topTerms: Array<{ value: string; count: number }>;
  topReasons: Array<{ value: string; count: number }>;
  /** Per minute, oldest first: the trend. */
  minutes: Array<{
    minute: number;
    volume: number;
    negativeShare: number | null;
    meanCompound: number | null;
  }>;
  spike: boolean;
}

export interface Spike {
  brand: string;
  channel: string;
  /** Start of the minute (epoch ms) whose negative share spiked. */
  minute: number;
  negativeShare: number;
  baseline: number;
  volume: number;
}

export interface SummaryOptions {
  /** Posts a minute needs before its negative share can be a spike. */
  spikeMinPosts: number;
  /** How far above the baseline (the last 30 minutes' negative share) a spike is. */
  spikeMargin: number;
  onSpike?: (spike: Spike) => void;
  onChange?: (brand: string, channel: string) => void;
  now?: () => number;
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

function top(maps: readonly Map<string, number>[]): Array<{ value: string; count: number }> {
  const sum = new Map<string, number>();
  for (const m of maps) for (const [k, n] of m) sum.set(k, (sum.get(k) ?? 0) + n);
  return [...sum]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP)
    .map(([value, count]) => ({ value, count }));
}

export class SentimentSummary {
  readonly #series = new Map<string, { brand: string; channel: string; buckets: Map<number, Bucket> }>();
  /** Posts counted, by key → minute: a post read twice (a republish after a crash) counts once. */
  readonly #seen = new Map<string, number>();
  /** Series in a spike now, by series key → the spike. */
  readonly #spiking = new Map<string, Spike>();
  readonly #now: () => number;

  constructor(readonly options: SummaryOptions) {
    this.#now = options.now ?? Date.now;
  }

  add(post: ScoredPost): void {
    const now = this.#now();
    const minute = Math.floor(post.createdAt / MINUTE) * MINUTE;
    if (minute < now - KEEP_MINUTES * MINUTE) return;
    const postKey = `${post.channel}:${post.postId}`;
    if (this.#seen.has(postKey)) return;
    this.#seen.set(postKey, minute);
    const key = `${post.brand}\u0000${post.channel}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { brand: post.brand, channel: post.channel, buckets: new Map() };
      this.#series.set(key, series);
    }
    let bucket = series.buckets.get(minute);
    if (bucket === undefined) {
      bucket = {
        posts: 0,
        compound: 0,
        negatives: 0,
        hashtags: new Map(),
        terms: new Map(),
        reasons: new Map(),
      };
      series.buckets.set(minute, bucket);
    }
    bucket.posts++;
    bucket.compound += post.compound;
    if (post.label === 'negative') {
      bucket.negatives++;
      if (post.reason !== undefined) bump(bucket.reasons, post.reason);
    }
    for (const h of post.hashtags) bump(bucket.hashtags, h);
    for (const t of post.terms) bump(bucket.terms, t);
    this.#detect(key, series.buckets, minute);
    this.options.onChange?.(post.brand, post.channel);
    if (this.#seen.size % 1024 === 0) this.prune();
  }

  /** Drops minutes older than the hour kept. */
  prune(): void {
    const oldest = this.#now() - KEEP_MINUTES * MINUTE;
    for (const [k, m] of this.#seen) if (m < oldest) this.#seen.delete(k);
    for (const series of this.#series.values())
      for (const m of series.buckets.keys()) if (m < oldest) series.buckets.delete(m);
  }

  #detect(key: string, buckets: Map<number, Bucket>, minute: number): void {
    const current = buckets.get(minute)!;
    const { spikeMinPosts, spikeMargin } = this.options;
    let basePosts = 0;
    let baseNegatives = 0;
    for (let m = minute - BASELINE_MINUTES * MINUTE; m < minute; m += MINUTE) {
      const b = buckets.get(m);
      if (b === undefined) continue;
      basePosts += b.posts;
      baseNegatives += b.negatives;
    }
    const baseline = basePosts === 0 ? 0 : baseNegatives / basePosts;
    const share = current.negatives / current.posts;
    const active = this.#spiking.get(key);
    if (active !== undefined) {
      // Over when a full-enough minute after the spike's falls back near the baseline.
      if (
        minute > active.minute &&
        current.posts >= spikeMinPosts &&
        share < active.baseline + spikeMargin / 2
      )
        this.#spiking.delete(key);
      return;
    }
    if (current.posts >= spikeMinPosts && share >= baseline + spikeMargin) {
      const [brand, channel] = key.split('\u0000') as [string, string];
      const spike = { brand, channel, minute, negativeShare: share, baseline, volume: current.posts };
      this.#spiking.set(key, spike);
      this.options.onSpike?.(spike);
    }
  }

  /** True while any channel of the brand is in a spike that has had data in the last 5 minutes. */
  spiking(brand: string): boolean {
    const now = this.#now();
    for (const [key, spike] of this.#spiking) {
      if (spike.brand !== brand) continue;
      const buckets = this.#series.get(key)?.buckets;
      const latest = buckets === undefined ? 0 : Math.max(...buckets.keys());
      if (now - latest <= 5 * MINUTE) return true;
      this.#spiking.delete(key);
    }
    return false;
  }

  /**
   * The brand's mood for the offer engine: −1 while it is in a spike, else the mean compound of the
   * last 15 minutes over every channel (null under 10 posts: no opinion).
   */
  brandMood(brand: string): number | null {
    if (this.spiking(brand)) return -1;
    const views = this.views({ brand, windowMinutes: 15 });
    const volume = views.reduce((n, v) => n + v.volume, 0);
    if (volume < 10) return null;
    return views.reduce((s, v) => s + (v.meanCompound ?? 0) * v.volume, 0) / volume;
  }

  views(filter: { brand?: string; channel?: string; windowMinutes: number }): SummaryView[] {
    const now = this.#now();
    const last = Math.floor(now / MINUTE) * MINUTE;
    const first = last - (filter.windowMinutes - 1) * MINUTE;
    const out: SummaryView[] = [];
    for (const [key, series] of this.#series) {
      if (filter.brand !== undefined && series.brand !== filter.brand) continue;
      if (filter.channel !== undefined && series.channel !== filter.channel) continue;
      const buckets: Bucket[] = [];
      const minutes: SummaryView['minutes'] = [];
      for (let m = first; m <= last; m += MINUTE) {
        const b = series.buckets.get(m);
        if (b !== undefined) buckets.push(b);
        minutes.push({
          minute: m,
          volume: b?.posts ?? 0,
          negativeShare: b === undefined ? null : b.negatives / b.posts,
          meanCompound: b === undefined ? null : b.compound / b.posts,
        });
      }
      const volume = buckets.reduce((n, b) => n + b.posts, 0);
      if (volume === 0) continue;
      out.push({
        brand: series.brand,
        channel: series.channel,
        windowMinutes: filter.windowMinutes,
        volume,
        meanCompound: buckets.reduce((s, b) => s + b.compound, 0) / volume,
        negativeShare: buckets.reduce((s, b) => s + b.negatives, 0) / volume,
        topHashtags: top(buckets.map((b) => b.hashtags)),
        topTerms: top(buckets.map((b) => b.terms)),
        topReasons: top(buckets.map((b) => b.reasons)),
        minutes,
        spike: this.#spiking.has(key),
      });
    }
    return out.sort((a, b) => (a.brand + a.channel < b.brand + b.channel ? -1 : 1));
  }
}
