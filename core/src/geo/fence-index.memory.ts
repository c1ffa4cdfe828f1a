import { latLngToCell } from 'h3-js';
import { HexcastError } from '../errors/index.js';
import { exactTest, type ShapeTest } from './contains.js';
import { coverFence } from './cover.js';
import type { FenceIndex } from './fence-index.js';
import { cellRes, cellTail, parentTail } from './h3-cells.js';
import type { Fence } from './shapes.js';
import { validateFenceShape } from './validate.js';

interface Slot {
  id: string;
  test: ShapeTest;
  /** Where the fence's entries sit, for removal: tails and resolutions, packed. */
  tails: Float64Array;
  resolutions: Uint8Array;
}

/**
 * An entry is `slot * 2 + exact`: exact 1 for an interior cell (a hit is an answer), 0 for a
 * boundary cell (a hit needs the exact test). A cell holding one entry stores the number itself,
 * not an array: most cells belong to one fence.
 */
type Entries = number | number[];

/**
 * The in-process H3 fence index. A lookup is one `latLngToCell` at the finest resolution in use,
 * then one map probe per resolution in use (ancestors come from bit arithmetic, not WASM calls).
 */
export class MemoryFenceIndex implements FenceIndex {
  readonly #byRes: Array<Map<number, Entries>> = Array.from({ length: 16 }, () => new Map());
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

  get cellCount(): number {
    return this.#byRes.reduce((n, m) => n + m.size, 0);
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
      tails: new Float64Array(cells.length),
      resolutions: new Uint8Array(cells.length),
    };
    this.#slots[slotIndex] = slot;
    this.#slotOf.set(fence.id, slotIndex);
    for (const [i, [cell, exact]] of cells.entries()) {
      const res = cellRes(cell);
      const tail = cellTail(cell);
      slot.tails[i] = tail;
      slot.resolutions[i] = res;
      const entry = slotIndex * 2 + exact;
      const map = this.#byRes[res]!;
      const current = map.get(tail);
      if (current === undefined) map.set(tail, entry);
      else if (typeof current === 'number') map.set(tail, [current, entry]);
      else current.push(entry);
      this.#resCount[res]!++;
    }
    this.#refreshResolutions();
  }

  removeSync(fenceId: string): boolean {
    const slotIndex = this.#slotOf.get(fenceId);
    if (slotIndex === undefined) return false;
    const slot = this.#slots[slotIndex]!;
    for (let i = 0; i < slot.tails.length; i++) {
      const res = slot.resolutions[i]!;
      const tail = slot.tails[i]!;
      const map = this.#byRes[res]!;
      const current = map.get(tail);
      if (current === undefined) continue;
      if (typeof current === 'number') {
        if (current >> 1 === slotIndex) map.delete(tail);
      } else {
        const kept = current.filter((e) => e >> 1 !== slotIndex);
        if (kept.length === 0) map.delete(tail);
        else map.set(tail, kept.length === 1 ? kept[0]! : kept);
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
    for (const res of this.#resolutions) {
      const entries = this.#byRes[res]!.get(parentTail(tail, res));
      if (entries === undefined) continue;
      if (typeof entries === 'number') this.#check(entries, lat, lng, out);
      else for (const entry of entries) this.#check(entry, lat, lng, out);
    }
    return out;
  }

  #check(entry: number, lat: number, lng: number, out: string[]): void {
    const slot = this.#slots[entry >> 1]!;
    if ((entry & 1) === 1 || slot.test(lat, lng)) out.push(slot.id);
  }

  #refreshResolutions(): void {
    this.#resolutions = [];
    for (let r = 0; r < 16; r++) if (this.#resCount[r]! > 0) this.#resolutions.push(r);
    this.#maxRes = this.#resolutions.at(-1) ?? -1;
  }
}
