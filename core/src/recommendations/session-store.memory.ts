import { ItemVocabulary } from '@hexcast/models';
import type { SessionClick, SessionStore, SessionStoreOptions, StoredList } from './session-store.js';

const ACTIONS = ['view', 'click', 'cart', 'buy'] as const;
const SOURCES = ['session', 'product', 'popular'] as const;
/** The item source column's flag for an item marked `nearby`. */
const NEARBY = 8;
/**
 * Bytes an id is kept in: its UTF-8 length, then up to 47 bytes (an envelope's UUID is 36, a web
 * event's SHA-1 in base64url 27). A longer id is kept as a string (`LONG`, in `#longIds`).
 */
const ID_BYTES = 48;
const LONG = 255;
const NO_SLOT = -1;
/** Slots per page: a page's columns are allocated together (~7 MB with 20 clicks a session). */
const PAGE_BITS = 12;
const PAGE_SLOTS = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SLOTS - 1;

/**
 * The columns of PAGE_SLOTS sessions (slot `i` of the page): a click is cell `i × maxClicks + k`,
 * a list item `i × stride + k`, a click id `ID_BYTES` bytes at its cell × ID_BYTES.
 */
class Page {
  readonly keys: string[] = new Array<string>(PAGE_SLOTS).fill('');
  readonly devices: string[] = new Array<string>(PAGE_SLOTS).fill('');
  /** The chain in last-click order (and, for a free slot, the next free one in `newer`). */
  readonly older = new Int32Array(PAGE_SLOTS);
  readonly newer = new Int32Array(PAGE_SLOTS);
  readonly expiresAt = new Float64Array(PAGE_SLOTS);
  /** Clicks kept, and where the oldest is in the slot's ring of `maxClicks`. */
  readonly clickCount = new Int32Array(PAGE_SLOTS);
  readonly clickStart = new Int32Array(PAGE_SLOTS);
  /** Items in the stored list; −1: no list. */
  readonly listLength = new Int32Array(PAGE_SLOTS);
  readonly listProduct = new Int32Array(PAGE_SLOTS);
  readonly listVersion = new Int32Array(PAGE_SLOTS);
  readonly listClickedAt = new Float64Array(PAGE_SLOTS);
  readonly listComputedAt = new Float64Array(PAGE_SLOTS);
  readonly listClickId = Buffer.alloc(PAGE_SLOTS * ID_BYTES);
  readonly clickProduct: Int32Array;
  readonly clickAction: Uint8Array;
  readonly clickAt: Float64Array;
  readonly clickId: Buffer;
  itemProduct: Int32Array;
  itemScore: Float64Array;
  /** The source's index in SOURCES, plus NEARBY for an item marked `nearby`. */
  itemSource: Uint8Array;
  /** −1: no category. */
  itemCategory: Int32Array;

  constructor(maxClicks: number, stride: number) {
    const clicks = PAGE_SLOTS * maxClicks;
    this.clickProduct = new Int32Array(clicks);
    this.clickAction = new Uint8Array(clicks);
    this.clickAt = new Float64Array(clicks);
    this.clickId = Buffer.alloc(clicks * ID_BYTES);
    const items = PAGE_SLOTS * stride;
    this.itemProduct = new Int32Array(items);
    this.itemScore = new Float64Array(items);
    this.itemSource = new Uint8Array(items);
    this.itemCategory = new Int32Array(items);
  }

  /** What its columns take: every typed array it holds, so a column added is counted too. */
  get bytes(): number {
    let bytes = 0;
    for (const value of Object.values(this)) if (ArrayBuffer.isView(value)) bytes += value.byteLength;
    return bytes;
  }

  /** Lays the lists out again with room for `to` items each (from `from`). */
  layOut(from: number, to: number): void {
    const product = new Int32Array(PAGE_SLOTS * to);
    const score = new Float64Array(PAGE_SLOTS * to);
    const source = new Uint8Array(PAGE_SLOTS * to);
    const category = new Int32Array(PAGE_SLOTS * to);
    for (let i = 0; i < PAGE_SLOTS; i++) {
      const at = i * from;
      const end = at + Math.max(0, this.listLength[i]!);
      product.set(this.itemProduct.subarray(at, end), i * to);
      score.set(this.itemScore.subarray(at, end), i * to);
      source.set(this.itemSource.subarray(at, end), i * to);
      category.set(this.itemCategory.subarray(at, end), i * to);
    }
    this.itemProduct = product;
    this.itemScore = score;
    this.itemSource = source;
    this.itemCategory = category;
  }
}

