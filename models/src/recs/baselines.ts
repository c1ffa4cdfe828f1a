import type { ItemScores, NextClickRecommender } from './scores.js';
import type { SessionCorpus } from './sessions.js';

// The standard baselines of session-based recommendation, as the data's README names them
// (Ludewig & Jannach 2018): most popular, item-kNN over session co-occurrence, and V-SKNN.

/** Neighbour lists per item: `items[offsets[i] … offsets[i+1])` with their `weights`, best first. */
export interface ItemNeighbours {
  offsets: Int32Array;
  items: Int32Array;
  weights: Float32Array;
}

/** Packs per-item score maps into `ItemNeighbours`, keeping each item's `keep` best. */
export function packNeighbours(maps: ReadonlyArray<Map<number, number>>, keep: number): ItemNeighbours {
  const offsets = new Int32Array(maps.length + 1);
  const lists = maps.map((m) =>
    [...m]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, keep)
      .filter(([, w]) => w > 0),
  );
  lists.forEach((l, i) => {
    offsets[i + 1] = offsets[i]! + l.length;
  });
  const items = new Int32Array(offsets[maps.length]!);
  const weights = new Float32Array(items.length);
  lists.forEach((l, i) => {
    l.forEach(([item, w], k) => {
      items[offsets[i]! + k] = item;
      weights[offsets[i]! + k] = w;
    });
  });
  return { offsets, items, weights };
}

/** Clicks per item over the corpus. */
export function clickCounts(corpus: SessionCorpus): Float64Array {
  const counts = new Float64Array(corpus.vocabulary.size);
  for (const s of corpus.sessions) for (const item of s) counts[item]!++;
  return counts;
}

/** The same list for everyone: the most clicked items. */
export class MostPopular implements NextClickRecommender {
  readonly name = 'popular';
  readonly #top: Int32Array;
  readonly #scores: Float64Array;

  constructor(corpus: SessionCorpus, keep = 100) {
    const counts = clickCounts(corpus);
    const order = [...counts.keys()].sort((a, b) => counts[b]! - counts[a]! || a - b).slice(0, keep);
    this.#top = Int32Array.from(order);
    const max = counts[order[0] ?? 0] ?? 1;
    this.#scores = Float64Array.from(order, (i) => counts[i]! / max);
  }

  score(_session: ArrayLike<number>, into: ItemScores): void {
    for (let k = 0; k < this.#top.length; k++) into.add(this.#top[k]!, this.#scores[k]!);
  }
}

/**
 * Item-kNN (session-rec's `iknn`): items that share sessions with the last click, by cosine
 * similarity of their session sets, the rarer side regularised by `lambda` extra sessions.
 */
export class ItemKnn implements NextClickRecommender {
  readonly name = 'item-knn';
  readonly neighbours: ItemNeighbours;

  constructor(corpus: SessionCorpus, options: { lambda?: number; keep?: number } = {}) {
    const lambda = options.lambda ?? 20;
    const support = new Float64Array(corpus.vocabulary.size);
    const co = Array.from({ length: corpus.vocabulary.size }, () => new Map<number, number>());
    for (const s of corpus.sessions) {
      const items = [...new Set(s)];
      for (const a of items) {
        support[a]!++;
        const row = co[a]!;
        for (const b of items) if (a !== b) row.set(b, (row.get(b) ?? 0) + 1);
      }
    }
    for (const [a, row] of co.entries()) {
      for (const [b, n] of row) row.set(b, n / (Math.sqrt(support[a]! + lambda) * Math.sqrt(support[b]!)));
    }
    this.neighbours = packNeighbours(co, options.keep ?? 200);
  }

