import { gunzipSync, gzipSync } from 'node:zlib';
import { crc32c } from './crc32c.js';
import {
  decodeZigZag,
  decodeZigZag32,
  encodeZigZag,
  varLongSize,
  writeVarInt,
  writeVarLong,
} from './varint.js';

/** Record batch v2 (magic 2) layout; see KAFKA-PROTOCOL.md §2. */
export const BATCH_HEADER_BYTES = 61;
export const BATCH_OVERHEAD = 12; // baseOffset + batchLength

export const Codec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

export interface BatchHeader {
  baseOffset: number;
  /** Total bytes including baseOffset and batchLength. */
  size: number;
  magic: number;
  crc: number;
  attributes: number;
  codec: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

export interface BatchRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
}

export type BatchProblem =
  | 'truncated'
  | 'bad-length'
  | 'bad-magic'
  | 'bad-crc'
  | 'bad-codec'
  | 'control'
  | 'bad-count';

/** Reads a batch header at `pos`; null when fewer than a header's bytes remain. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader | null {
  if (buf.length - pos < BATCH_HEADER_BYTES) return null;
  const attributes = buf.readInt16BE(pos + 21);
  return {
    baseOffset: Number(buf.readBigInt64BE(pos)),
    size: buf.readInt32BE(pos + 8) + BATCH_OVERHEAD,
    magic: buf.readInt8(pos + 16),
    crc: buf.readUInt32BE(pos + 17),
    attributes,
    codec: attributes & 0x07,
    lastOffsetDelta: buf.readInt32BE(pos + 23),
    baseTimestamp: Number(buf.readBigInt64BE(pos + 27)),
    maxTimestamp: Number(buf.readBigInt64BE(pos + 35)),
    producerId: Number(buf.readBigInt64BE(pos + 43)),
    producerEpoch: buf.readInt16BE(pos + 51),
    baseSequence: buf.readInt32BE(pos + 53),
    recordsCount: buf.readInt32BE(pos + 57),
  };
}

/**
 * Checks one whole batch at `pos`: magic 2, a length that fits, CRC-32C over attributes..end.
 * Produce-time checks (codec, control, count) are added with `strict`.
 */
export function checkBatch(
  buf: Buffer,
  pos: number,
  strict: boolean,
): { header: BatchHeader } | { problem: BatchProblem } {
  const header = readBatchHeader(buf, pos);
  if (header === null) return { problem: 'truncated' };
  if (header.size < BATCH_HEADER_BYTES) return { problem: 'bad-length' };
  if (pos + header.size > buf.length) return { problem: 'truncated' };
  if (header.magic !== 2) return { problem: 'bad-magic' };
  if (crc32c(buf, pos + 21, pos + header.size) !== header.crc) return { problem: 'bad-crc' };
  if (strict) {
    if (header.codec > Codec.zstd) return { problem: 'bad-codec' };
    if ((header.attributes & 0x20) !== 0) return { problem: 'control' };
    if (header.recordsCount < 0 || header.lastOffsetDelta !== header.recordsCount - 1)
      return { problem: 'bad-count' };
  }
  return { header };
}

/** Rewrites the base offset in place (not CRC-covered). */
export function setBaseOffset(batch: Buffer, baseOffset: number): void {
  batch.writeBigInt64BE(BigInt(baseOffset), 0);
}

/** Sets LogAppendTime (attribute bit 3) and maxTimestamp, then recomputes the CRC. */
export function stampLogAppendTime(batch: Buffer, now: number): void {
  batch.writeInt16BE(batch.readInt16BE(21) | 0x08, 21);
  batch.writeBigInt64BE(BigInt(now), 35);
  batch.writeUInt32BE(crc32c(batch, 21, batch.length), 17);
}

/** True when this broker can decode the records (uncompressed or gzip). */
export function canDecode(header: BatchHeader): boolean {
  return header.codec === Codec.none || header.codec === Codec.gzip;
}

