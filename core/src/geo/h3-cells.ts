/**
 * Cell arithmetic on the low 52 bits of an H3 index (base cell + 15 three-bit digits), which a
 * JS number holds exactly. A parent at resolution r has digits r+1..15 set to 7, so finding every
 * ancestor of a cell costs a few float operations instead of a WASM call each.
 */
const DIGIT_SPAN = Array.from({ length: 16 }, (_, r) => 2 ** (3 * (15 - r)));

/** The 52-bit tail of a cell string ("8" + resolution nibble + 13 hex digits). */
export function cellTail(cell: string): number {
  return Number.parseInt(cell.slice(2), 16);
}

export function cellRes(cell: string): number {
  return Number.parseInt(cell[1]!, 16);
}

/** The tail of the ancestor at resolution r (r ≤ the cell's resolution). */
export function parentTail(tail: number, r: number): number {
  const span = DIGIT_SPAN[r]!;
  return tail - (tail % span) + (span - 1);
}

/** The ancestor at resolution r as a compact key: base cell and the first r digits (7 + 3r bits). */
export function ancestorKey(tail: number, r: number): number {
  return Math.floor(tail / DIGIT_SPAN[r]!);
}

/** The cell string for a resolution and a tail (inverse of `cellRes` + `cellTail`). */
export function cellString(res: number, tail: number): string {
  // Two 32-bit-or-less halves: integer radix conversion, not the floating-point one a 52-bit
  // number takes (this runs for every fix the gateway stamps).
  const high = Math.floor(tail / TWO_32);
  const low = (tail - high * TWO_32).toString(16);
  return `8${res.toString(16)}${high.toString(16).padStart(5, '0')}${'00000000'.slice(low.length)}${low}`;
}

const TWO_32 = 2 ** 32;
