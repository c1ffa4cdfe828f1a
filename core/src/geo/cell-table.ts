/**
 * An open-addressing hash table from a cell prefix (an integer below 2^53) to an int32 value,
 * on one interleaved typed array (state, high bits, low bits, value per slot): a probe touches one
 * cache line, there are no per-entry objects and no boxed-number keys. 16 bytes per slot.
 *
 * A bitmap of 8 bits per slot (one byte per slot, ~16 per entry) answers most misses without
 * touching the slots: a big table does not fit in cache, and a lookup that probes several
 * resolutions mostly misses (measured: ~3% of the finest tables' cells hold a fence). Deletes
 * leave their bit set (a false "maybe", never a false "no"); a rehash rebuilds the bitmap.
 */
const EMPTY = 0;
const FULL = 1;
const DELETED = 2;
const TWO_32 = 2 ** 32;
const STRIDE = 4;

export class CellTable {
  #data: Int32Array;
  #mask: number;
  #filter: Int32Array;
  #filterMask: number;
  #size = 0;
  #used = 0; // full + deleted slots

  constructor(capacity = 1024) {
    const cap = 2 ** Math.ceil(Math.log2(Math.max(16, capacity)));
    this.#data = new Int32Array(cap * STRIDE);
    this.#mask = cap - 1;
    this.#filter = new Int32Array(cap / 4);
    this.#filterMask = cap * 8 - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** The value for `key`, or -1 when absent. */
  get(key: number): number {
    const hi = Math.floor(key / TWO_32) | 0;
    const lo = key | 0;
    const h = slot(hi, lo);
    const bit = h & this.#filterMask;
    if ((this.#filter[bit >>> 5]! & (1 << (bit & 31))) === 0) return -1;
    const at = this.#findHashed(hi, lo, h);
    return at < 0 ? -1 : this.#data[at + 3]!;
  }

  set(key: number, value: number): void {
    const capacity = this.#mask + 1;
    if ((this.#used + 1) * 10 > capacity * 7)
      this.#rehash(this.#size * 2 > capacity / 2 ? capacity * 2 : capacity);
    const hi = Math.floor(key / TWO_32) | 0;
    const lo = key | 0;
    const data = this.#data;
    const h = slot(hi, lo);
    let i = h & this.#mask;
    let reuse = -1;
    for (;;) {
      const at = i * STRIDE;
      const s = data[at]!;
      if (s === EMPTY) break;
      if (s === DELETED && reuse < 0) reuse = i;
      if (s === FULL && data[at + 2] === lo && data[at + 1] === hi) {
        data[at + 3] = value;
        return;
      }
      i = (i + 1) & this.#mask;
    }
    if (reuse >= 0) i = reuse;
    else this.#used++;
    const bit = h & this.#filterMask;
    const word = bit >>> 5;
    this.#filter[word] = this.#filter[word]! | (1 << (bit & 31));
    const at = i * STRIDE;
    data[at] = FULL;
    data[at + 1] = hi;
    data[at + 2] = lo;
    data[at + 3] = value;
    this.#size++;
  }

  delete(key: number): boolean {
    const at = this.#find(key);
    if (at < 0) return false;
    this.#data[at] = DELETED;
    this.#size--;
    return true;
  }

  /** The array offset of the full slot holding `key`, or -1. */
  #find(key: number): number {
    const hi = Math.floor(key / TWO_32) | 0;
    const lo = key | 0;
    return this.#findHashed(hi, lo, slot(hi, lo));
  }

  #findHashed(hi: number, lo: number, h: number): number {
    const data = this.#data;
    let i = h & this.#mask;
    for (;;) {
      const at = i * STRIDE;
      const s = data[at]!;
      if (s === EMPTY) return -1;
      if (s === FULL && data[at + 2] === lo && data[at + 1] === hi) return at;
      i = (i + 1) & this.#mask;
    }
  }

  #rehash(capacity: number): void {
    const old = this.#data;
    this.#data = new Int32Array(capacity * STRIDE);
    this.#mask = capacity - 1;
    this.#filter = new Int32Array(capacity / 4);
    this.#filterMask = capacity * 8 - 1;
    this.#size = 0;
    this.#used = 0;
    for (let at = 0; at < old.length; at += STRIDE) {
      if (old[at] === FULL) this.set((old[at + 1]! >>> 0) * TWO_32 + (old[at + 2]! >>> 0), old[at + 3]!);
    }
  }
}

function slot(hi: number, lo: number): number {
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
