import fs from 'node:fs';
import path from 'node:path';

export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

export interface GroupMeta {
  generation: number;
  protocolType: string | null;
}

type Line =
  | { g: string; t: string; p: number; o: number; m: string | null }
  | { g: string; gen: number; pt: string | null }
  | { g: string; del: true };

/** The file is rewritten compactly once what was appended since passes this, or 4× the compact size. */
const COMPACT_AFTER_BYTES = 1 << 20;

/**
 * Committed offsets and group metadata, kept in memory and, when a directory is given, in an
 * append-only JSON-lines file that is replayed and rewritten compactly at open, and again once
 * the commits appended since outgrow it (every consumer commits every ~200 ms while it reads, so
 * a busy process would otherwise grow it by tens of KB a second).
 */
export class OffsetStore {
  readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  readonly meta = new Map<string, GroupMeta>();
  readonly #file: string | null;
  #fd = -1;
  #dirty = false;
  /** A `syncAsync` fsync runs on libuv's pool: the file is not rewritten nor its fd closed meanwhile. */
  #syncing = false;
  /** Bytes appended since the file was last written compactly, and that compact size. */
  #appended = 0;
  #compactBytes = 0;

  constructor(dir: string | null) {
    this.#file = dir === null ? null : path.join(dir, 'group-offsets.jsonl');
    if (this.#file === null || dir === null) return;
    fs.mkdirSync(dir, { recursive: true });
    if (fs.existsSync(this.#file)) {
      for (const text of fs.readFileSync(this.#file, 'utf8').split('\n')) {
        if (text === '') continue;
        let line: Line;
        try {
          line = JSON.parse(text) as Line;
        } catch {
          continue; // a torn last line after a crash
        }
        this.#apply(line);
      }
    }
    this.#rewrite();
  }

  static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(group)?.get(OffsetStore.key(topic, partition));
  }

  commit(
    group: string,
    entries: Array<{ topic: string; partition: number; offset: number; metadata: string | null }>,
  ): void {
    const lines: Line[] = entries.map((e) => ({
      g: group,
      t: e.topic,
      p: e.partition,
      o: e.offset,
      m: e.metadata,
    }));
    for (const line of lines) this.#apply(line);
    this.#write(lines);
  }

  setMeta(group: string, meta: GroupMeta): void {
    const line: Line = { g: group, gen: meta.generation, pt: meta.protocolType };
    this.#apply(line);
    this.#write([line]);
  }

  deleteGroup(group: string): void {
    const line: Line = { g: group, del: true };
    this.#apply(line);
    this.#write([line]);
  }

  /** Forces what was written to disk now, on the event loop (at close). */
  sync(): void {
    if (this.#fd >= 0 && (this.#dirty || this.#syncing)) {
      fs.fdatasyncSync(this.#fd);
      this.#dirty = false;
    }
  }

  /**
   * Forces what was written to disk on libuv's thread pool, so the event loop is not held up (an
   * fdatasync here took 2–5 ms under a broker's load); `done` once it is durable. One already
   * running makes this one a no-op: the next interval covers what it missed.
   */
  syncAsync(done: (error: Error | null) => void): void {
    if (this.#fd < 0 || !this.#dirty || this.#syncing) {
      process.nextTick(done, null);
      return;
    }
    this.#dirty = false; // commits from now on set it again: this fsync may not cover them
    this.#syncing = true;
    const fd = this.#fd;
    fs.fdatasync(fd, (error) => {
      this.#syncing = false;
      // Closed meanwhile: `close` ran its own fsync first, which covered these bytes.
      if (this.#fd !== fd) return done(null);
      if (error !== null) this.#dirty = true;
      this.#compactIfLarge();
      done(error);
    });
  }

  close(): void {
    if (this.#fd < 0) return;
    this.sync();
    fs.closeSync(this.#fd);
    this.#fd = -1;
  }

  #apply(line: Line): void {
    if ('del' in line) {
      this.offsets.delete(line.g);
      this.meta.delete(line.g);
    } else if ('gen' in line) {
      this.meta.set(line.g, { generation: line.gen, protocolType: line.pt });
    } else {
      const group = this.offsets.get(line.g) ?? new Map<string, CommittedOffset>();
      this.offsets.set(line.g, group);
      group.set(OffsetStore.key(line.t, line.p), { offset: line.o, metadata: line.m });
    }
  }

  #write(lines: Line[]): void {
    if (this.#fd < 0) return;
    const text = `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
    fs.writeSync(this.#fd, text);
    this.#dirty = true;
    this.#appended += Buffer.byteLength(text);
    this.#compactIfLarge();
  }

  /** Rewrites the file compactly once the appended commits outgrow it (not while an fsync runs on its fd). */
  #compactIfLarge(): void {
    if (this.#syncing || this.#appended < Math.max(COMPACT_AFTER_BYTES, 4 * this.#compactBytes)) return;
    // The old file stays open until its compact copy has replaced it: a rewrite that fails keeps it.
    const old = this.#fd;
    this.#rewrite();
    fs.closeSync(old);
  }

  #rewrite(): void {
    const file = this.#file!;
    const lines: string[] = [];
    for (const [g, meta] of this.meta)
      lines.push(JSON.stringify({ g, gen: meta.generation, pt: meta.protocolType }));
    for (const [g, offsets] of this.offsets) {
      for (const [key, value] of offsets) {
        const [t, p] = key.split('\u0000') as [string, string];
        lines.push(JSON.stringify({ g, t, p: Number(p), o: value.offset, m: value.metadata }));
      }
    }
    const text = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    fs.writeFileSync(`${file}.tmp`, text);
    const fd = fs.openSync(`${file}.tmp`, 'r+');
    fs.fdatasyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(`${file}.tmp`, file);
    this.#fd = fs.openSync(file, 'a');
    this.#dirty = false;
    this.#appended = 0;
    this.#compactBytes = Buffer.byteLength(text);
  }
}
