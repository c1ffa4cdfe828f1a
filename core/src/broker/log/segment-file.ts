import fs from 'node:fs';
import { HexcastError } from '../../errors/index.js';

/** Where a segment's bytes live: a file (durable) or memory (tests, `inMemory`). */
export interface SegmentFile {
  readonly size: number;
  append(data: Buffer): void;
  read(position: number, length: number): Buffer;
  /** Forces written bytes to stable storage. */
  sync(): void;
  /**
   * `sync` off the event loop (libuv's thread pool): `done(null)` once every byte appended
   * before the call is on stable storage. Appends may continue meanwhile.
   */
  syncAsync(done: (error: Error | null) => void): void;
  truncate(size: number): void;
  close(): void;
  remove(): void;
}

export class MemorySegmentFile implements SegmentFile {
  /** Appended chunks and the file position each starts at; reads binary-search them. */
  #chunks: Buffer[] = [];
  #starts: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  append(data: Buffer): void {
    this.#chunks.push(Buffer.from(data));
    this.#starts.push(this.#size);
    this.#size += data.length;
  }

  read(position: number, length: number): Buffer {
    const end = Math.min(this.#size, position + length);
    if (end <= position) return Buffer.alloc(0);
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.#starts[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    const first = this.#chunks[lo]!;
    const firstStart = this.#starts[lo]!;
    if (end <= firstStart + first.length) return first.subarray(position - firstStart, end - firstStart);
    const parts: Buffer[] = [];
    for (let i = lo; i < this.#chunks.length && this.#starts[i]! < end; i++) {
      const chunk = this.#chunks[i]!;
      const start = this.#starts[i]!;
      parts.push(chunk.subarray(Math.max(0, position - start), Math.min(chunk.length, end - start)));
    }
    return Buffer.concat(parts, end - position);
  }

  sync(): void {}

  syncAsync(done: (error: Error | null) => void): void {
    process.nextTick(done, null);
  }

  truncate(size: number): void {
    const kept = this.read(0, size);
    this.remove();
    if (kept.length > 0) this.append(kept);
  }

  close(): void {}

  remove(): void {
    this.#chunks = [];
    this.#starts = [];
    this.#size = 0;
  }
}

export class DiskSegmentFile implements SegmentFile {
  readonly path: string;
  #fd: number;
  #size: number;
  #dirty = false;
  /** `syncAsync` fsyncs not yet completed: a `sync` or `close` meanwhile must not skip its fsync. */
  #syncing = 0;
  /** Callbacks of the most recently started `syncAsync` fsync, while it runs. */
  #latest: Array<(error: Error | null) => void> | null = null;

  constructor(path: string) {
    this.path = path;
    this.#fd = io(path, () => fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT));
    this.#size = io(path, () => fs.fstatSync(this.#fd).size);
  }

  get size(): number {
    return this.#size;
  }

  append(data: Buffer): void {
    io(this.path, () => {
      let written = 0;
      while (written < data.length) {
        written += fs.writeSync(this.#fd, data, written, data.length - written, this.#size + written);
      }
    });
    this.#size += data.length;
    this.#dirty = true;
  }

  read(position: number, length: number): Buffer {
    const len = Math.max(0, Math.min(length, this.#size - position));
    const out = Buffer.allocUnsafe(len);
    let done = 0;
    io(this.path, () => {
      while (done < len) {
        const n = fs.readSync(this.#fd, out, done, len - done, position + done);
        if (n === 0) break;
        done += n;
      }
    });
    return done === len ? out : out.subarray(0, done);
  }

  sync(): void {
    if (!this.#dirty && this.#syncing === 0) return;
    io(this.path, () => fs.fdatasyncSync(this.#fd));
    this.#dirty = false;
  }

  syncAsync(done: (error: Error | null) => void): void {
    if (!this.#dirty) {
      // Nothing written since the last fsync started: done once that one is, if it still runs.
      if (this.#latest === null) process.nextTick(done, null);
      else this.#latest.push(done);
      return;
    }
    this.#dirty = false; // appends from now on set it again: they are not covered by this fsync
    this.#syncing++;
    const fd = this.#fd;
    const waiting = [done];
    this.#latest = waiting;
    fs.fdatasync(fd, (cause) => {
      this.#syncing--;
      if (this.#latest === waiting) this.#latest = null;
      let error: Error | null = null;
      // Closed meanwhile: `close` ran its own fsync first, which covered these bytes.
      if (cause !== null && this.#fd === fd) {
        this.#dirty = true;
        error = new HexcastError('HX_BROKER_LOG_IO', `log I/O failed on ${this.path}: ${cause.message}`, {
          cause,
        });
      }
      for (const callback of waiting) callback(error);
    });
  }

  truncate(size: number): void {
    io(this.path, () => fs.ftruncateSync(this.#fd, size));
    this.#size = size;
    this.#dirty = true;
  }

  close(): void {
    if (this.#fd < 0) return;
    this.sync();
    io(this.path, () => fs.closeSync(this.#fd));
    this.#fd = -1;
  }

  remove(): void {
    this.close();
    io(this.path, () => fs.rmSync(this.path, { force: true }));
  }
}

function io<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    throw new HexcastError('HX_BROKER_LOG_IO', `log I/O failed on ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
}