  score(session: ArrayLike<number>, into: ItemScores): void {
    const last = session[session.length - 1];
    if (last === undefined) return;
    const { offsets, items, weights } = this.neighbours;
    for (let k = offsets[last]!; k < offsets[last + 1]!; k++) into.add(items[k]!, weights[k]!);
  }
}

/**
 * Sessions per item, most recent first, at most `keep` each: the "most recent candidate sessions"
 * of a session-kNN are among the first `keep` of each of its items' lists, so truncating is exact.
 */
export function sessionsByItem(corpus: SessionCorpus, keep: number): ItemNeighbours {
  const lists = Array.from({ length: corpus.vocabulary.size }, () => [] as number[]);
  for (let n = corpus.sessions.length - 1; n >= 0; n--) {
    for (const item of new Set(corpus.sessions[n]!)) {
      const list = lists[item]!;
      if (list.length < keep) list.push(n);
    }
  }
  const offsets = new Int32Array(lists.length + 1);
  lists.forEach((l, i) => {
    offsets[i + 1] = offsets[i]! + l.length;
  });
  const items = new Int32Array(offsets[lists.length]!);
  for (const [i, l] of lists.entries()) items.set(l, offsets[i]!);
  return { offsets, items, weights: new Float32Array(0) };
}

export interface SessionKnnOptions {
  name?: string;
  /** Neighbours scored from (100). */
  k?: number;
  /** Candidates: the most recent sessions sharing an item with the current one (1,000). */
  sample?: number;
  /**
   * How a click's weight falls with its distance d from the last click: `linear` 1 − 0.1·d (V-SKNN),
   * or exp(−d / λ) for a number λ (STAN's λ1).
   */
  decay?: 'linear' | number;
  /** Cosine-normalise similarities by √(|current|·|neighbour|) (STAN); off in V-SKNN. */
  normalise?: boolean;
  /** Weigh a neighbour by exp(−age / λ) seconds before the corpus's latest session (STAN's λ2). */
  recencySeconds?: number;
  /** Weigh a neighbour's item by exp(−distance / λ) from the shared click (STAN's λ3). */
  neighbourPosition?: number;
}

/**
 * Session kNN. With no options it is V-SKNN (Ludewig & Jannach 2018): the current session as a
 * vector whose last click weighs 1 and each older one 0.1 less (0 from ten clicks back); a past
 * session's similarity is the dot product with its binary item set; the `k` most similar of the
 * `sample` most recent candidates vote for their items with their similarity. The options add
 * STAN's refinements (Garg et al. 2019): exponential decay in the current session, cosine
 * normalisation, recency of the neighbour and the distance of each item from the shared click.
 */
export class SessionKnn implements NextClickRecommender {
  readonly name: string;
  /** Every past session's items in one array: session n is `#flat[#starts[n] … #starts[n+1])`. */
  readonly #flat: Int32Array;
  readonly #starts: Int32Array;
  readonly #bySession: ItemNeighbours;
  readonly #k: number;
  readonly #sample: number;
  readonly #decay: 'linear' | number;
  readonly #normalise: boolean;
  readonly #recency: number;
  readonly #position: number;
  readonly #latest: number;
  readonly #similarity: Float64Array;
  readonly #anchor: Int32Array;
  readonly #stamp: Int32Array;
  /** Per past session: 1/√length (when normalising) × its recency weight, computed once. */
  readonly #sessionFactor: Float64Array;
  /** exp(−d/λ) for the in-session decay and the neighbour position, d = 0 … 63. */
  readonly #decayTable: Float64Array;
  readonly #positionTable: Float64Array;
  readonly #itemStamp: Int32Array;
  #epoch = 0;
  readonly #candidates: number[] = [];
  readonly #voters: number[] = [];
  #selection = new Float64Array(0);

