import {
  checkBatch,
  crc32c,
  crc32cImplementation,
  crc32cJs,
  decodeRecords,
  decodeZigZag,
  encodeBatch,
  encodeZigZag,
  readBatchHeader,
} from '@hexcast/core';
import { describe, expect, it } from 'vitest';

describe('wire primitives', () => {
  it('CRC-32C matches the standard check value, in both implementations', () => {
    for (const crc of [crc32c, crc32cJs]) {
      expect(crc(Buffer.from('123456789'))).toBe(0xe3069283);
      expect(crc(Buffer.alloc(0))).toBe(0);
      const long = Buffer.from('The quick brown fox jumps over the lazy dog, repeatedly. '.repeat(10));
      // The slicing-by-8 path must agree with a byte-at-a-time run over any alignment.
      expect(crc(long, 3, long.length - 5)).toBe(crc(Buffer.from(long.subarray(3, long.length - 5))));
    }
  });

  it('the native CRC-32C (the CPU instruction) is in use here and agrees with the JavaScript one on random input', () => {
    // `@node-rs/crc32` ships a binding for this platform; on one without, crc32c is crc32cJs.
    expect(crc32cImplementation).toBe('native');
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let n = 0; n < 300; n++) {
      const buf = Buffer.alloc(random() % 5000);
      for (let i = 0; i < buf.length; i++) buf[i] = random() & 0xff;
      const start = buf.length === 0 ? 0 : random() % buf.length;
      const end = start + (buf.length === start ? 0 : random() % (buf.length - start + 1));
      expect(crc32c(buf, start, end)).toBe(crc32cJs(buf, start, end));
      expect(crc32c(new Uint8Array(buf))).toBe(crc32cJs(buf));
    }
  });

  it.each([
    [0n, [0x00]],
    [-1n, [0x01]],
    [1n, [0x02]],
    [63n, [0x7e]],
    [-64n, [0x7f]],
    [64n, [0x80, 0x01]],
  ])('zig-zag %s encodes as %j and decodes back', (value, bytes) => {
    expect([...encodeZigZag(value)]).toEqual(bytes);
    expect(decodeZigZag(Buffer.from(bytes), 0)?.value).toBe(value);
  });

  it('round-trips int64 extremes', () => {
    for (const v of [9223372036854775807n, -9223372036854775808n, 2n ** 40n, -(2n ** 40n)]) {
      const enc = encodeZigZag(v);
      expect(decodeZigZag(enc, 0)).toEqual({ value: v, next: enc.length });
    }
    expect(decodeZigZag(Buffer.from([0x80, 0x80]), 0)).toBeNull(); // truncated
  });

  it('encodes and decodes a record batch (none and gzip) with a valid CRC', () => {
    for (const codec of [0, 1] as const) {
      const records = [
        {
          timestamp: 1000,
          key: Buffer.from('k'),
          value: Buffer.from('v'),
          headers: [{ key: 'h', value: Buffer.from('x') }],
        },
        { timestamp: 1005, key: null, value: null, headers: [] },
      ];
      const batch = encodeBatch({ baseOffset: 42, records, codec });
      const checked = checkBatch(batch, 0, true);
      expect('header' in checked).toBe(true);
      const header = readBatchHeader(batch)!;
      expect(header).toMatchObject({
        baseOffset: 42,
        codec,
        lastOffsetDelta: 1,
        recordsCount: 2,
        maxTimestamp: 1005,
      });
      expect(decodeRecords(batch)).toEqual([
        { offset: 42, ...records[0] },
        { offset: 43, ...records[1] },
      ]);
    }
  });

  it('detects a flipped bit, a bad magic and a truncated batch', () => {
    const batch = encodeBatch({
      baseOffset: 0,
      records: [{ timestamp: 1, key: null, value: Buffer.from('hello'), headers: [] }],
    });
    const flipped = Buffer.from(batch);
    flipped[flipped.length - 1]! ^= 1;
    expect(checkBatch(flipped, 0, true)).toEqual({ problem: 'bad-crc' });
    const magic = Buffer.from(batch);
    magic[16] = 1;
    expect(checkBatch(magic, 0, true)).toEqual({ problem: 'bad-magic' });
    expect(checkBatch(batch.subarray(0, batch.length - 1), 0, true)).toEqual({ problem: 'truncated' });
    // Base offset is not CRC-covered: rewriting it keeps the batch valid.
    const moved = Buffer.from(batch);
    moved.writeBigInt64BE(99n, 0);
    expect('header' in checkBatch(moved, 0, true)).toBe(true);
  });
});