/**
 * Sessions in this process's memory, in columns of typed arrays rather than an object per click and
 * per list item. A session lives seconds to minutes between clicks, so everything it holds outlives
 * V8's young generation, and every full collection would mark it: about 25 objects a session.
 * Here a session is a slot (a number) in the columns, and only its id and device id are strings on
 * the heap; products, categories and model versions are numbered (an `ItemVocabulary` each, which grows with
 * the distinct products stored: the catalogue's, as the worker stores no other), and click ids are
 * kept as bytes. The columns come in pages of PAGE_SLOTS sessions, added as sessions arrive:
 * growing copies nothing, and never asks for more than a page at once.
 *
 * Sessions are chained in last-click order (older/newer), so expiry stops at the first live one:
 * expired sessions are dropped when touched and by `sweep`, which the capability runs on one timer
 * and `count` runs before counting. A freed slot is reused; pages are kept once added.
 */
export class MemorySessionStore implements SessionStore {
  readonly #o: Required<SessionStoreOptions>;
  readonly #slots = new Map<string, number>();
  // Strings numbered as first seen (the models' vocabulary: ids ↔ dense numbers).
  readonly #products = new ItemVocabulary();
  readonly #categories = new ItemVocabulary();
  readonly #versions = new ItemVocabulary();
  /** Ids over ID_BYTES − 1 bytes: by click (slot × maxClicks + k), and by slot for a list's click id. */
  readonly #longIds = new Map<number, string>();
  readonly #longListIds = new Map<number, string>();
  /** A click id encoded, for comparing with those kept. */
  readonly #scratch = Buffer.alloc(ID_BYTES * 3);
  #pages: Page[] = [];
  /** Slots handed out so far; freed ones are reused first (chained through `newer`). */
  #used = 0;
  #free = NO_SLOT;
  #oldest = NO_SLOT;
  #newest = NO_SLOT;
  /** Items a list can hold per slot: grows (and the lists are laid out again) for a longer list. */
  #stride = 20;

  constructor(options: SessionStoreOptions) {
    this.#o = { now: Date.now, ...options };
  }

