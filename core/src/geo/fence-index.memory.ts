import { HexcastError } from '../errors/index.js';
import { CellTable } from './cell-table.js';
import { bbox, circleParams, encodePolygons, inCircle, inPolygonsAt } from './contains.js';
import { coverFence } from './cover.js';
import type { FenceIndex } from './fence-index.js';
import { ancestorKey, cellRes, cellTail } from './h3-cells.js';
import { latLngToCellTail } from './lat-lng-cell.js';
import type { Fence } from './shapes.js';
import { validateFenceShape } from './validate.js';

interface Slot {
  id: string;
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

/** Per list entry: the entry, then its fence's box. */
const LIST_REC = 5;

function listEntries(list: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < list[0]!; i++) out.push(list[1 + i * LIST_REC]!);
  return out;
}

/**
 * An entry is `slot * 2 + exact`: exact 1 for an interior cell (a hit is an answer), 0 for a
 * boundary cell (a hit needs the exact test). A cell table maps a cell to a single entry when one
 * fence owns it (most cells), or to `-(2 + i)` where `#lists[i]` holds several: a list is one
 * Float64Array — a count, then per entry the entry and its fence's box (LIST_REC numbers) — so
 * the candidates of a cell are rejected by box from one array, not one record each (at 100,000
 * fences a point meets ~10 candidates and the box rejects ~80% of them).
 */

/**
 * The in-process H3 fence index. A lookup is one `latLngToCellTail` (h3's `latLngToCell` in plain
 * JS, see `lat-lng-cell.ts`) at the finest resolution in use,
 * then one map probe per resolution in use (ancestors come from bit arithmetic, not WASM calls).
 */
export class MemoryFenceIndex implements FenceIndex {
  readonly #byRes: CellTable[] = Array.from({ length: 16 }, () => new CellTable(16));
  readonly #lists: Array<Float64Array | undefined> = [];
  readonly #freeLists: number[] = [];
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
  #maxRes = -1;
  readonly #slots: Array<Slot | undefined> = [];
  readonly #free: number[] = [];
  readonly #slotOf = new Map<string, number>();

  async upsert(fence: Fence): Promise<void> {
    this.upsertSync(fence);
  }

  async remove(fenceId: string): Promise<boolean> {
    return this.removeSync(fenceId);
  }

  async lookup(lat: number, lng: number): Promise<string[]> {
    return this.lookupSync(lat, lng);
  }

  async size(): Promise<number> {
    return this.#slotOf.size;
  }

  /** Resolutions that hold cells, coarsest first: one table probe each per lookup. */
  get resolutionsInUse(): readonly number[] {
    return this.#resolutions;
  }

  get cellCount(): number {
    return this.#byRes.reduce((n, t) => n + t.size, 0);
  }

  upsertSync(fence: Fence): void {
    validateFenceShape(fence.shape);
    const cover = coverFence(fence.shape);
    this.removeSync(fence.id);
    const slotIndex = this.#free.pop() ?? this.#slots.length;
    const cells = [
      ...cover.interior.map((c) => [c, 1] as const),
      ...cover.boundary.map((c) => [c, 0] as const),
    ];
    const slot: Slot = {
      id: fence.id,
      keys: new Float64Array(cells.length),
      resolutions: new Uint8Array(cells.length),
    };
    this.#slots[slotIndex] = slot;
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
      else if (current >= 0) table.set(key, -2 - this.#newList([current, entry]));
      else this.#pushEntry(-2 - current, entry);
      this.#resCount[res]!++;
    }
    this.#refreshResolutions();
  }

  removeSync(fenceId: string): boolean {
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
        const listIndex = -2 - current;
        const kept = listEntries(this.#lists[listIndex]!).filter((e) => e >> 1 !== slotIndex);
        if (kept.length > 1) this.#lists[listIndex] = this.#listOf(kept);
        else {
          this.#lists[listIndex] = undefined;
          this.#freeLists.push(listIndex);
          if (kept.length === 1) table.set(key, kept[0]!);
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
    this.#free.push(slotIndex);
    this.#slotOf.delete(fenceId);
    this.#refreshResolutions();
    return true;
  }

  lookupSync(lat: number, lng: number): string[] {
    if (!(lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180)) {
      throw new HexcastError('HX_GEO_COORDINATE_RANGE', `lat/lng out of range: ${lat}, ${lng}`);
    }
    const out: string[] = [];
    if (this.#maxRes < 0) return out;
    const tail = latLngToCellTail(lat, lng, this.#maxRes);
    const resolutions = this.#resolutions;
    for (let r = 0; r < resolutions.length; r++) {
      const res = resolutions[r]!;
      const value = this.#byRes[res]!.get(ancestorKey(tail, res));
      if (value === -1) continue;
      if (value >= 0) this.#check(value, lat, lng, out);
      else {
        const list = this.#lists[-2 - value]!;
        const end = 1 + list[0]! * LIST_REC;
        for (let at = 1; at < end; at += LIST_REC) {
          const entry = list[at]!;
          if ((entry & 1) === 1) out.push(this.#slots[entry >> 1]!.id);
          else if (
            lat >= list[at + 1]! &&
            lat <= list[at + 2]! &&
            lng >= list[at + 3]! &&
            lng <= list[at + 4]!
          )
            this.#exact(entry >> 1, lat, lng, out);
        }
      }
    }
    return out;
  }

  #newList(entries: number[]): number {
    const index = this.#freeLists.pop() ?? this.#lists.length;
    this.#lists[index] = this.#listOf(entries);
    return index;
  }

  #check(entry: number, lat: number, lng: number, out: string[]): void {
    const index = entry >> 1;
    if ((entry & 1) === 1) {
      out.push(this.#slots[index]!.id);
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
    if (inside) out.push(this.#slots[index]!.id);
  }

  #listOf(entries: number[]): Float64Array {
    const list = new Float64Array(1 + Math.max(4, entries.length * 2) * LIST_REC);
    for (const entry of entries) this.#appendEntry(list, entry);
    return list;
  }

  #pushEntry(listIndex: number, entry: number): void {
    let list = this.#lists[listIndex]!;
    if (1 + (list[0]! + 1) * LIST_REC > list.length) {
      const grown = new Float64Array(1 + list[0]! * 2 * LIST_REC);
      grown.set(list);
      list = grown;
      this.#lists[listIndex] = list;
    }
    this.#appendEntry(list, entry);
  }

  #appendEntry(list: Float64Array, entry: number): void {
    const at = 1 + list[0]! * LIST_REC;
    const box = (entry >> 1) * GEO;
    list[at] = entry;
    list.set(this.#geo.subarray(box, box + 4), at + 1);
    list[0]!++;
  }

  #setGeo(index: number, fence: Fence): void {
    if ((index + 1) * GEO > this.#geo.length) {
      const grown = new Float64Array(Math.max(this.#geo.length * 2, (index + 1) * GEO));
      grown.set(this.#geo);
      this.#geo = grown;
    }
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
    if (this.#coordsUsed + n > this.#coords.length) {
      const grown = new Float64Array(Math.max(this.#coords.length * 2, this.#coordsUsed + n));
      grown.set(this.#coords.subarray(0, this.#coordsUsed));
      this.#coords = grown;
    }
  }

  #refreshResolutions(): void {
    this.#resolutions = [];
    for (let r = 0; r < 16; r++) if (this.#resCount[r]! > 0) this.#resolutions.push(r);
    this.#maxRes = this.#resolutions.at(-1) ?? -1;
  }
}
