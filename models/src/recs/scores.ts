/**
 * Scores over item numbers, sparse in use and dense in storage: adding is an array write, reset
 * touches only what was set, and the top n comes from a partial selection. One per recommender,
 * reused for every request (not shared between concurrent callers).
 */
export class ItemScores {
  readonly values: Float64Array;
  readonly #touched: Int32Array;
  #count = 0;

  constructor(items: number) {
    this.values = new Float64Array(items);
    this.#touched = new Int32Array(items);
  }

  get size(): number {
    return this.#count;
  }

  add(item: number, score: number): void {
    if (this.values[item] === 0) {
      if (score === 0) return;
      this.#touched[this.#count++] = item;
    }
    this.values[item]! += score;
  }

  reset(): void {
    for (let i = 0; i < this.#count; i++) this.values[this.#touched[i]!] = 0;
    this.#count = 0;
  }

  /** The largest score (0 when empty). */
  max(): number {
    let max = 0;
    for (let i = 0; i < this.#count; i++) max = Math.max(max, this.values[this.#touched[i]!]!);
    return max;
  }

  /** Calls `f` for every scored item. */
  forEach(f: (item: number, score: number) => void): void {
    for (let i = 0; i < this.#count; i++) {
      const item = this.#touched[i]!;
      const v = this.values[item]!;
      if (v !== 0) f(item, v);
    }
  }

  /** The `n` best items, best first (ties: the lower item number first), skipping `skip`'s items. */
  top(n: number, skip?: (item: number) => boolean): number[] {
    const heap: number[] = []; // a min-heap of the best n so far, by (score, −item)
    const worse = (a: number, b: number) => {
      const d = this.values[a]! - this.values[b]!;
      return d < 0 || (d === 0 && a > b);
    };
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    };
    for (let t = 0; t < this.#count; t++) {
      const item = this.#touched[t]!;
      if (this.values[item]! <= 0) continue;
      if (heap.length >= n && !worse(heap[0]!, item)) continue; // not among the best n
      if (skip?.(item)) continue;
      if (heap.length < n) {
        heap.push(item);
        for (let i = heap.length - 1; i > 0; ) {
          const p = (i - 1) >> 1;
          if (!worse(heap[i]!, heap[p]!)) break;
          [heap[i], heap[p]] = [heap[p]!, heap[i]!];
          i = p;
        }
      } else {
        heap[0] = item;
        down(0);
      }
    }
    return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
  }
}

/**
 * A next-click recommender: given the session so far (item numbers, oldest first), adds its scores
 * for candidate next items to `into`. Scores are comparable within one call only.
 */
export interface NextClickRecommender {
  readonly name: string;
  score(session: ArrayLike<number>, into: ItemScores): void;
}