  async append(sessionId: string, click: SessionClick): Promise<SessionClick[] | null> {
    const now = this.#o.now();
    const max = this.#o.maxClicks;
    const idLength = this.#scratch.write(click.id, 'utf8');
    let slot = this.#live(sessionId, now);
    if (slot === undefined) slot = this.#open(sessionId);
    else if (this.#holds(slot, click.id, idLength)) return null;
    const page = this.#pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const count = page.clickCount[i]!;
    const start = page.clickStart[i]!;
    let k: number;
    if (count < max) {
      k = (start + count) % max;
      page.clickCount[i] = count + 1;
    } else {
      k = start; // the oldest, overwritten
      page.clickStart[i] = (start + 1) % max;
    }
    const cell = i * max + k;
    page.clickProduct[cell] = this.#products.add(click.productId);
    page.clickAction[cell] = code(ACTIONS, click.action);
    page.clickAt[cell] = click.at;
    this.#putId(page.clickId, cell, this.#longIds, slot * max + k, click.id, idLength);
    page.expiresAt[i] = now + this.#o.ttlMs;
    this.#unlink(slot);
    this.#link(slot);
    return this.#clicksOf(slot);
  }

  async clicks(sessionId: string): Promise<SessionClick[]> {
    const slot = this.#live(sessionId, this.#o.now());
    return slot === undefined ? [] : this.#clicksOf(slot);
  }

  async putList(list: StoredList): Promise<void> {
    const slot = this.#live(list.sessionId, this.#o.now());
    if (slot === undefined) return; // a session already expired keeps no list
    const items = list.items;
    if (items.length > this.#stride) {
      const stride = Math.max(items.length, this.#stride * 2);
      for (const page of this.#pages) page.layOut(this.#stride, stride);
      this.#stride = stride;
    }
    const page = this.#pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    // The device is the session's: kept once, so a click's fresh copy of it is not held instead.
    if (page.devices[i] !== list.deviceId) page.devices[i] = list.deviceId;
    page.listProduct[i] = this.#products.add(list.productId);
    page.listVersion[i] = this.#versions.add(list.modelVersion);
    page.listClickedAt[i] = list.clickedAt;
    page.listComputedAt[i] = list.computedAt;
    const idLength = this.#scratch.write(list.clickId, 'utf8');
    this.#putId(page.listClickId, i, this.#longListIds, slot, list.clickId, idLength);
    page.listLength[i] = items.length;
    const base = i * this.#stride;
    for (let k = 0; k < items.length; k++) {
      const item = items[k]!;
      page.itemProduct[base + k] = this.#products.add(item.productId);
      page.itemScore[base + k] = item.score;
      page.itemSource[base + k] = code(SOURCES, item.source) | (item.nearby ? NEARBY : 0);
      page.itemCategory[base + k] = item.category === undefined ? -1 : this.#categories.add(item.category);
    }
  }

  async list(sessionId: string): Promise<StoredList | null> {
    const slot = this.#live(sessionId, this.#o.now());
    if (slot === undefined) return null;
    const page = this.#pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const length = page.listLength[i]!;
    if (length < 0) return null;
    const products = this.#products.ids;
    const base = i * this.#stride;
    const items: StoredList['items'] = new Array(length);
    for (let k = 0; k < length; k++) {
      const source = page.itemSource[base + k]!;
      const category = page.itemCategory[base + k]!;
      items[k] = {
        productId: products[page.itemProduct[base + k]!]!,
        score: page.itemScore[base + k]!,
        source: SOURCES[source & ~NEARBY]!,
        ...(category < 0 ? {} : { category: this.#categories.ids[category]! }),
        ...(source & NEARBY ? { nearby: true as const } : {}),
      };
    }
    return {
      sessionId,
      deviceId: page.devices[i]!,
      items,
      clickId: this.#getId(page.listClickId, i, this.#longListIds, slot),
      productId: products[page.listProduct[i]!]!,
      clickedAt: page.listClickedAt[i]!,
      computedAt: page.listComputedAt[i]!,
      modelVersion: this.#versions.ids[page.listVersion[i]!]!,
    };
  }

  /** Drops expired sessions, oldest first (the chain is in last-click order). */
  sweep(): number {
    const now = this.#o.now();
    let dropped = 0;
    while (this.#oldest !== NO_SLOT && this.#expiresAt(this.#oldest) <= now) {
      this.#drop(this.#oldest);
      dropped++;
    }
    return dropped;
  }

  async count(): Promise<number> {
    this.sweep();
    return this.#slots.size;
  }

  /** Bytes its pages' columns take (off V8's heap): what the store holds, whatever is live in it. */
  get bytes(): number {
    let bytes = 0;
    for (const page of this.#pages) bytes += page.bytes;
    return bytes;
  }

  /** Ids longer than a cell's 47 bytes that the store keeps as strings on V8's heap, the clicks' and the lists'. */
  get longIds(): number {
    return this.#longIds.size + this.#longListIds.size;
  }

  /** Forgets every session and lets the pages go. */
  async close(): Promise<void> {
    this.#slots.clear();
    this.#longIds.clear();
    this.#longListIds.clear();
    this.#pages = [];
    this.#used = 0;
    this.#free = this.#oldest = this.#newest = NO_SLOT;
  }

  #expiresAt(slot: number): number {
    return this.#pages[slot >>> PAGE_BITS]!.expiresAt[slot & PAGE_MASK]!;
  }

  /** The session's slot, unless it has expired (then it is dropped now). */
  #live(sessionId: string, now: number): number | undefined {
    const slot = this.#slots.get(sessionId);
    if (slot !== undefined && this.#expiresAt(slot) <= now) {
      this.#drop(slot);
      return undefined;
    }
    return slot;
  }

  #open(sessionId: string): number {
    let slot = this.#free;
    if (slot !== NO_SLOT) this.#free = this.#pages[slot >>> PAGE_BITS]!.newer[slot & PAGE_MASK]!;
    else {
      slot = this.#used++;
      if (slot >>> PAGE_BITS === this.#pages.length)
        this.#pages.push(new Page(this.#o.maxClicks, this.#stride));
    }
    const page = this.#pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    this.#slots.set(sessionId, slot);
    page.keys[i] = sessionId;
    page.devices[i] = '';
    page.clickCount[i] = 0;
    page.clickStart[i] = 0;
    page.listLength[i] = -1;
    this.#link(slot);
    return slot;
  }

  #drop(slot: number): void {
    this.#unlink(slot);
    const page = this.#pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    this.#slots.delete(page.keys[i]!);
    page.keys[i] = '';
    page.devices[i] = '';
    if (this.#longIds.size > 0) {
      const max = this.#o.maxClicks;
      for (let cell = slot * max; cell < (slot + 1) * max; cell++) this.#longIds.delete(cell);
    }
    this.#longListIds.delete(slot);
    page.newer[i] = this.#free;
    this.#free = slot;
  }

  /** Chains the slot in as the newest. */
  #link(slot: number): void {
    const page = this.#pages[slot >>> PAGE_BITS]!;
    page.older[slot & PAGE_MASK] = this.#newest;
    page.newer[slot & PAGE_MASK] = NO_SLOT;
    if (this.#newest !== NO_SLOT)
      this.#pages[this.#newest >>> PAGE_BITS]!.newer[this.#newest & PAGE_MASK] = slot;
    else this.#oldest = slot;
    this.#newest = slot;
  }

  #unlink(slot: number): void {
    const page = this.#pages[slot >>> PAGE_BITS]!;
    const older = page.older[slot & PAGE_MASK]!;
    const newer = page.newer[slot & PAGE_MASK]!;
    if (older !== NO_SLOT) this.#pages[older >>> PAGE_BITS]!.newer[older & PAGE_MASK] = newer;
    else this.#oldest = newer;
    if (newer !== NO_SLOT) this.#pages[newer >>> PAGE_BITS]!.older[newer & PAGE_MASK] = older;
    else this.#newest = older;
  }

  /** Whether the slot keeps a click with this id (its UTF-8 bytes in `#scratch`, `length` of them). */
  #holds(slot: number, id: string, length: number): boolean {
    const max = this.#o.maxClicks;
    const page = this.#pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const start = page.clickStart[i]!;
    const bytes = page.clickId;
    const scratch = this.#scratch;
    for (let n = 0, count = page.clickCount[i]!; n < count; n++) {
      const k = (start + n) % max;
      const at = (i * max + k) * ID_BYTES;
      const kept = bytes[at]!;
      if (kept === LONG) {
        if (this.#longIds.get(slot * max + k) === id) return true;
        continue;
      }
      if (kept !== length) continue;
      let b = 0;
      while (b < length && bytes[at + 1 + b] === scratch[b]) b++;
      if (b === length) return true;
    }
    return false;
  }

  /** Writes an id (its bytes in `#scratch`) at `cell` of `bytes`, or into `long` under `key`. */
  #putId(
    bytes: Buffer,
    cell: number,
    long: Map<number, string>,
    key: number,
    id: string,
    length: number,
  ): void {
    const offset = cell * ID_BYTES;
    if (bytes[offset] === LONG) long.delete(key);
    if (length < ID_BYTES) {
      bytes[offset] = length;
      this.#scratch.copy(bytes, offset + 1, 0, length);
    } else {
      bytes[offset] = LONG;
      long.set(key, id);
    }
  }

  #getId(bytes: Buffer, cell: number, long: Map<number, string>, key: number): string {
    const offset = cell * ID_BYTES;
    const length = bytes[offset]!;
    return length === LONG ? long.get(key)! : bytes.toString('utf8', offset + 1, offset + 1 + length);
  }

  #clicksOf(slot: number): SessionClick[] {
    const max = this.#o.maxClicks;
    const page = this.#pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const start = page.clickStart[i]!;
    const n = page.clickCount[i]!;
    const products = this.#products.ids;
    const out: SessionClick[] = new Array(n);
    for (let c = 0; c < n; c++) {
      const k = (start + c) % max;
      const cell = i * max + k;
      out[c] = {
        id: this.#getId(page.clickId, cell, this.#longIds, slot * max + k),
        productId: products[page.clickProduct[cell]!]!,
        action: ACTIONS[page.clickAction[cell]!]!,
        at: page.clickAt[cell]!,
      };
    }
    return out;
  }
}

function code<T extends string>(names: readonly T[], name: T): number {
  const n = names.indexOf(name);
  if (n < 0) throw new TypeError(`not one of ${names.join(', ')}: ${name}`);
  return n;
}
