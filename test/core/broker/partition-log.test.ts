import fs, { appendFileSync, readdirSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import {
  DiskSegmentFile,
  decodeRecords,
  encodeBatch,
  type LogSettings,
  PartitionLog,
  readBatchHeader,
} from '@hexcast/core';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/broker.js';

const SETTINGS: LogSettings = {
  segmentBytes: 1024,
  flush: 'batch',
  retentionMs: -1,
  retentionBytes: -1,
  compacted: false,
  tombstoneRetentionMs: 0,
};

function batchOf(values: Array<[string | null, string | null]>, timestamp = Date.now()): Buffer {
  return encodeBatch({
    baseOffset: 0,
    records: values.map(([k, v]) => ({
      timestamp,
      key: k === null ? null : Buffer.from(k),
      value: v === null ? null : Buffer.from(v),
      headers: [],
    })),
  });
}

/** Appends and makes the batch durable at once (`sync`), as the interval flush or shutdown does. */
function append(log: PartitionLog, batch: Buffer): number {
  const offset = log.append(batch, readBatchHeader(batch)!);
  log.sync();
  return offset;
}

function commit(log: PartitionLog): Promise<void> {
  return new Promise((resolve, reject) =>
    log.commit((error) => (error === null ? resolve() : reject(error))),
  );
}

function readAll(log: PartitionLog): Array<{ offset: number; key: string | null; value: string | null }> {
  const bytes = Buffer.concat(log.read(log.logStartOffset, 1 << 30).chunks);
  const out: Array<{ offset: number; key: string | null; value: string | null }> = [];
  let pos = 0;
  while (pos < bytes.length) {
    const header = readBatchHeader(bytes, pos)!;
    for (const r of decodeRecords(bytes.subarray(pos, pos + header.size))!) {
      out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
    }
    pos += header.size;
  }
  return out;
}

describe('partition log', () => {
  it('rolls segments, reads from any offset, and reopens with the same contents', () => {
    const tmp = tempDir();
    const dir = path.join(tmp.dir, 't-0');
    const log = new PartitionLog('t', 0, dir, SETTINGS);
    for (let i = 0; i < 40; i++)
      expect(append(log, batchOf([[`k${i}`, `value-${i}-${'x'.repeat(40)}`]]))).toBe(i);
    expect(log.segmentCount).toBeGreaterThan(2);
    const fromMiddle = log.read(25, 1 << 20);
    expect(readBatchHeader(fromMiddle.chunks[0]!)!.baseOffset).toBe(25);
    expect(log.read(40, 1 << 20).bytes).toBe(0);
    const tiny = log.read(0, 1);
    expect(readBatchHeader(tiny.chunks[0]!)!.baseOffset).toBe(0); // at least one batch
    expect(log.read(0, 1, false).bytes).toBe(0);
    log.close();

    const reopened = new PartitionLog('t', 0, dir, SETTINGS);
    expect(reopened.highWatermark).toBe(40);
    expect(readAll(reopened).map((r) => r.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    reopened.close();
    tmp.remove();
  });

  it('readableBytes is what read returns, from any offset and limit, over segments and up to the high watermark', async () => {
    const tmp = tempDir();
    const log = new PartitionLog('t', 0, path.join(tmp.dir, 't-0'), SETTINGS);
    for (let i = 0; i < 30; i++)
      append(
        log,
        batchOf(Array.from({ length: 1 + (i % 3) }, (_, j) => [`k${i}`, `v${j}-${'y'.repeat(i)}`])),
      );
    log.append(batchOf([['late', 'not yet committed']]), readBatchHeader(batchOf([['late', 'x']]))!);
    expect(log.segmentCount).toBeGreaterThan(2);
    const end = log.logEndOffset;
    let nonEmpty = 0;
    for (let offset = 0; offset <= end; offset++)
      for (const limit of [0, 1, 100, 700, 1500, 1 << 20]) {
        const bytes = log.read(offset, limit).bytes;
        expect(log.readableBytes(offset, limit), `offset ${offset}, limit ${limit}`).toBe(bytes);
        if (bytes > 0) nonEmpty++;
      }
    expect(nonEmpty).toBeGreaterThan(100);
    await commit(log);
    expect(log.readableBytes(log.highWatermark - 1, 1 << 20)).toBe(
      log.read(log.highWatermark - 1, 1 << 20).bytes,
    );
    expect(log.readableBytes(log.highWatermark - 1, 1 << 20)).toBeGreaterThan(0);
    log.close();
    tmp.remove();
  });

  it('group commit: an appended batch is readable and under the high watermark only once committed, and one fsync serves the appends made before it', async () => {
    const tmp = tempDir();
    const log = new PartitionLog('t', 0, path.join(tmp.dir, 't-0'), { ...SETTINGS, segmentBytes: 1 << 20 });
    const raw = (v: string) => {
      const b = batchOf([[null, v]]);
      return log.append(b, readBatchHeader(b)!);
    };
    expect(raw('a')).toBe(0);
    expect(raw('b')).toBe(1);
    expect(log.logEndOffset).toBe(2);
    expect(log.highWatermark).toBe(0); // written, not yet durable: invisible
    expect(log.read(0, 1 << 20).bytes).toBe(0);
    const order: string[] = [];
    const first = commit(log).then(() => order.push(`first@${log.highWatermark}`));
    expect(raw('c')).toBe(2); // while the first fsync runs: needs the next one
    const second = commit(log).then(() => order.push(`second@${log.highWatermark}`));
    const third = commit(log).then(() => order.push(`third@${log.highWatermark}`));
    await Promise.all([first, second, third]);
    // The first commit became durable at 2 (the fsync it started covered a and b only), the
    // two later ones shared the next fsync.
    expect(order).toEqual(['first@2', 'second@3', 'third@3']);
    expect(readAll(log).map((r) => r.value)).toEqual(['a', 'b', 'c']);
    let sync = false;
    log.commit(() => {
      sync = true;
    });
    expect(sync).toBe(true); // nothing pending: answered at once

    // Closing with a commit pending completes it: close fsyncs what was written.
    raw('d');
    const pending = commit(log);
    log.close();
    await pending;
    const reopened = new PartitionLog('t', 0, path.join(tmp.dir, 't-0'), SETTINGS);
    expect(readAll(reopened).map((r) => r.value)).toEqual(['a', 'b', 'c', 'd']);
    reopened.close();
    tmp.remove();
  });

  it('a segment file answers a background fsync only once the bytes written before it are synced, even with one already running', async () => {
    const tmp = tempDir();
    const file = new DiskSegmentFile(path.join(tmp.dir, 'seg.log'));
    const order: string[] = [];
    const sync = (name: string) =>
      new Promise<void>((resolve, reject) =>
        file.syncAsync((error) => {
          order.push(name);
          if (error === null) resolve();
          else reject(error);
        }),
      );
    file.append(Buffer.from('abc'));
    const first = sync('first');
    const second = sync('second'); // nothing new: covered by the running fsync, not answered before it
    file.append(Buffer.from('def'));
    const third = sync('third'); // new bytes: its own fsync
    await Promise.all([first, second, third]);
    expect(order.indexOf('second')).toBeGreaterThan(order.indexOf('first'));
    expect(order).toHaveLength(3);
    await sync('idle'); // nothing written, nothing running: answered at once
    file.close();
    tmp.remove();
  });

  it('memory logs and interval flush need no commit: the high watermark follows each append', () => {
    const tmp = tempDir();
    for (const log of [
      new PartitionLog('m', 0, null, SETTINGS),
      new PartitionLog('i', 0, path.join(tmp.dir, 'i-0'), { ...SETTINGS, flush: 'interval' }),
    ]) {
      const b = batchOf([[null, 'x']]);
      log.append(b, readBatchHeader(b)!);
      expect(log.highWatermark).toBe(1);
      expect(readAll(log).map((r) => r.value)).toEqual(['x']);
      log.close();
    }
    tmp.remove();
  });

  it('the interval flush fsyncs in the background: it answers later, readers were never held back', async () => {
    const tmp = tempDir();
    const dir = path.join(tmp.dir, 'i-0');
    const log = new PartitionLog('i', 0, dir, { ...SETTINGS, flush: 'interval' });
    const b = batchOf([[null, 'x']]);
    log.append(b, readBatchHeader(b)!);
    expect(log.highWatermark).toBe(1);
    let answered = false;
    const flushed = new Promise<Error | null>((resolve) =>
      log.flush((error) => {
        answered = true;
        resolve(error);
      }),
    );
    expect(answered).toBe(false); // not an fsync on the event loop
    expect(await flushed).toBeNull();
    log.close();
    const reopened = new PartitionLog('i', 0, dir, SETTINGS);
    expect(readAll(reopened).map((r) => r.value)).toEqual(['x']);
    reopened.close();
    tmp.remove();
  });

  it('truncates a torn tail after a crash to the last whole batch and keeps appending', () => {
    const tmp = tempDir();
    const dir = path.join(tmp.dir, 't-0');
    const log = new PartitionLog('t', 0, dir, { ...SETTINGS, segmentBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) append(log, batchOf([[null, `v${i}`]]));
    log.close();
    const segment = path.join(dir, readdirSync(dir).find((n) => n.endsWith('.log'))!);
    const whole = statSync(segment).size;
    truncateSync(segment, whole - 7); // the last batch is torn mid-write
    appendFileSync(segment, Buffer.from([1, 2, 3])); // and followed by garbage

    const reports: string[] = [];
    const recovered = new PartitionLog('t', 0, dir, SETTINGS, (info) => reports.push(info.problem));
    expect(reports).toHaveLength(1);
    expect(recovered.highWatermark).toBe(4);
    expect(readAll(recovered).map((r) => r.value)).toEqual(['v0', 'v1', 'v2', 'v3']);
    expect(append(recovered, batchOf([[null, 'v4-again']]))).toBe(4);
    recovered.close();
    const again = new PartitionLog('t', 0, dir, SETTINGS);
    expect(readAll(again).map((r) => r.value)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4-again']);
    again.close();
    tmp.remove();
  });

  it('detects a corrupted byte in the middle by CRC and truncates there', () => {
    const tmp = tempDir();
    const dir = path.join(tmp.dir, 't-0');
    const log = new PartitionLog('t', 0, dir, { ...SETTINGS, segmentBytes: 1 << 20 });
    const sizes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const b = batchOf([[null, `value-${i}`]]);
      sizes.push(b.length);
      append(log, b);
    }
    log.close();
    const segment = path.join(dir, readdirSync(dir).find((n) => n.endsWith('.log'))!);
    const fd = fs.openSync(segment, 'r+');
    fs.writeSync(fd, Buffer.from([0xff]), 0, 1, sizes[0]! + sizes[1]! + 70); // inside batch 2's records
    fs.closeSync(fd);
    const problems: string[] = [];
    const recovered = new PartitionLog('t', 0, dir, SETTINGS, (info) => problems.push(info.problem));
    expect(problems).toEqual(['bad-crc']);
    expect(recovered.highWatermark).toBe(2);
    recovered.close();
    tmp.remove();
  });

  it('deletes whole old segments by time and by size, never the active one', () => {
    const log = new PartitionLog('t', 0, null, { ...SETTINGS, retentionMs: 60_000 });
    const old = Date.now() - 3_600_000;
    for (let i = 0; i < 20; i++) append(log, batchOf([[null, `old-${i}-${'y'.repeat(60)}`]], old));
    for (let i = 0; i < 3; i++) append(log, batchOf([[null, `new-${i}`]]));
    const segments = log.segmentCount;
    expect(log.applyRetention(Date.now())).toBeGreaterThan(0);
    expect(log.segmentCount).toBeLessThan(segments);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.highWatermark).toBe(23);

    const bySize = new PartitionLog('s', 0, null, { ...SETTINGS, retentionBytes: 2048 });
    for (let i = 0; i < 40; i++) append(bySize, batchOf([[null, `v${i}-${'z'.repeat(60)}`]]));
    bySize.applyRetention(Date.now());
    expect(bySize.sizeBytes).toBeLessThanOrEqual(2048 + 1024);
    expect(bySize.segmentCount).toBeGreaterThanOrEqual(1);
  });

  it('compacts: the latest value per key survives, old tombstones go, offsets and order are kept', () => {
    const tmp = tempDir();
    const dir = path.join(tmp.dir, 'c-0');
    const log = new PartitionLog('c', 0, dir, {
      ...SETTINGS,
      compacted: true,
      segmentBytes: 300,
      tombstoneRetentionMs: 0,
    });
    const writes: Array<[string, string | null]> = [];
    for (let round = 0; round < 5; round++) for (const k of ['a', 'b', 'c']) writes.push([k, `${k}${round}`]);
    writes.push(['b', null]); // tombstone for b
    writes.push(['d', 'd0']);
    for (const w of writes) append(log, batchOf([w], Date.now() - 10));
    for (let i = 0; i < 3; i++) append(log, batchOf([['pad', `p${i}-${'q'.repeat(200)}`]]));
    const before = log.sizeBytes;
    const { after } = log.compact(Date.now());
    expect(after).toBeLessThan(before);
    const records = readAll(log);
    const latest = new Map<string, { offset: number; value: string | null }>();
    for (const r of records) latest.set(r.key!, r);
    expect(latest.get('a')?.value).toBe('a4');
    expect(latest.get('c')?.value).toBe('c4');
    expect(latest.has('b')).toBe(false);
    expect(latest.get('d')?.value).toBe('d0');
    expect(records.filter((r) => r.key === 'a')).toHaveLength(1);
    const offsets = records.map((r) => r.offset);
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    expect(log.highWatermark).toBe(writes.length + 3);
    log.close();
    const reopened = new PartitionLog('c', 0, dir, { ...SETTINGS, compacted: true, segmentBytes: 300 });
    expect(readAll(reopened)).toEqual(records);
    reopened.close();
    tmp.remove();
  });
});
