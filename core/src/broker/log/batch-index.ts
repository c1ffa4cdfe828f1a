/**
 * The offset and time index of one segment: one entry per batch (base offset, last offset,
 * byte position, size, max timestamp) in growable typed arrays. It is rebuilt when a segment is
 * opened, because recovery reads and CRC-checks every batch anyway.
 */
export class BatchIndex {
  #count = 0;
  #base = new Float64Array(64);
  #last = new Float64Array(64);
  #pos = new Float64Array(64);
  #size = new Float64Array(64);
  #maxTs = new Float64Array(64);
  #runningMaxTs = Number.NEGATIVE_INFINITY;

  get count(): number {
    return this.#count;
  }

  add(base: number, last: number, pos: number, size: number, maxTs: number): void {
    if (this.#count === this.#base.length) this.#grow();
    const i = this.#count++;
    this.#base[i] = base;
    this.#last[i] = last;
    this.#pos[i] = pos;
    this.#size[i] = size;
    this.#runningMaxTs = Math.max(this.#runningMaxTs, maxTs);
    // Time index stores the running maximum so it is monotone and binary-searchable.
    this.#maxTs[i] = this.#runningMaxTs;
  }

  base(i: number): number {
    return this.#base[i]!;
  }

  last(i: number): number {
    return this.#last[i]!;
  }

  position(i: number): number {
    return this.#pos[i]!;
  }

  size(i: number): number {
    return this.#size[i]!;
  }

  /** The largest timestamp in this segment so far; -Infinity when empty. */
  get maxTimestamp(): number {
    return this.#runningMaxTs;
  }

  /** First batch whose last offset ≥ offset; `count` when none. */
  findByOffset(offset: number): number {
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#last[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First batch whose running max timestamp ≥ ts; `count` when none. */
  findByTimestamp(ts: number): number {
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#maxTs[mid]! < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #grow(): void {
    const n = this.#base.length * 2;
    const grow = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.#base = grow(this.#base);
    this.#last = grow(this.#last);
    this.#pos = grow(this.#pos);
    this.#size = grow(this.#size);
    this.#maxTs = grow(this.#maxTs);
  }
}
