import { HexcastError } from '../errors/index.js';
import { CellTable } from './cell-table.js';
import {
  bbox,
  CELL_GRID,
  circleParams,
  encodePolygons,
  gridMarks,
  inCircle,
  inPolygonsAt,
} from './contains.js';
import { coverFence, gridFrame, indexResolution, MAX_DIRECT_CELLS } from './cover.js';
import type { FenceIndex } from './fence-index.js';
import { ancestorKey, cellRes, cellTail } from './h3-cells.js';
import { latLngToCellTail } from './lat-lng-cell.js';
import type { Fence } from './shapes.js';
import { validateFenceShape } from './validate.js';

interface Slot {
  /** Where the fence's entries sit, for removal: ancestor keys and resolutions, packed. */
  keys: Float64Array;
  resolutions: Uint8Array;
}

/**
 * Per slot in `#geo`: box (minLat, maxLat, minLng, maxLng), kind, then the circle's parameters
 * or where the polygons' run (`encodePolygons`) sits in `#coords` (start, end).
 */
const GEO = 12;
const KIND = 4;
const SHAPE = 5;
const CIRCLE = 0;
const POLYGONS = 1;

/** The resolution lookups compute their cell at unless told otherwise: see the constructor. */
const FINEST_RESOLUTION = 9;
/** The frame of a list with no grid (not at the finest resolution). */
const NO_FRAME = new Float64Array(4);
const NO_RECORDS = new Float64Array(0);
/** A fence gets marks in a cell when its box spans more squares than this (see `#appendEntry`). */
const MARK_SPAN = 4;

/**
 * Lists live back to back in one Float64Array (`#lists`), so a cell's candidates are one read
 * from the table's value, not a pointer to an object and another to its buffer. A list: a header
 * (count, capacity, resolution and key of its cell — a compaction finds the table entry to move
 * from it; count -1 marks a dead list — then, at the finest resolution, the cell's `gridFrame`,
 * else zeros), then per entry the entry, its fence's box and its grid marks in this cell.
 *
 * The marks: 95% of lookups land in a cell several fences share (the geofence bench's 100,000
 * fences: 4.9 candidates a lookup), and a boundary candidate whose box holds the point needed the
 * exact test. A point in a square of the cell's 8 × 8 grid marked inside (or outside) the fence
 * has its answer without it.
 */
const HEAD = 8;
const FRAME = 4;
const LIST_REC = 9;
const MARKS = 5;

/**
 * An entry is `slot * 2 + exact`: exact 1 for an interior cell (a hit is an answer), 0 for a
 * boundary cell (a hit needs the exact test). A cell table maps a cell to a single entry when one
 * fence owns it (most cells), or to `-(2 + offset)` where a list in `#lists` holds several: the
 * candidates of a cell are rejected by box from one run of numbers, not one record each.
 */

/**
 * The in-process H3 fence index. A lookup is one `latLngToCellTail` (h3's `latLngToCell` in plain
 * JS, see `lat-lng-cell.ts`) at the finest resolution in use,
 * then one map probe per resolution in use (ancestors come from bit arithmetic, not WASM calls).
 */
export class MemoryFenceIndex implements FenceIndex {
  readonly #finest: number;
  readonly #maxDirectCells: number;
  readonly #byRes: CellTable[] = Array.from({ length: 16 }, () => new CellTable(16));
  #lists = new Float64Array(1 << 14);
  #listsUsed = 0;
  #listsGarbage = 0;
  /**
   * Per slot (GEO numbers): the box, which rejects most boundary candidates, then the shape —
   * circle parameters, or where its polygon run sits in `#coords`. One record, no pointers to chase:
   * at 100,000 fences the exact tests are cache misses more than arithmetic.
   */
  #geo = new Float64Array(GEO * 1024);
  /** Polygon runs (`encodePolygons`), back to back; removed runs are garbage until compaction. */
  #coords = new Float64Array(1 << 14);
  #coordsUsed = 0;
  #coordsGarbage = 0;
  readonly #resCount = new Array<number>(16).fill(0);
  #resolutions: number[] = [];
  readonly #slots: Array<Slot | undefined> = [];
  /** Fence ids by slot, apart from the slots: the one thing a hit reads. */
  readonly #ids: Array<string | undefined> = [];
  readonly #free: number[] = [];
  readonly #slotOf = new Map<string, number>();

  /**
   * @param options.finestResolution the resolution every lookup computes its cell at: fences are
   *   covered at it, without a margin (see `coverFence`), unless they would take more than
   *   `maxDirectCells` cells there (see `indexResolution`).
   * @param options.maxDirectCells see `indexResolution`.
   */
  constructor(options: { finestResolution?: number; maxDirectCells?: number } = {}) {
    this.#finest = options.finestResolution ?? FINEST_RESOLUTION;
    this.#maxDirectCells = options.maxDirectCells ?? MAX_DIRECT_CELLS;
  }