/** Decodes the records of a whole batch; null if the codec is one the broker doesn't carry or the bytes are bad. */
export function decodeRecords(batch: Buffer): BatchRecord[] | null {
  const header = readBatchHeader(batch);
  if (header === null || !canDecode(header)) return null;
  let body = batch.subarray(BATCH_HEADER_BYTES, header.size);
  if (header.codec === Codec.gzip) {
    try {
      body = gunzipSync(body);
    } catch {
      return null;
    }
  }
  const logAppend = (header.attributes & 0x08) !== 0;
  const records: BatchRecord[] = [];
  let pos = 0;
  const count = Math.min(header.recordsCount, body.length);
  for (let i = 0; i < count; i++) {
    const len = decodeZigZag32(body, pos);
    if (len === null || len.value < 0 || len.next + len.value > body.length) return null;
    const end = len.next + len.value;
    let p = len.next + 1; // attributes
    const tsDelta = decodeZigZag(body, p, end);
    if (tsDelta === null) return null;
    const offDelta = decodeZigZag32(body, tsDelta.next, end);
    if (offDelta === null) return null;
    const key = readVarBytes(body, offDelta.next, end);
    if (key === undefined) return null;
    const value = readVarBytes(body, key.next, end);
    if (value === undefined) return null;
    const hc = decodeZigZag32(body, value.next, end);
    if (hc === null || hc.value < 0 || hc.value > end - hc.next) return null;
    p = hc.next;
    const headers: BatchRecord['headers'] = [];
    for (let h = 0; h < hc.value; h++) {
      const hk = readVarBytes(body, p, end);
      if (hk === undefined || hk.bytes === null) return null;
      const hv = readVarBytes(body, hk.next, end);
      if (hv === undefined) return null;
      headers.push({ key: hk.bytes.toString('utf8'), value: hv.bytes });
      p = hv.next;
    }
    records.push({
      offset: header.baseOffset + offDelta.value,
      timestamp: logAppend ? header.maxTimestamp : header.baseTimestamp + Number(tsDelta.value),
      key: key.bytes,
      value: value.bytes,
      headers,
    });
    pos = end;
  }
  return records;
}

function readVarBytes(
  buf: Buffer,
  pos: number,
  end: number,
): { bytes: Buffer | null; next: number } | undefined {
  const len = decodeZigZag32(buf, pos, end);
  if (len === null) return undefined;
  if (len.value < 0) return { bytes: null, next: len.next };
  if (len.next + len.value > end) return undefined;
  return { bytes: Buffer.from(buf.subarray(len.next, len.next + len.value)), next: len.next + len.value };
}

export interface EncodeBatchOptions {
  baseOffset: number;
  records: Array<Omit<BatchRecord, 'offset'> & { offset?: number }>;
  codec?: 0 | 1;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Kept from the original batch when compaction removes records, so offsets stay consistent. */
  lastOffsetDelta?: number;
}

/** Encodes a record batch v2 (none or gzip). Records may carry explicit offsets (compaction keeps gaps). */
export function encodeBatch(options: EncodeBatchOptions): Buffer {
  const { records } = options;
  const baseTimestamp = records.length === 0 ? 0 : Math.min(...records.map((r) => r.timestamp));
  const maxTimestamp = records.length === 0 ? 0 : Math.max(...records.map((r) => r.timestamp));
  const parts: Buffer[] = [];
  let lastOffsetDelta = records.length - 1;
  records.forEach((record, i) => {
    const offsetDelta = record.offset === undefined ? i : record.offset - options.baseOffset;
    lastOffsetDelta = Math.max(lastOffsetDelta, offsetDelta);
    const fields: Buffer[] = [
      Buffer.from([0]),
      encodeZigZag(record.timestamp - baseTimestamp),
      encodeZigZag(offsetDelta),
      varBytes(record.key),
      varBytes(record.value),
      encodeZigZag(record.headers.length),
    ];
    for (const h of record.headers) fields.push(varBytes(Buffer.from(h.key)), varBytes(h.value));
    const body = Buffer.concat(fields);
    parts.push(encodeZigZag(body.length), body);
  });
  let recordsBytes = Buffer.concat(parts);
  const codec = options.codec ?? 0;
  if (codec === Codec.gzip) recordsBytes = gzipSync(recordsBytes);
  const batch = Buffer.concat([Buffer.alloc(BATCH_HEADER_BYTES), recordsBytes]);
  writeBatchHeader(batch, {
    baseOffset: options.baseOffset,
    partitionLeaderEpoch: 0,
    attributes: codec,
    lastOffsetDelta: options.lastOffsetDelta ?? lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId: options.producerId ?? -1,
    producerEpoch: options.producerEpoch ?? -1,
    baseSequence: options.baseSequence ?? -1,
    recordsCount: records.length,
  });
  return batch;
}

