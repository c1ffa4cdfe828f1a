/** Zig-zag signed varints and varlongs, as Kafka record fields use (not the unsigned varints of flexible versions). */

export function encodeZigZag(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, (BigInt(value) << 1n) ^ (BigInt(value) >> 63n));
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

/** Decodes a zig-zag varint at `offset`; returns the value and the next offset, or null past `end`. */
export function decodeZigZag(
  buf: Uint8Array,
  offset: number,
  end = buf.length,
): { value: bigint; next: number } | null {
  let result = 0n;
  let shift = 0n;
  let i = offset;
  for (;;) {
    if (i >= end || shift > 63n) return null;
    const b = buf[i++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7n;
  }
  const value = BigInt.asIntN(64, (result >> 1n) ^ -(result & 1n));
  return { value, next: i };
}

/** Fast path for int32-range zig-zag varints (lengths, deltas); falls back to BigInt when longer. */
export function decodeZigZag32(
  buf: Uint8Array,
  offset: number,
  end = buf.length,
): { value: number; next: number } | null {
  let result = 0;
  let shift = 0;
  let i = offset;
  while (shift <= 28) {
    if (i >= end) return null;
    const b = buf[i++]!;
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return { value: (result >>> 1) ^ -(result & 1), next: i };
    shift += 7;
  }
  const slow = decodeZigZag(buf, offset, end);
  return slow === null ? null : { value: Number(slow.value), next: slow.next };
}

/** Bytes of a zig-zag varint of a safe integer. */
export function varLongSize(value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let n = 1;
  while (v > 0x7f) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Zig-zag varint of a 32-bit value. */
export function writeVarInt(buf: Buffer, at: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let p = at;
  while (v > 0x7f) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}

/** Zig-zag varint of a safe integer (timestamp deltas may pass 2^31). */
export function writeVarLong(buf: Buffer, at: number, value: number): number {
  if (value >= -(2 ** 30) && value < 2 ** 30) return writeVarInt(buf, at, value);
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let p = at;
  while (v > 0x7f) {
    buf[p++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[p++] = v;
  return p;
}
