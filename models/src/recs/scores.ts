/**
 * Scores over item numbers, sparse in use and dense in storage: adding is an array write, reset
 * touches only what was set, and the top n comes from a partial selection. One per recommender,
 * reused for every request (not shared between concurrent callers).
 */
export class ItemScores {
  readonly values: Float64Array;
  readonly #touched: Int32Array;
  /** 1 for an item in `#touched` (a score that came back to 0 is still listed once). */
  readonly #listed: Uint8Array;
  #count = 0;
  /** `#select`'s min-heap, grown to the largest n asked for. */
  #heap = new Int32Array(0);

  constructor(items: number) {
    this.values = new Float64Array(items);
    this.#touched = new Int32Array(items);
    this.#listed = new Uint8Array(items);
  }

  get size(): number {
    return this.#count;
  }

  add(item: number, score: number): void {
    if (this.#listed[item] === 0) {
      if (score === 0) return;
      this.#listed[item] = 1;
      this.#touched[this.#count++] = item;
    }
    this.values[item]! += score;
  }

  reset(): void {
    for (let i = 0; i < this.#count; i++) {
      const item = this.#touched[i]!;
      this.values[item] = 0;
      this.#listed[item] = 0;
    }
    this.#count = 0;
  }

  /** The largest score (0 when empty). */
  max(): number {
    const values = this.values;
    const touched = this.#touched;
    let max = 0;
    for (let i = 0; i < this.#count; i++) {
      const v = values[touched[i]!]!;
      if (v > max) max = v;
    }
    return max;
  }

  /** Sets every scored item's score to `(weight × score) / divisor`. */
  scale(weight: number, divisor: number): void {
    for (let i = 0; i < this.#count; i++) {
      const item = this.#touched[i]!;
      this.values[item] = (weight * this.values[item]!) / divisor;
    }
  }

  /** Adds every scored item's `(weight × score) / divisor` to `into`. */
  addTo(into: ItemScores, weight: number, divisor: number): void {
    for (let i = 0; i < this.#count; i++) {
      const item = this.#touched[i]!;
      const v = this.values[item]!;
      if (v !== 0) into.add(item, (weight * v) / divisor);
    }
  }

  /** The `n` best items, best first (ties: the lower item number first), skipping `skip`'s items. */
  top(n: number, skip?: (item: number) => boolean): number[] {
    let size = this.#select(n, skip);
    const heap = this.#heap;
    const values = this.values;
    // Taken off worst first, so written from the back.
    const out = new Array<number>(size);
    for (let k = size - 1; k >= 0; k--) {
      out[k] = heap[0]!;
      size--;
      if (size > 0) siftDown(heap, size, heap[size]!, values);
    }
    return out;
  }

  /**
   * The same items as `top(n)`, in no particular order: a view of a buffer reused by the next call
   * (for a caller that re-scores them anyway).
   */
  best(n: number): Int32Array {
    const size = this.#select(n); // may replace #heap with a larger one: read it after
    return this.#heap.subarray(0, size);
  }

  /** Selects the best `n` into `#heap` (a min-heap, worst at the root); answers how many. */
  #select(n: number, skip?: (item: number) => boolean): number {
    // A min-heap of the best n so far, worst (lowest score, then highest item number) at the root.
    if (this.#heap.length < n) this.#heap = new Int32Array(n);
    const heap = this.#heap;
    const values = this.values;
    let size = 0;
    for (let t = 0; t < this.#count; t++) {
      const item = this.#touched[t]!;
      const v = values[item]!;
      if (v <= 0) continue;
      if (size === n) {
        const root = heap[0]!;
        const rv = values[root]!;
        if (v < rv || (v === rv && item > root)) continue; // not among the best n
      }
      if (skip?.(item)) continue;
      if (size < n) siftUp(heap, size++, item, values);
      else siftDown(heap, size, item, values);
    }
    return size;
  }
}

/** Whether item `a` ranks below item `b`: a lower score, or the same score and a higher number. */
function worse(values: Float64Array, a: number, b: number): boolean {
  const va = values[a]!;
  const vb = values[b]!;
  return va < vb || (va === vb && a > b);
}

/** Puts `item` at `at` (the heap's end) and moves it up to its place. */
function siftUp(heap: Int32Array, at: number, item: number, values: Float64Array): void {
  let i = at;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!worse(values, item, heap[p]!)) break;
    heap[i] = heap[p]!;
    i = p;
  }
  heap[i] = item;
}

/** Replaces the root of a heap of `size` with `item` and moves it down to its place. */
function siftDown(heap: Int32Array, size: number, item: number, values: Float64Array): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    const r = l + 1;
    const m = r < size && worse(values, heap[r]!, heap[l]!) ? r : l;
    if (!worse(values, heap[m]!, item)) break;
    heap[i] = heap[m]!;
    i = m;
  }
  heap[i] = item;
}

/**
 * A next-click recommender: given the session so far (item numbers, oldest first), adds its scores
 * for candidate next items to `into`. Scores are comparable within one call only.
 */
export interface NextClickRecommender {
  readonly name: string;
  score(session: ArrayLike<number>, into: ItemScores): void;
}
