/**
 * An open-addressing hash table from a cell prefix (an integer below 2^53) to an int32 value,
 * on typed arrays: no per-entry objects, no boxed-number keys. A lookup is a few integer
 * operations and usually one probe; millions of cells cost ~13 bytes each at the load factor used.
 */
const EMPTY = 0;
const FULL = 1;
const DELETED = 2;
const TWO_32 = 2 ** 32;

export class CellTable {
  #hi: Uint32Array;
  #lo: Uint32Array;
  #values: Int32Array;
  #state: Uint8Array;
  #mask: number;
  #size = 0;
  #used = 0; // full + deleted slots

  constructor(capacity = 1024) {
    const cap = 2 ** Math.ceil(Math.log2(Math.max(16, capacity)));
    this.#hi = new Uint32Array(cap);
    this.#lo = new Uint32Array(cap);
    this.#values = new Int32Array(cap);
    this.#state = new Uint8Array(cap);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** The value for `key`, or -1. */
  get(key: number): number {
    const hi = Math.floor(key / TWO_32);
    const lo = key >>> 0;
    let i = slot(hi, lo) & this.#mask;
    for (;;) {
      const s = this.#state[i]!;
      if (s === EMPTY) return -1;
      if (s === FULL && this.#lo[i] === lo && this.#hi[i] === hi) return this.#values[i]!;
      i = (i + 1) & this.#mask;
    }
  }

  set(key: number, value: number): void {
    if ((this.#used + 1) * 10 > (this.#mask + 1) * 7)
      this.#rehash(this.#size * 2 > this.#mask ? (this.#mask + 1) * 2 : this.#mask + 1);
    const hi = Math.floor(key / TWO_32);
    const lo = key >>> 0;
    let i = slot(hi, lo) & this.#mask;
    let reuse = -1;
    for (;;) {
      const s = this.#state[i]!;
      if (s === EMPTY) break;
      if (s === DELETED && reuse < 0) reuse = i;
      if (s === FULL && this.#lo[i] === lo && this.#hi[i] === hi) {
        this.#values[i] = value;
        return;
      }
      i = (i + 1) & this.#mask;
    }
    if (reuse >= 0) i = reuse;
    else this.#used++;
    this.#state[i] = FULL;
    this.#hi[i] = hi;
    this.#lo[i] = lo;
    this.#values[i] = value;
    this.#size++;
  }

  delete(key: number): boolean {
    const hi = Math.floor(key / TWO_32);
    const lo = key >>> 0;
    let i = slot(hi, lo) & this.#mask;
    for (;;) {
      const s = this.#state[i]!;
      if (s === EMPTY) return false;
      if (s === FULL && this.#lo[i] === lo && this.#hi[i] === hi) {
        this.#state[i] = DELETED;
        this.#size--;
        return true;
      }
      i = (i + 1) & this.#mask;
    }
  }

  #rehash(capacity: number): void {
    const { hi, lo, values, state } = {
      hi: this.#hi,
      lo: this.#lo,
      values: this.#values,
      state: this.#state,
    };
    this.#hi = new Uint32Array(capacity);
    this.#lo = new Uint32Array(capacity);
    this.#values = new Int32Array(capacity);
    this.#state = new Uint8Array(capacity);
    this.#mask = capacity - 1;
    this.#size = 0;
    this.#used = 0;
    for (let i = 0; i < state.length; i++) {
      if (state[i] === FULL) this.set(hi[i]! * TWO_32 + lo[i]!, values[i]!);
    }
  }
}

function slot(hi: number, lo: number): number {
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
