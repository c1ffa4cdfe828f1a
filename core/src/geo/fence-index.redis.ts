import type { Redis } from 'ioredis';
import { HexcastError } from '../errors/index.js';
import { exactTest, type ShapeTest } from './contains.js';
import { coverFence } from './cover.js';
import type { FenceIndex } from './fence-index.js';
import { cellString, parentTail } from './h3-cells.js';
import { latLngToCellTail } from './lat-lng-cell.js';
import type { Fence, FenceShape } from './shapes.js';
import { validateFenceShape } from './validate.js';

interface StoredFence {
  v: number;
  shape: FenceShape;
  cells: string[];
}

/**
 * The fence index shared through Redis, for API and worker processes that should not each hold
 * every fence. Keys: `hx:fence:{id}` (shape, version, its cells), `hx:fcell:{cell}` (set of
 * `id|version|exact`), `hx:fres` (hash: resolution → entries). A fence spans many cells, hence many
 * slots, so writes cannot be atomic on a cluster; instead entries carry the fence version and a
 * lookup keeps only entries whose version matches the fence record. Removal deletes the record
 * first, so stale cell entries are ignored until they are cleaned. Bounded: keys exist only for
 * live fences.
 */
export class RedisFenceIndex implements FenceIndex {
  readonly #tests = new Map<string, { v: number; test: ShapeTest }>();
  #resolutions: { list: number[]; at: number } = { list: [], at: 0 };

  constructor(
    readonly redis: Redis,
    readonly prefix = 'hx:',
    /** How long the list of resolutions in use may be cached, ms. */
    readonly resolutionCacheMs = 1000,
  ) {}

  #fenceKey(id: string): string {
    return `${this.prefix}fence:{${id}}`;
  }

  #cellKey(cell: string): string {
    return `${this.prefix}fcell:{${cell}}`;
  }

  async upsert(fence: Fence): Promise<void> {
    validateFenceShape(fence.shape);
    const cover = coverFence(fence.shape);
    const previous = await this.#load(fence.id);
    const v = (previous?.v ?? 0) + 1;
    const cells = [
      ...cover.interior.map((c) => [c, 1] as const),
      ...cover.boundary.map((c) => [c, 0] as const),
    ];
    const write = this.redis.pipeline();
    for (const [cell, exact] of cells) {
      write.sadd(this.#cellKey(cell), `${fence.id}|${v}|${exact}`);
      write.hincrby(`${this.prefix}fres`, String(Number.parseInt(cell[1]!, 16)), 1);
    }
    await write.exec();
    const stored: StoredFence = { v, shape: fence.shape, cells: cells.map(([c]) => c) };
    await this.redis.set(this.#fenceKey(fence.id), JSON.stringify(stored));
    if (previous !== null) await this.#clean(fence.id, previous);
    this.#resolutions.at = 0;
  }

  async remove(fenceId: string): Promise<boolean> {
    const previous = await this.#load(fenceId);
    if (previous === null) return false;
    await this.redis.del(this.#fenceKey(fenceId));
    await this.#clean(fenceId, previous);
    this.#tests.delete(fenceId);
    this.#resolutions.at = 0;
    return true;
  }

  async size(): Promise<number> {
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}fence:*`, 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  }

  async lookup(lat: number, lng: number): Promise<string[]> {
    if (!(lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180)) {
      throw new HexcastError('HX_GEO_COORDINATE_RANGE', `lat/lng out of range: ${lat}, ${lng}`);
    }
    const resolutions = await this.#resolutionsInUse();
    if (resolutions.length === 0) return [];
    const tail = latLngToCellTail(lat, lng, resolutions.at(-1)!);
    const read = this.redis.pipeline();
    for (const res of resolutions) read.smembers(this.#cellKey(cellString(res, parentTail(tail, res))));
    const results = (await read.exec()) ?? [];
    const candidates = new Map<string, { v: number; exact: boolean }>();
    for (const [, members] of results) {
      for (const member of (members as string[] | null) ?? []) {
        const [id, v, exact] = member.split('|') as [string, string, string];
        candidates.set(`${id}|${v}`, { v: Number(v), exact: exact === '1' });
      }
    }
    if (candidates.size === 0) return [];
    const ids = [...new Set([...candidates.keys()].map((k) => k.split('|')[0]!))];
    const stored = await this.redis.mget(ids.map((id) => this.#fenceKey(id)));
    const out: string[] = [];
    for (const [i, id] of ids.entries()) {
      const text = stored[i];
      if (text === null || text === undefined) continue; // removed: stale entries
      const fence = JSON.parse(text) as StoredFence;
      const entry = candidates.get(`${id}|${fence.v}`);
      if (entry === undefined) continue; // only entries of an older version matched
      if (entry.exact || this.#test(id, fence)(lat, lng)) out.push(id);
    }
    return out;
  }

  #test(id: string, fence: StoredFence): ShapeTest {
    const cached = this.#tests.get(id);
    if (cached !== undefined && cached.v === fence.v) return cached.test;
    const test = exactTest(fence.shape);
    this.#tests.set(id, { v: fence.v, test });
    if (this.#tests.size > 100_000) this.#tests.delete(this.#tests.keys().next().value!);
    return test;
  }

  async #load(id: string): Promise<StoredFence | null> {
    const text = await this.redis.get(this.#fenceKey(id));
    return text === null ? null : (JSON.parse(text) as StoredFence);
  }

  async #clean(id: string, previous: StoredFence): Promise<void> {
    const write = this.redis.pipeline();
    for (const cell of previous.cells) {
      write.srem(this.#cellKey(cell), `${id}|${previous.v}|0`, `${id}|${previous.v}|1`);
      write.hincrby(`${this.prefix}fres`, String(Number.parseInt(cell[1]!, 16)), -1);
    }
    await write.exec();
  }

  async #resolutionsInUse(): Promise<number[]> {
    if (Date.now() - this.#resolutions.at < this.resolutionCacheMs) return this.#resolutions.list;
    const counts = await this.redis.hgetall(`${this.prefix}fres`);
    const list = Object.entries(counts)
      .filter(([, n]) => Number(n) > 0)
      .map(([r]) => Number(r))
      .sort((a, b) => a - b);
    this.#resolutions = { list, at: Date.now() };
    return list;
  }
}
