export const ZERO_UUID = '0'.repeat(32);

/**
 * Builds a response as a list of chunks: small fields go into a growing scratch buffer, large
 * record sets are appended by reference (no copy of fetched log bytes).
 */
export class Writer {
  #chunks: Buffer[] = [];
  #buf: Buffer;
  #pos = 0;
  #length = 0;

  /**
   * @param flexible a flexible version's body (KIP-482): compact strings, bytes and arrays (uvarint
   *   length plus one), and `tags()` writes an empty tagged-field section.
   */
  constructor(
    initial = 256,
    readonly flexible = false,
  ) {
    this.#buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.#length + this.#pos;
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    this.#flushScratch();
    this.#buf = Buffer.allocUnsafe(Math.max(256, n, this.#buf.length * 2));
  }

  #flushScratch(): void {
    if (this.#pos > 0) {
      this.#chunks.push(this.#buf.subarray(0, this.#pos));
      this.#length += this.#pos;
      this.#buf = this.#buf.subarray(this.#pos);
      this.#pos = 0;
    }
  }

  int8(v: number): this {
    this.#ensure(1);
    this.#buf.writeInt8(v, this.#pos);
    this.#pos += 1;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.#ensure(2);
    this.#buf.writeInt16BE(v, this.#pos);
    this.#pos += 2;
    return this;
  }

  int32(v: number): this {
    this.#ensure(4);
    this.#buf.writeInt32BE(v, this.#pos);
    this.#pos += 4;
    return this;
  }

  int64(v: number | bigint): this {
    this.#ensure(8);
    this.#buf.writeBigInt64BE(BigInt(v), this.#pos);
    this.#pos += 8;
    return this;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.flexible ? this.uvarint(0) : this.int16(-1);
    const len = Buffer.byteLength(s);
    if (this.flexible) this.uvarint(len + 1);
    else this.int16(len);
    this.#ensure(len);
    this.#pos += this.#buf.write(s, this.#pos, 'utf8');
    return this;
  }

  string(s: string): this {
    return this.nullableString(s);
  }

  nullableBytes(b: Buffer | null): this {
    if (b === null) return this.flexible ? this.uvarint(0) : this.int32(-1);
    this.size(b.length);
    return this.raw(b);
  }

  /** The length in front of `n` bytes (or array items) about to follow. */
  size(n: number): this {
    return this.flexible ? this.uvarint(n + 1) : this.int32(n);
  }

  /** The end of a struct: an empty tagged-field section in flexible versions. */
  tags(): this {
    return this.flexible ? this.uvarint(0) : this;
  }

  /** A UUID from 32 hex digits (the zero UUID: "none", as Kafka without topic ids answers). */
  uuid(hex = ZERO_UUID): this {
    return this.raw(Buffer.from(hex, 'hex'));
  }

  bytes(b: Buffer): this {
    return this.nullableBytes(b);
  }

  /** Appends bytes by reference when large, by copy when small. */
  raw(b: Buffer): this {
    if (b.length < 512) {
      this.#ensure(b.length);
      b.copy(this.#buf, this.#pos);
      this.#pos += b.length;
    } else {
      this.#flushScratch();
      this.#chunks.push(b);
      this.#length += b.length;
    }
    return this;
  }

  array<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    this.size(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  /** An array of structs: in flexible versions each element ends with its tagged fields. */
  structs<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    return this.array(items, (w, item) => {
      write(w, item);
      w.tags();
    });
  }

  nullableArray<T>(items: readonly T[] | null, write: (w: Writer, item: T) => void): this {
    if (items === null) return this.flexible ? this.uvarint(0) : this.int32(-1);
    return this.array(items, write);
  }

  uvarint(v: number): this {
    let value = v >>> 0;
    while (value > 0x7f) {
      this.int8((((value & 0x7f) | 0x80) << 24) >> 24);
      value >>>= 7;
    }
    return this.int8((value << 24) >> 24);
  }

  /** The frame: the chunks, to be written after an int32 size prefix. */
  chunks(): Buffer[] {
    this.#flushScratch();
    return this.#chunks;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks());
  }
}