  constructor(corpus: SessionCorpus, options: SessionKnnOptions = {}) {
    this.name = options.name ?? 'v-sknn';
    this.#starts = new Int32Array(corpus.sessions.length + 1);
    for (const [n, items] of corpus.sessions.entries()) this.#starts[n + 1] = this.#starts[n]! + items.length;
    this.#flat = new Int32Array(this.#starts[corpus.sessions.length]!);
    for (const [n, items] of corpus.sessions.entries()) this.#flat.set(items, this.#starts[n]!);
    this.#k = options.k ?? 100;
    this.#sample = options.sample ?? 1000;
    this.#decay = options.decay ?? 'linear';
    this.#normalise = options.normalise ?? false;
    this.#recency = options.recencySeconds ?? 0;
    this.#position = options.neighbourPosition ?? 0;
    this.#latest = corpus.ends[corpus.ends.length - 1] ?? 0;
    this.#bySession = sessionsByItem(corpus, this.#sample);
    this.#similarity = new Float64Array(corpus.sessions.length);
    this.#anchor = new Int32Array(corpus.sessions.length);
    this.#stamp = new Int32Array(corpus.sessions.length);
    this.#itemStamp = new Int32Array(corpus.vocabulary.size);
    this.#sessionFactor = Float64Array.from(corpus.sessions, (items, n) => {
      let f = this.#normalise ? 1 / Math.sqrt(items.length) : 1;
      if (this.#recency > 0) f *= Math.exp(-(this.#latest - corpus.ends[n]!) / this.#recency);
      return f;
    });
    this.#decayTable = Float64Array.from({ length: 64 }, (_, d) => this.#weightOf(d));
    this.#positionTable = Float64Array.from({ length: 64 }, (_, d) =>
      this.#position > 0 ? Math.exp(-d / this.#position) : 1,
    );
  }

  #weightOf(distance: number): number {
    return this.#decay === 'linear' ? Math.max(0, 1 - 0.1 * distance) : Math.exp(-distance / this.#decay);
  }

  #weight(distance: number): number {
    return distance < 64 ? this.#decayTable[distance]! : this.#weightOf(distance);
  }

  #positionWeight(distance: number): number {
    return distance < 64 ? this.#positionTable[distance]! : Math.exp(-distance / this.#position);
  }

  /** Fills the candidates with the sample's sessions, their similarities and anchors. */
  #gather(session: ArrayLike<number>): void {
    const epoch = ++this.#epoch;
    const candidates = this.#candidates;
    candidates.length = 0;
    const { offsets, items } = this.#bySession;
    let distinct = 0;
    for (let p = session.length - 1; p >= 0; p--) {
      const item = session[p]!;
      if (this.#itemStamp[item] === epoch) continue; // an item weighs as its latest click
      this.#itemStamp[item] = epoch;
      distinct++;
      const w = this.#weight(session.length - 1 - p);
      for (let j = offsets[item]!; j < offsets[item + 1]!; j++) {
        const n = items[j]!;
        if (this.#stamp[n] !== epoch) {
          this.#stamp[n] = epoch;
          this.#similarity[n] = 0;
          this.#anchor[n] = item; // the most recent click the two sessions share
          candidates.push(n);
        }
        this.#similarity[n]! += w;
      }
    }
    if (candidates.length > this.#sample) {
      const recent = Int32Array.from(candidates).sort(); // session number = recency rank
      candidates.length = 0;
      for (let i = recent.length - this.#sample; i < recent.length; i++) candidates.push(recent[i]!);
    }
    if (this.#normalise || this.#recency > 0) {
      const scale = this.#normalise ? 1 / Math.sqrt(distinct) : 1;
      for (const n of candidates) this.#similarity[n]! *= scale * this.#sessionFactor[n]!;
    }
  }

  /** The candidates that vote: all with a similarity when they are `k` or fewer, else the `k` most similar (ties: the more recent). */
  #neighbours(): number[] {
    const sim = this.#similarity;
    const voters = this.#voters; // reused: the caller reads it before the next call
    voters.length = 0;
    for (const n of this.#candidates) if (sim[n]! > 0) voters.push(n);
    if (voters.length <= this.#k) return voters; // every one votes: their order does not matter
    if (this.#selection.length < voters.length) this.#selection = new Float64Array(voters.length * 2);
    const sims = this.#selection.subarray(0, voters.length);
    for (let i = 0; i < voters.length; i++) sims[i] = sim[voters[i]!]!;
    sims.sort();
    const threshold = sims[voters.length - this.#k]!;
    const above = voters.filter((n) => sim[n]! > threshold);
    const ties = voters.filter((n) => sim[n] === threshold).sort((a, b) => b - a);
    for (let i = 0; above.length < this.#k; i++) above.push(ties[i]!);
    return above;
  }

  score(session: ArrayLike<number>, into: ItemScores): void {
    if (session.length === 0) return;
    this.#gather(session);
    const sim = this.#similarity;
    const flat = this.#flat;
    const starts = this.#starts;
    for (const n of this.#neighbours()) {
      const s = sim[n]!;
      const start = starts[n]!;
      const end = starts[n + 1]!;
      if (this.#position <= 0) {
        for (let q = start; q < end; q++) into.add(flat[q]!, s);
        continue;
      }
      // The shared click's last place in the neighbour; its items weigh less the farther from it.
      const shared = this.#anchor[n]!;
      let anchor = end - 1;
      while (anchor > start && flat[anchor] !== shared) anchor--;
      for (let q = start; q < end; q++) into.add(flat[q]!, s * this.#positionWeight(Math.abs(q - anchor)));
    }
  }
}

/**
 * Sequential rules (Ludewig & Jannach 2018's SR): b after a within `steps` clicks in a session
 * counts 1/distance; the last click's rules score the next.
 */
export class SequentialRules implements NextClickRecommender {
  readonly name = 'sequential-rules';
  readonly rules: ItemNeighbours;

  constructor(corpus: SessionCorpus, options: { steps?: number; keep?: number } = {}) {
    const steps = options.steps ?? 10;
    const maps = Array.from({ length: corpus.vocabulary.size }, () => new Map<number, number>());
    for (const s of corpus.sessions) {
      for (let i = 0; i < s.length; i++) {
        const row = maps[s[i]!]!;
        for (let j = i + 1; j < s.length && j - i <= steps; j++) {
          if (s[j] !== s[i]) row.set(s[j]!, (row.get(s[j]!) ?? 0) + 1 / (j - i));
        }
      }
    }
    this.rules = packNeighbours(maps, options.keep ?? 200);
  }

  score(session: ArrayLike<number>, into: ItemScores): void {
    const last = session[session.length - 1];
    if (last === undefined) return;
    const { offsets, items, weights } = this.rules;
    for (let k = offsets[last]!; k < offsets[last + 1]!; k++) into.add(items[k]!, weights[k]!);
  }
}
