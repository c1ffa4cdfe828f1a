import { cellToParent, getResolution, gridDisk, isValidCell } from 'h3-js';

/**
 * Whether a store is near a device: within `rings` H3 rings of the device's cell, compared at the
 * coarser of the two cells' resolutions (a store given as a district's cell is near every device
 * in or beside that district; a store given as a fine cell is near a device whose cell holds it
 * or borders it). The disks are computed on first use, once per resolution.
 */
export class NearbyCells {
  readonly #cell: string;
  readonly #resolution: number;
  readonly #rings: number;
  readonly #disks = new Map<number, Set<string>>();

  /** Null when the device's cell is not an H3 cell (a position without one). */
  static of(deviceCell: string, rings: number): NearbyCells | null {
    return isValidCell(deviceCell) ? new NearbyCells(deviceCell, rings) : null;
  }

  private constructor(deviceCell: string, rings: number) {
    this.#cell = deviceCell;
    this.#resolution = getResolution(deviceCell);
    this.#rings = rings;
  }

  /** Whether one of `stores` (H3 cells) is near the device. */
  any(stores: readonly string[]): boolean {
    for (const store of stores) {
      const resolution = getResolution(store);
      if (resolution < 0) continue;
      const near =
        resolution <= this.#resolution
          ? this.#disk(resolution).has(store)
          : this.#disk(this.#resolution).has(cellToParent(store, this.#resolution));
      if (near) return true;
    }
    return false;
  }

  #disk(resolution: number): Set<string> {
    let disk = this.#disks.get(resolution);
    if (disk === undefined) {
      const centre = resolution === this.#resolution ? this.#cell : cellToParent(this.#cell, resolution);
      disk = new Set(gridDisk(centre, this.#rings));
      this.#disks.set(resolution, disk);
    }
    return disk;
  }
}
