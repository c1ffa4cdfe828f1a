import { NearbyCells } from '@hexcast/core';
import { cellToChildren, cellToParent, gridDisk, gridDistance, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';

describe('NearbyCells: a store near a device, by H3 cells', () => {
  const device = latLngToCell(48.8566, 2.3522, 9);
  const ring = (k: number) => gridDisk(device, k).find((c) => gridDistance(device, c) === k)!;

  it('counts a store within the rings at the same resolution, and none beyond', () => {
    for (const rings of [0, 1, 2]) {
      const near = NearbyCells.of(device, rings)!;
      for (let k = 0; k <= 3; k++) expect(near.any([ring(k)])).toBe(k <= rings);
    }
  });

  it('compares a coarser store cell at its resolution, and a finer one at the device’s', () => {
    const near = NearbyCells.of(device, 1)!;
    expect(near.any([cellToParent(device, 6)])).toBe(true); // the district holding the device
    expect(near.any([cellToParent(ring(3), 7)])).toBe(
      gridDistance(cellToParent(device, 7), cellToParent(ring(3), 7)) <= 1,
    );
    expect(near.any([cellToChildren(ring(1), 11)[0]!])).toBe(true); // a shop front in the next cell
    expect(near.any([cellToChildren(ring(2), 11)[0]!])).toBe(false);
    // Any of the stores will do; what is not an H3 cell is passed over.
    expect(near.any(['fffffffffffffff', ring(3), ring(1)])).toBe(true);
    expect(near.any([])).toBe(false);
  });

  it('has no answer for a device position without a cell', () => {
    expect(NearbyCells.of('', 1)).toBeNull();
    expect(NearbyCells.of('not-a-cell', 1)).toBeNull();
  });
});
