import { latLngToCell } from 'h3-js';
import { HexcastError } from '../errors/index.js';
import { CellTable } from './cell-table.js';
import { bbox, exactTest, type ShapeTest } from './contains.js';
import { coverFence } from './cover.js';
import type { FenceIndex } from './fence-index.js';
import { ancestorKey, cellRes, cellTail } from './h3-cells.js';
import type { Fence } from './shapes.js';
import { validateFenceShape } from './validate.js';

interface Slot {
  id: string;
  test: ShapeTest;
  /** Where the fence's entries sit, for removal: ancestor keys and resolutions, packed. */
  keys: Float64Array;
  resolutions: Uint8Array;
}

/**
 * An entry is `slot * 2 + exact`: exact 1 for an interior cell (a hit is an answer), 0 for a
 * boundary cell (a hit needs the exact test). A cell table maps a cell to a single entry when one
 * fence owns it (most cells), or to `-(2 + i)` where `#lists[i]` holds several.
 */

/**
 * The in-process H3 fence index. A lookup is one `latLngToCell` at the finest resolution in use,
 * then one map probe per resolution in use (ancestors come from bit arithmetic, not WASM calls).
 */
export class MemoryFenceIndex implements FenceIndex {
  readonly #byRes: CellTable[] = Array.from({ length: 16 }, () => new CellTable(16));
  readonly #lists: Array<number[] | undefined> = [];
  readonly #freeLists: number[] = [];
  /** Per slot: minLat, maxLat, minLng, maxLng — rejects most boundary candidates without the shape. */
  #boxes = new Float64Array(4 * 1024);
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
      test: exactTest(fence.shape),
      keys: new Float64Array(cells.length),
      resolutions: new Uint8Array(cells.length),
    };
    this.#slots[slotIndex] = slot;
    this.#slotOf.set(fence.id, slotIndex);
    this.#setBox(slotIndex, fence);
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
      else this.#lists[-2 - current]!.push(entry);
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
        const kept = this.#lists[listIndex]!.filter((e) => e >> 1 !== slotIndex);
        if (kept.length > 1) this.#lists[listIndex] = kept;
        else {
          this.#lists[listIndex] = undefined;
          this.#freeLists.push(listIndex);
          if (kept.length === 1) table.set(key, kept[0]!);
          else table.delete(key);
        }
      }
      this.#resCount[res]!--;
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
    const tail = cellTail(latLngToCell(lat, lng, this.#maxRes));
    const resolutions = this.#resolutions;
    for (let r = 0; r < resolutions.length; r++) {
      const res = resolutions[r]!;
      const value = this.#byRes[res]!.get(ancestorKey(tail, res));
      if (value === -1) continue;
      if (value >= 0) this.#check(value, lat, lng, out);
      else for (const entry of this.#lists[-2 - value]!) this.#check(entry, lat, lng, out);
    }
    return out;
  }

  #newList(entries: number[]): number {
    const index = this.#freeLists.pop() ?? this.#lists.length;
    this.#lists[index] = entries;
    return index;
  }

  #check(entry: number, lat: number, lng: number, out: string[]): void {
    const index = entry >> 1;
    if ((entry & 1) === 0) {
      const b = this.#boxes;
      const at = index * 4;
      if (lat < b[at]! || lat > b[at + 1]! || lng < b[at + 2]! || lng > b[at + 3]!) return;
      const slot = this.#slots[index]!;
      if (slot.test(lat, lng)) out.push(slot.id);
      return;
    }
    out.push(this.#slots[index]!.id);
  }

  #setBox(index: number, fence: Fence): void {
    if ((index + 1) * 4 > this.#boxes.length) {
      const grown = new Float64Array(Math.max(this.#boxes.length * 2, (index + 1) * 4));
      grown.set(this.#boxes);
      this.#boxes = grown;
    }
    let [minLng, minLat, maxLng, maxLat] = bbox(fence.shape);
    if (fence.shape.type === 'Circle') {
      // A circle's box, padded: 1° of latitude is at least 110.5 km; longitude shrinks with cos(lat).
      const [lng, lat] = fence.shape.center as [number, number];
      const dLat = (fence.shape.radiusM / 110_500) * 1.01;
      const dLng = dLat / Math.max(0.01, Math.cos(((Math.abs(lat) + dLat) * Math.PI) / 180));
      [minLng, minLat, maxLng, maxLat] = [lng - dLng, lat - dLat, lng + dLng, lat + dLat];
    }
    this.#boxes.set([minLat, maxLat, minLng, maxLng], index * 4);
  }

  #refreshResolutions(): void {
    this.#resolutions = [];
    for (let r = 0; r < 16; r++) if (this.#resCount[r]! > 0) this.#resolutions.push(r);
    this.#maxRes = this.#resolutions.at(-1) ?? -1;
  }
}
