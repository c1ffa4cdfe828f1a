/** Thrown for any request the broker cannot parse; the connection is closed, the broker carries on. */
export class MalformedRequest extends Error {
  override readonly name = 'MalformedRequest';
}

/**
 * A bounds-checked reader over one request frame. Every length read from the wire is checked
 * against the bytes left before anything is allocated, so a hostile length can't exhaust memory.
 */
export class Reader {
  offset: number;
  /**
   * A flexible version's body (KIP-482): strings, bytes and arrays carry uvarint lengths plus
   * one, and every struct ends with tagged fields (`tags()`). The same reads serve both encodings.
   */
  flexible = false;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    readonly end = buf.length,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  #need(n: number): void {
    if (n < 0 || this.offset + n > this.end) {
      throw new MalformedRequest(`need ${n} bytes at ${this.offset}, frame ends at ${this.end}`);
    }
  }

  int8(): number {
    this.#need(1);
    return this.buf.readInt8(this.offset++);
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.#need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.#need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** int64 as a JS number; Kafka offsets and timestamps stay far below 2^53. */
  int64(): number {
    this.#need(8);
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return Number(v);
  }

  nullableString(): string | null {
    const len = this.flexible ? this.uvarint() - 1 : this.int16();
    if (len < 0) return null;
    this.#need(len);
    const s = this.buf.toString('utf8', this.offset, this.offset + len);
    this.offset += len;
    return s;
  }

  string(): string {
    return this.nullableString() ?? '';
  }

  nullableBytes(): Buffer | null {
    const len = this.flexible ? this.uvarint() - 1 : this.int32();
    if (len < 0) return null;
    this.#need(len);
    const b = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return b;
  }

  bytes(): Buffer {
    return this.nullableBytes() ?? Buffer.alloc(0);
  }

  /** An int32-counted array; null for -1. Each element takes at least `minElementBytes`. */
  nullableArray<T>(read: (r: Reader) => T, minElementBytes = 1): T[] | null {
    const count = this.flexible ? this.uvarint() - 1 : this.int32();
    if (count < 0) return null;
    // Compact elements can be smaller than their classic form: at least a byte each (their tags).
    if (count * (this.flexible ? 1 : minElementBytes) > this.remaining) {
      throw new MalformedRequest(`array of ${count} cannot fit in ${this.remaining} bytes`);
    }
    const out: T[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = read(this);
    return out;
  }

  array<T>(read: (r: Reader) => T, minElementBytes = 1): T[] {
    return this.nullableArray(read, minElementBytes) ?? [];
  }

  /** An array of structs: in flexible versions each element ends with its tagged fields. */
  structs<T>(read: (r: Reader) => T, minElementBytes = 1): T[] {
    return this.nullableStructs(read, minElementBytes) ?? [];
  }

  nullableStructs<T>(read: (r: Reader) => T, minElementBytes = 1): T[] | null {
    return this.nullableArray((r) => {
      const element = read(r);
      r.tags();
      return element;
    }, minElementBytes);
  }

  /** Unsigned varint (flexible versions' lengths and tag counts). */
  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (shift > 28) throw new MalformedRequest('uvarint too long');
      const b = this.int8() & 0xff;
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
      shift += 7;
    }
  }

  /** The end of a struct: its tagged fields, skipped (none in non-flexible versions). */
  tags(): void {
    if (this.flexible) this.skipTaggedFields();
  }

  /** A UUID (16 bytes) as 32 hex digits. */
  uuid(): string {
    this.#need(16);
    const hex = this.buf.toString('hex', this.offset, this.offset + 16);
    this.offset += 16;
    return hex;
  }

  /** Skips a flexible version's tagged-field section. */
  skipTaggedFields(): void {
    const count = this.uvarint();
    if (count > this.remaining) throw new MalformedRequest('tag count exceeds frame');
    for (let i = 0; i < count; i++) {
      this.uvarint();
      const size = this.uvarint();
      this.#need(size);
      this.offset += size;
    }
  }
}
