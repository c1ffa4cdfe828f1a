import fs from 'node:fs';
import path from 'node:path';
import { HexcastError } from '../../errors/index.js';
import {
  type BatchHeader,
  canDecode,
  checkBatch,
  decodeRecords,
  encodeBatch,
  readBatchHeader,
  setBaseOffset,
} from '../../kafka-protocol/index.js';
import { BatchIndex } from './batch-index.js';
import { DiskSegmentFile, MemorySegmentFile, type SegmentFile } from './segment-file.js';

export interface LogSettings {
  segmentBytes: number;
  flush: 'batch' | 'interval';
  /** -1 keeps forever. Ignored for compacted logs. */
  retentionMs: number;
  retentionBytes: number;
  compacted: boolean;
  tombstoneRetentionMs: number;
}

interface Segment {
  baseOffset: number;
  file: SegmentFile;
  index: BatchIndex;
}

export interface ReadResult {
  chunks: Buffer[];
  bytes: number;
}

/** Reports a torn or corrupt tail found at open; the log has already been truncated. */
export type CorruptionReporter = (info: {
  topic: string;
  partition: number;
  segment: number;
  position: number;
  problem: string;
}) => void;

const SEGMENT_FILE = /^(\d{20})\.log$/;

/** A `commit` waiting for the log to be durable up to `offset` (exclusive). */
interface CommitWaiter {
  offset: number;
  done: (error: Error | null) => void;
}

/**
 * One partition's append-only log: a list of segments, each a file of record batches stored
 * exactly as produced (only the base offset is rewritten), with a batch index per segment.
 */