/** What a writer sets; the size, magic and CRC follow from the bytes. */
type HeaderFields = Omit<BatchHeader, 'size' | 'magic' | 'crc' | 'codec'> & { partitionLeaderEpoch: number };

/** Writes the 61-byte v2 header over a batch whose records follow it, then its CRC-32C. */
function writeBatchHeader(batch: Buffer, h: HeaderFields): void {
  batch.writeBigInt64BE(BigInt(h.baseOffset), 0);
  batch.writeInt32BE(batch.length - BATCH_OVERHEAD, 8);
  batch.writeInt32BE(h.partitionLeaderEpoch, 12);
  batch.writeInt8(2, 16); // magic
  batch.writeInt16BE(h.attributes, 21);
  batch.writeInt32BE(h.lastOffsetDelta, 23);
  batch.writeBigInt64BE(BigInt(h.baseTimestamp), 27);
  batch.writeBigInt64BE(BigInt(h.maxTimestamp), 35);
  batch.writeBigInt64BE(BigInt(h.producerId), 43);
  batch.writeInt16BE(h.producerEpoch, 51);
  batch.writeInt32BE(h.baseSequence, 53);
  batch.writeInt32BE(h.recordsCount, 57);
  batch.writeUInt32BE(crc32c(batch, 21, batch.length), 17);
}

function varBytes(b: Buffer | null): Buffer {
  if (b === null) return encodeZigZag(-1);
  return Buffer.concat([encodeZigZag(b.length), b]);
}

/** What a producer writes: a key and a value (text is written as UTF-8 without a Buffer of its own). */
export interface ProducerRecord {
  key: string;
  value: string | Buffer;
  timestamp: number;
}

/**
 * Record batch v2, uncompressed, written straight into one buffer: header (61 bytes), then per
 * record its varint length, attributes, timestamp delta, offset delta, key, value, no headers.
 */
export function encodeRecordBatch(
  records: readonly ProducerRecord[],
  producerId: number,
  epoch: number,
  baseSequence: number,
): Buffer {
  let baseTimestamp = Number.POSITIVE_INFINITY;
  let maxTimestamp = Number.NEGATIVE_INFINITY;
  let capacity = BATCH_HEADER_BYTES;
  const keyBytes = new Array<number>(records.length);
  const valueBytes = new Array<number>(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const t = record.timestamp;
    if (t < baseTimestamp) baseTimestamp = t;
    if (t > maxTimestamp) maxTimestamp = t;
    keyBytes[i] = Buffer.byteLength(record.key);
    valueBytes[i] = typeof record.value === 'string' ? Buffer.byteLength(record.value) : record.value.length;
    // length (≤5) + attributes (1) + timestamp delta (≤10) + offset delta (≤5) + key/value lengths (≤5 each) + headers (1)
    capacity += 32 + keyBytes[i]! + valueBytes[i]!;
  }
  const buf = Buffer.allocUnsafe(capacity);
  let pos = BATCH_HEADER_BYTES;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const keyLength = keyBytes[i]!;
    const valueLength = valueBytes[i]!;
    const delta = record.timestamp - baseTimestamp;
    const bodyLength =
      1 +
      varLongSize(delta) +
      varLongSize(i) +
      varLongSize(keyLength) +
      keyLength +
      varLongSize(valueLength) +
      valueLength +
      1;
    pos = writeVarInt(buf, pos, bodyLength);
    buf[pos++] = 0; // attributes
    pos = writeVarLong(buf, pos, delta);
    pos = writeVarInt(buf, pos, i);
    pos = writeVarInt(buf, pos, keyLength);
    pos += buf.write(record.key, pos, keyLength);
    pos = writeVarInt(buf, pos, valueLength);
    const value = record.value;
    pos += typeof value === 'string' ? buf.write(value, pos, valueLength) : value.copy(buf, pos);
    buf[pos++] = 0; // no headers
  }
  const batch = buf.subarray(0, pos);
  writeBatchHeader(batch, {
    baseOffset: 0, // the broker assigns
    partitionLeaderEpoch: -1,
    attributes: 0, // no codec, create time
    lastOffsetDelta: records.length - 1,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch: epoch,
    baseSequence,
    recordsCount: records.length,
  });
  return batch;
}