  get size(): number {
    return this.#slotOf.size;
  }

  /** Resolutions that hold cells, coarsest first: one table probe each per lookup. */
  get resolutionsInUse(): readonly number[] {
    return this.#resolutions;
  }

  get cellCount(): number {
    return this.#byRes.reduce((n, t) => n + t.size, 0);
  }

  /** Numbers held by the candidate lists and the polygon store, and how many of them are dead (awaiting compaction). */
  get storage(): { listNumbers: number; listGarbage: number; shapeNumbers: number; shapeGarbage: number } {
    return {
      listNumbers: this.#listsUsed,
      listGarbage: this.#listsGarbage,
      shapeNumbers: this.#coordsUsed,
      shapeGarbage: this.#coordsGarbage,
    };
  }

  upsert(fence: Fence): void {
    validateFenceShape(fence.shape);
    const resolution = indexResolution(fence.shape, this.#finest, this.#maxDirectCells);
    const cover = coverFence(fence.shape, resolution, resolution === this.#finest);
    this.remove(fence.id);
    const slotIndex = this.#free.pop() ?? this.#slots.length;
    const cells = [
      ...cover.interior.map((c) => [c, 1] as const),
      ...cover.boundary.map((c) => [c, 0] as const),
    ];
    const slot: Slot = {
      keys: new Float64Array(cells.length),
      resolutions: new Uint8Array(cells.length),
    };
    this.#slots[slotIndex] = slot;
    this.#ids[slotIndex] = fence.id;
    this.#slotOf.set(fence.id, slotIndex);
    this.#setGeo(slotIndex, fence);
    for (const [i, [cell, exact]] of cells.entries()) {
      const res = cellRes(cell);
      const key = ancestorKey(cellTail(cell), res);
      slot.keys[i] = key;
      slot.resolutions[i] = res;
      const entry = slotIndex * 2 + exact;
      const table = this.#byRes[res]!;
      const current = table.get(key);
      if (current === -1) table.set(key, entry);
      else if (current >= 0)
        this.#newList(res, key, [current, entry], res === this.#finest ? gridFrame(cell) : NO_FRAME);
      else this.#pushEntry(res, key, -2 - current, entry);
      this.#resCount[res]!++;
    }
    this.#refreshResolutions();
  }

  remove(fenceId: string): boolean {
    const slotIndex = this.#slotOf.get(fenceId);
    if (slotIndex === undefined) return false;
    const slot = this.#slots[slotIndex]!;
    for (let i = 0; i < slot.keys.length; i++) {
      const res = slot.resolutions[i]!;
      const key = slot.keys[i]!;
      const table = this.#byRes[res]!;
      const current = table.get(key);
      if (current === -1) continue;
      if (current >= 0) {
        if (current >> 1 === slotIndex) table.delete(key);
      } else {
        const at = -2 - current;
        const kept = this.#removeEntries(at, slotIndex);
        if (kept < 2) {
          const last = this.#lists[at + HEAD]!;
          this.#killList(at);
          if (kept === 1) table.set(key, last);
          else table.delete(key);
        }
      }
      this.#resCount[res]!--;
    }
    if (this.#geo[slotIndex * GEO + KIND] === POLYGONS) {
      const at = slotIndex * GEO + SHAPE;
      this.#coordsGarbage += this.#geo[at + 1]! - this.#geo[at]!;
    }
    this.#slots[slotIndex] = undefined;
    this.#ids[slotIndex] = undefined;
    this.#free.push(slotIndex);
    this.#slotOf.delete(fenceId);
    this.#refreshResolutions();
    return true;
  }

  lookup(lat: number, lng: number): string[] {
    if (!(lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180)) {
      throw new HexcastError('HX_GEO_COORDINATE_RANGE', `lat/lng out of range: ${lat}, ${lng}`);
    }
    const out: string[] = [];
    const resolutions = this.#resolutions;
    if (resolutions.length === 0) return out;
    const tail = latLngToCellTail(lat, lng, this.#finest);
    for (let r = 0; r < resolutions.length; r++) {
      const res = resolutions[r]!;
      const value = this.#byRes[res]!.get(ancestorKey(tail, res));
      if (value === -1) continue;
      if (value >= 0) this.#check(value, lat, lng, out);
      else {
        const list = this.#lists;
        const start = -2 - value;
        const end = start + HEAD + list[start]! * LIST_REC;
        // The point's square in the cell's grid, as a mark word's offset and bit (-1: no grid).
        let word = -1;
        let bit = 0;
        const latScale = list[start + FRAME + 2]!;
        if (latScale > 0) {
          const y = Math.floor((lat - list[start + FRAME]!) * latScale);
          const x = Math.floor((lng - list[start + FRAME + 1]!) * list[start + FRAME + 3]!);
          if (y >= 0 && y < CELL_GRID && x >= 0 && x < CELL_GRID) {
            const square = y * CELL_GRID + x;
            word = square >> 5;
            bit = 1 << (square & 31);
          }
        }
        for (let at = start + HEAD; at < end; at += LIST_REC) {
          const entry = list[at]!;
          if ((entry & 1) === 1) out.push(this.#ids[entry >> 1]!);
          else if (
            lat >= list[at + 1]! &&
            lat <= list[at + 2]! &&
            lng >= list[at + 3]! &&
            lng <= list[at + 4]!
          ) {
            if (word >= 0 && (list[at + MARKS + word]! & bit) !== 0) out.push(this.#ids[entry >> 1]!);
            else if (word < 0 || (list[at + MARKS + 2 + word]! & bit) === 0)
              this.#exact(entry >> 1, lat, lng, out);
          }
        }
      }
    }
    return out;
  }

  #check(entry: number, lat: number, lng: number, out: string[]): void {
    const index = entry >> 1;
    if ((entry & 1) === 1) {
      out.push(this.#ids[index]!);
      return;
    }
    const g = this.#geo;
    const at = index * GEO;
    if (lat < g[at]! || lat > g[at + 1]! || lng < g[at + 2]! || lng > g[at + 3]!) return;
    this.#exact(index, lat, lng, out);
  }

  /** The exact test of a boundary candidate whose box holds the point. */
  #exact(index: number, lat: number, lng: number, out: string[]): void {
    const g = this.#geo;
    const at = index * GEO;
    const inside =
      g[at + KIND] === CIRCLE
        ? inCircle(g, at + SHAPE, lat, lng)
        : inPolygonsAt(this.#coords, g[at + SHAPE]!, lat, lng);
    if (inside) out.push(this.#ids[index]!);
  }

  /**
   * A new list for the cell (res, key), pointed at by its table: `records` (whole, marks and all,
   * from the list it replaces) and then `entries`, with room for twice as many. `frame`: the cell's
   * `gridFrame` at the finest resolution, else `NO_FRAME`.
   */
  #newList(res: number, key: number, entries: number[], frame: Float64Array, records = NO_RECORDS): void {
    const count = records.length / LIST_REC;
    const capacity = Math.max(4, (count + entries.length) * 2);
    const at = this.#allocList(HEAD + capacity * LIST_REC);
    const list = this.#lists;
    list[at] = count;
    list[at + 1] = capacity;
    list[at + 2] = res;
    list[at + 3] = key;
    list.set(frame, at + FRAME);
    list.set(records, at + HEAD);
    for (const entry of entries) this.#appendEntry(at, entry);
    this.#byRes[res]!.set(key, -2 - at);
  }

  #pushEntry(res: number, key: number, at: number, entry: number): void {
    const list = this.#lists;
    if (list[at]! < list[at + 1]!) {
      this.#appendEntry(at, entry);
      return;
    }
    // A bigger list, the records (and their marks) copied over: a copy first, as allocating may
    // compact `#lists` and move this one.
    const count = list[at]!;
    const records = list.slice(at + HEAD, at + HEAD + count * LIST_REC);
    const frame = list.slice(at + FRAME, at + HEAD);
    this.#killList(at);
    this.#newList(res, key, [entry], frame, records);
  }

  #appendEntry(at: number, entry: number): void {
    const list = this.#lists;
    const to = at + HEAD + list[at]! * LIST_REC;
    const index = entry >> 1;
    const g = this.#geo;
    const box = index * GEO;
    list[to] = entry;
    list.set(g.subarray(box, box + 4), to + 1);
    list.fill(0, to + MARKS, to + LIST_REC);
    // A boundary entry in a cell with a grid: its marks there, unless its box spans at most
    // MARK_SPAN squares each way (most shops, ~180 m at resolution 9): the box then rejects most of
    // what marks would, and the lookups' gain comes from the big fences (measured: the same with
    // 2, 4 or 8) while marks for every small one cost build time.
    const latScale = list[at + FRAME + 2]!;
    if (
      (entry & 1) === 0 &&
      latScale > 0 &&
      ((g[box + 1]! - g[box]!) * latScale > MARK_SPAN ||
        (g[box + 3]! - g[box + 2]!) * list[at + FRAME + 3]! > MARK_SPAN)
    ) {
      const circle = g[box + KIND] === CIRCLE;
      const shape = circle ? g : this.#coords;
      gridMarks(shape, circle ? box + SHAPE : g[box + SHAPE]!, circle, list, at + FRAME, list, to + MARKS);
    }
    list[at]!++;
  }

  /** Drops the slot's entries from the list at `at`, in place; returns how many are left. */
  #removeEntries(at: number, slotIndex: number): number {
    const list = this.#lists;
    let kept = 0;
    for (let i = 0; i < list[at]!; i++) {
      const from = at + HEAD + i * LIST_REC;
      if (list[from]! >> 1 === slotIndex) continue;
      list.copyWithin(at + HEAD + kept * LIST_REC, from, from + LIST_REC);
      kept++;
    }
    list[at] = kept;
    return kept;
  }

  #killList(at: number): void {
    this.#listsGarbage += HEAD + this.#lists[at + 1]! * LIST_REC;
    this.#lists[at] = -1;
  }

  /** Room for a list of `size` numbers at the end of `#lists`: compacts first when dead lists are most of it. */
  #allocList(size: number): number {
    if (this.#listsGarbage > 1 << 16 && this.#listsGarbage * 2 > this.#listsUsed) {
      const old = this.#lists;
      const compact = new Float64Array(Math.max(1 << 14, (this.#listsUsed - this.#listsGarbage) * 2 + size));
      let used = 0;
      for (let at = 0; at < this.#listsUsed; ) {
        const length = HEAD + old[at + 1]! * LIST_REC;
        if (old[at]! >= 0) {
          compact.set(old.subarray(at, at + length), used);
          this.#byRes[old[at + 2]!]!.set(old[at + 3]!, -2 - used);
          used += length;
        }
        at += length;
      }
      this.#lists = compact;
      this.#listsUsed = used;
      this.#listsGarbage = 0;
    }
    this.#lists = withRoom(this.#lists, this.#listsUsed, size);
    const at = this.#listsUsed;
    this.#listsUsed += size;
    return at;
  }

  #setGeo(index: number, fence: Fence): void {
    this.#geo = withRoom(this.#geo, index * GEO, GEO);
    const at = index * GEO;
    this.#geo[at + KIND] = CIRCLE; // until its run is in place (a compaction may run meanwhile)
    const shape = fence.shape;
    let [minLng, minLat, maxLng, maxLat] = bbox(shape);
    if (shape.type === 'Circle') {
      // A circle's box, padded: 1° of latitude is at least 110.5 km; longitude shrinks with cos(lat).
      const [lng, lat] = shape.center as [number, number];
      const dLat = (shape.radiusM / 110_500) * 1.01;
      const dLng = dLat / Math.max(0.01, Math.cos(((Math.abs(lat) + dLat) * Math.PI) / 180));
      [minLng, minLat, maxLng, maxLat] = [lng - dLng, lat - dLat, lng + dLng, lat + dLat];
      this.#geo[at + KIND] = CIRCLE;
      this.#geo.set(circleParams([lng, lat], shape.radiusM), at + SHAPE);
    } else {
      const run = encodePolygons(shape);
      this.#reserveCoords(run.length);
      const start = this.#coordsUsed;
      this.#coords.set(run, start);
      this.#coordsUsed += run.length;
      this.#geo[at + KIND] = POLYGONS;
      this.#geo[at + SHAPE] = start;
      this.#geo[at + SHAPE + 1] = this.#coordsUsed;
    }
    this.#geo.set([minLat, maxLat, minLng, maxLng], at);
  }

  /** Room for `n` more numbers in `#coords`: compacts first when removed runs are most of it. */
  #reserveCoords(n: number): void {
    if (this.#coordsGarbage > 1 << 16 && this.#coordsGarbage * 2 > this.#coordsUsed) {
      const compact = new Float64Array(Math.max(1 << 14, (this.#coordsUsed - this.#coordsGarbage) * 2 + n));
      let used = 0;
      for (let i = 0; i < this.#slots.length; i++) {
        const at = i * GEO + SHAPE;
        if (this.#slots[i] === undefined || this.#geo[i * GEO + KIND] !== POLYGONS) continue;
        const [start, end] = [this.#geo[at]!, this.#geo[at + 1]!];
        compact.set(this.#coords.subarray(start, end), used);
        this.#geo[at] = used;
        used += end - start;
        this.#geo[at + 1] = used;
      }
      this.#coords = compact;
      this.#coordsUsed = used;
      this.#coordsGarbage = 0;
    }
    this.#coords = withRoom(this.#coords, this.#coordsUsed, n);
  }

  #refreshResolutions(): void {
    this.#resolutions = [];
    for (let r = 0; r < 16; r++) if (this.#resCount[r]! > 0) this.#resolutions.push(r);
  }
}

/** `store` itself when `n` more numbers fit after `used`, else a copy of its used part with room (doubling). */
function withRoom(store: Float64Array<ArrayBuffer>, used: number, n: number): Float64Array<ArrayBuffer> {
  if (used + n <= store.length) return store;
  const grown = new Float64Array(Math.max(store.length * 2, used + n));
  grown.set(store.subarray(0, used));
  return grown;
}