export class PartitionLog {
  readonly #segments: Segment[] = [];
  #nextOffset = 0;
  /**
   * Everything below is on stable storage; readers see no further (the high watermark). Moves
   * with each append unless the log is on disk with `flush: 'batch'`, where `commit` moves it.
   */
  #durableOffset = 0;
  readonly #groupCommit: boolean;
  #commits: CommitWaiter[] = [];
  #syncing = false;
  /** Set when an fsync failed: the kernel may have dropped the dirty pages, so nothing after is trusted. */
  #failed: Error | null = null;
  /** Log end offset and time of the last compaction: with nothing new, only ageing tombstones can change. */
  #compactedAt = { offset: -1, time: 0 };

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** null: memory only. */
    readonly dir: string | null,
    readonly settings: LogSettings,
    readonly onCorruption: CorruptionReporter = () => undefined,
  ) {
    this.#groupCommit = dir !== null && settings.flush === 'batch';
    this.#open();
    this.#durableOffset = this.#nextOffset;
  }

  get logStartOffset(): number {
    const first = this.#segments[0]!;
    return first.index.count > 0 ? Math.min(first.baseOffset, first.index.base(0)) : first.baseOffset;
  }

  /**
   * Single node: the high watermark is the log end offset once it is durable. With `flush:
   * 'batch'` that is after the `commit` covering it; readers and consumers see no further.
   */
  get highWatermark(): number {
    return this.#durableOffset;
  }

  /** The next offset to be written (≥ the high watermark). */
  get logEndOffset(): number {
    return this.#nextOffset;
  }

  get sizeBytes(): number {
    return this.#segments.reduce((sum, s) => sum + s.file.size, 0);
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  /**
   * Appends one validated batch; returns its base offset. With `flush: 'batch'` on disk the
   * batch is written but not yet durable nor readable: `commit` makes it both.
   */
  append(batch: Buffer, header: BatchHeader): number {
    if (this.#failed !== null) throw this.#failed;
    let active = this.#segments.at(-1)!;
    if (active.file.size > 0 && active.file.size + batch.length > this.settings.segmentBytes) {
      active.file.sync();
      active = this.#newSegment(this.#nextOffset);
    }
    const baseOffset = this.#nextOffset;
    setBaseOffset(batch, baseOffset);
    const position = active.file.size;
    active.file.append(batch);
    active.index.add(
      baseOffset,
      baseOffset + header.lastOffsetDelta,
      position,
      batch.length,
      header.maxTimestamp,
    );
    this.#nextOffset = baseOffset + header.lastOffsetDelta + 1;
    if (!this.#groupCommit) this.#durableOffset = this.#nextOffset;
    return baseOffset;
  }

  /**
   * Group commit: calls `done(null)` once everything appended so far is on stable storage and
   * visible to readers, `done(error)` if the fsync failed. One fsync, run off the event loop,
   * covers every append made before it started, so concurrent producers share fsyncs; appends
   * made while one runs wait for the next. Synchronous (no wait) when nothing is pending.
   */
  commit(done: (error: Error | null) => void): void {
    if (this.#failed !== null || this.#durableOffset >= this.#nextOffset) {
      done(this.#failed);
      return;
    }
    this.#commits.push({ offset: this.#nextOffset, done });
    if (!this.#syncing) this.#startSync();
  }

  /**
   * The interval flush: fsyncs what was written, off the event loop, then calls `done`. With
   * `flush: 'batch'` this is a commit. A failed fsync fails the log, as in `commit`.
   */
  flush(done: (error: Error | null) => void): void {
    if (this.#groupCommit) {
      this.commit(done);
      return;
    }
    if (this.#failed !== null) {
      done(null); // reported when it failed; produce answers KAFKA_STORAGE_ERROR from then on
      return;
    }
    this.#segments.at(-1)!.file.syncAsync((error) => {
      if (error !== null) this.#failed = error;
      done(error);
    });
  }

  #startSync(): void {
    this.#syncing = true;
    const upTo = this.#nextOffset;
    // Earlier segments were fsynced when the log rolled past them: the active one holds the rest.
    this.#segments.at(-1)!.file.syncAsync((error) => {
      this.#syncing = false;
      if (error !== null) this.#failed = error;
      else this.#durableOffset = Math.max(this.#durableOffset, upTo);
      const ready: CommitWaiter[] = [];
      const waiting: CommitWaiter[] = [];
      for (const c of this.#commits)
        (error !== null || c.offset <= this.#durableOffset ? ready : waiting).push(c);
      this.#commits = waiting;
      if (waiting.length > 0) this.#startSync();
      for (const c of ready) c.done(error);
    });
  }

  /** Whole batches from the one containing `offset`, up to `maxBytes`; with `minOne` at least one batch. */
  read(offset: number, maxBytes: number, minOne = true): ReadResult {
    const chunks: Buffer[] = [];
    const bytes = this.#walk(offset, maxBytes, minOne, (seg, position, length) => {
      chunks.push(seg.file.read(position, length));
    });
    return { chunks, bytes };
  }

  /**
   * The bytes `read(offset, maxBytes)` would return, from the index alone: a long poll weighs what
   * is there before it decides to wait, without reading it.
   */
  readableBytes(offset: number, maxBytes: number): number {
    return this.#walk(offset, maxBytes, true);
  }

  /** Runs of whole readable batches from the one containing `offset`, one run per segment; their total. */
  #walk(
    offset: number,
    maxBytes: number,
    minOne: boolean,
    run?: (seg: Segment, position: number, length: number) => void,
  ): number {
    let bytes = 0;
    let s = this.#segmentFor(offset);
    let i = s < this.#segments.length ? this.#segments[s]!.index.findByOffset(offset) : 0;
    while (s < this.#segments.length) {
      const seg = this.#segments[s]!;
      const start = i;
      let end = i;
      let runBytes = 0;
      while (end < seg.index.count && seg.index.base(end) < this.#durableOffset) {
        const size = seg.index.size(end);
        if (bytes + runBytes + size > maxBytes && (bytes + runBytes > 0 || !minOne)) break;
        runBytes += size;
        end++;
      }
      if (end > start) {
        run?.(seg, seg.index.position(start), runBytes);
        bytes += runBytes;
      }
      if (end < seg.index.count) break;
      s++;
      i = 0;
    }
    return bytes;
  }

  /** The first record whose timestamp ≥ ts, or null when none. */
  offsetForTimestamp(ts: number): { offset: number; timestamp: number } | null {
    for (const seg of this.#segments) {
      if (seg.index.count === 0 || seg.index.maxTimestamp < ts) continue;
      for (let i = seg.index.findByTimestamp(ts); i < seg.index.count; i++) {
        if (seg.index.base(i) >= this.#durableOffset) return null;
        const batch = seg.file.read(seg.index.position(i), seg.index.size(i));
        const header = readBatchHeader(batch)!;
        if (header.maxTimestamp < ts) continue;
        // A codec the broker can't decode: the batch's base offset is the best answer.
        if (!canDecode(header)) return { offset: header.baseOffset, timestamp: header.maxTimestamp };
        const hit = decodeRecords(batch)?.find((r) => r.timestamp >= ts);
        if (hit !== undefined) return { offset: hit.offset, timestamp: hit.timestamp };
      }
    }
    return null;
  }

  /** The first record with the largest timestamp (ListOffsets -3, KIP-734), or null when there is none. */
  maxTimestampOffset(): { offset: number; timestamp: number } | null {
    let max = -1;
    for (const seg of this.#segments) if (seg.index.count > 0) max = Math.max(max, seg.index.maxTimestamp);
    return max < 0 ? null : this.offsetForTimestamp(max);
  }

  /** Forces everything appended to stable storage now, on the event loop (the interval flush, shutdown). */
  sync(): void {
    this.#segments.at(-1)?.file.sync();
    this.#durableOffset = this.#nextOffset;
  }

  /** Deletes whole closed segments past the time or size limit. Returns segments removed. */
  applyRetention(now: number): number {
    if (this.settings.compacted) return 0;
    let removed = 0;
    const { retentionMs, retentionBytes } = this.settings;
    while (this.#segments.length > 1) {
      const oldest = this.#segments[0]!;
      const tooOld =
        retentionMs >= 0 && oldest.index.count > 0 && oldest.index.maxTimestamp < now - retentionMs;
      const tooBig =
        retentionBytes >= 0 &&
        this.sizeBytes - oldest.file.size >= retentionBytes &&
        this.sizeBytes > retentionBytes;
      if (!tooOld && !tooBig) break;
      oldest.file.remove();
      this.#segments.shift();
      removed++;
    }
    return removed;
  }

  /**
   * Compaction: in closed segments keep only the latest record per key; drop tombstones older
   * than `tombstoneRetentionMs`. Batches in codecs the broker can't decode are kept whole.
   */
  compact(now: number): { before: number; after: number } {
    const before = this.sizeBytes;
    if (!this.settings.compacted || this.#segments.length < 2) return { before, after: before };
    const quiet = this.#compactedAt.offset === this.#nextOffset;
    if (quiet && now - this.#compactedAt.time < this.settings.tombstoneRetentionMs)
      return { before, after: before };
    this.#compactedAt = { offset: this.#nextOffset, time: now };
    const latest = new Map<string, number>();
    for (const seg of this.#segments) {
      this.#forEachBatch(seg, (batch) => {
        for (const r of decodeRecords(batch) ?? [])
          if (r.key !== null) latest.set(r.key.toString('latin1'), r.offset);
      });
    }
    for (let s = 0; s < this.#segments.length - 1; s++) {
      const seg = this.#segments[s]!;
      const kept: Buffer[] = [];
      this.#forEachBatch(seg, (batch, header) => {
        const records = decodeRecords(batch);
        if (records === null) {
          kept.push(batch);
          return;
        }
        const survivors = records.filter((r) => {
          if (r.key === null) return true;
          if (latest.get(r.key.toString('latin1')) !== r.offset) return false;
          return r.value !== null || now - r.timestamp < this.settings.tombstoneRetentionMs;
        });
        if (survivors.length === records.length) kept.push(batch);
        else if (survivors.length > 0) {
          kept.push(
            encodeBatch({
              baseOffset: header.baseOffset,
              lastOffsetDelta: header.lastOffsetDelta,
              records: survivors,
              producerId: header.producerId,
              producerEpoch: header.producerEpoch,
              baseSequence: header.baseSequence,
            }),
          );
        }
      });
      this.#segments[s] = this.#rewriteSegment(seg, kept);
    }
    return { before, after: this.sizeBytes };
  }

  /** Closes the files; commits still waiting complete, as closing fsyncs what was written. */
  close(): void {
    for (const seg of this.#segments) seg.file.close();
    if (this.#failed === null) this.#durableOffset = this.#nextOffset;
    const commits = this.#commits;
    this.#commits = [];
    for (const c of commits) c.done(this.#failed);
  }

  remove(): void {
    for (const seg of this.#segments) seg.file.remove();
    if (this.dir !== null) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  #forEachBatch(seg: Segment, fn: (batch: Buffer, header: BatchHeader) => void): void {
    for (let i = 0; i < seg.index.count; i++) {
      const batch = seg.file.read(seg.index.position(i), seg.index.size(i));
      fn(batch, readBatchHeader(batch)!);
    }
  }

  #rewriteSegment(seg: Segment, batches: Buffer[]): Segment {
    const index = new BatchIndex();
    let file: SegmentFile;
    if (this.dir === null) {
      file = new MemorySegmentFile();
    } else {
      const target = (seg.file as DiskSegmentFile).path;
      const temp = `${target}.cleaned`;
      fs.rmSync(temp, { force: true });
      file = new DiskSegmentFile(temp);
    }
    for (const batch of batches) {
      const header = readBatchHeader(batch)!;
      index.add(
        header.baseOffset,
        header.baseOffset + header.lastOffsetDelta,
        file.size,
        batch.length,
        header.maxTimestamp,
      );
      file.append(batch);
    }
    file.sync();
    if (this.dir !== null) {
      const target = (seg.file as DiskSegmentFile).path;
      file.close();
      seg.file.close();
      fs.renameSync(`${target}.cleaned`, target);
      file = new DiskSegmentFile(target);
    }
    return { baseOffset: seg.baseOffset, file, index };
  }

  #segmentFor(offset: number): number {
    let lo = 0;
    let hi = this.#segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.#segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  #newSegment(baseOffset: number): Segment {
    const file =
      this.dir === null
        ? new MemorySegmentFile()
        : new DiskSegmentFile(path.join(this.dir, `${String(baseOffset).padStart(20, '0')}.log`));
    const seg = { baseOffset, file, index: new BatchIndex() };
    this.#segments.push(seg);
    return seg;
  }

  /** Opens the segments on disk, checking every batch; a torn or corrupt tail is truncated. */
  #open(): void {
    if (this.dir === null) {
      this.#newSegment(0);
      return;
    }
    fs.mkdirSync(this.dir, { recursive: true });
    const names = fs
      .readdirSync(this.dir)
      .filter((n) => SEGMENT_FILE.test(n))
      .sort();
    for (const name of fs.readdirSync(this.dir)) {
      if (name.endsWith('.cleaned')) fs.rmSync(path.join(this.dir, name), { force: true });
    }
    let corruptFrom = -1;
    for (const [n, name] of names.entries()) {
      const baseOffset = Number(SEGMENT_FILE.exec(name)![1]);
      const file = new DiskSegmentFile(path.join(this.dir, name));
      if (corruptFrom >= 0) {
        file.remove();
        continue;
      }
      const seg: Segment = { baseOffset, file, index: new BatchIndex() };
      this.#segments.push(seg);
      if (n === 0) this.#nextOffset = baseOffset;
      const problem = this.#scan(seg);
      if (problem !== null) {
        this.onCorruption({ topic: this.topic, partition: this.partition, segment: baseOffset, ...problem });
        file.truncate(problem.position);
        file.sync();
        corruptFrom = n;
      }
    }
    if (this.#segments.length === 0) this.#newSegment(0);
  }

  #scan(seg: Segment): { position: number; problem: string } | null {
    const data = seg.file.read(0, seg.file.size);
    let pos = 0;
    while (pos < data.length) {
      const result = checkBatch(data, pos, false);
      if ('problem' in result) return { position: pos, problem: result.problem };
      const { header } = result;
      if (header.baseOffset < this.#nextOffset) return { position: pos, problem: 'offset-regression' };
      seg.index.add(
        header.baseOffset,
        header.baseOffset + header.lastOffsetDelta,
        pos,
        header.size,
        header.maxTimestamp,
      );
      this.#nextOffset = header.baseOffset + header.lastOffsetDelta + 1;
      pos += header.size;
    }
    return null;
  }
}

export function assertTopicName(name: string): void {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(name) || name === '.' || name === '..') {
    throw new HexcastError('HX_BROKER_MALFORMED_REQUEST', `illegal topic name ${JSON.stringify(name)}`);
  }
}
