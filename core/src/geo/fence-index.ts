import type { Fence } from './shapes.js';

/**
 * Which fences contain a point: the hot path of the geo processor and `GET /v1/fences/lookup`.
 * Synchronous on purpose: a lookup is a few microseconds of CPU, and a promise per fix would cost
 * more than the lookup. Each process holds one index, fed from `hx.campaigns`.
 */
export interface FenceIndex {
  upsert(fence: Fence): void;
  remove(fenceId: string): boolean;
  /** Ids of every fence containing the point (exact, not approximate). */
  lookup(lat: number, lng: number): string[];
  readonly size: number;
}
