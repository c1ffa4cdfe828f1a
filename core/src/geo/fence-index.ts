import type { Fence } from './shapes.js';

/** Which fences contain a point: the hot path of the geo processor and `GET /v1/fences/lookup`. */
export interface FenceIndex {
  upsert(fence: Fence): Promise<void>;
  remove(fenceId: string): Promise<boolean>;
  /** Ids of every fence containing the point (exact, not approximate). */
  lookup(lat: number, lng: number): Promise<string[]>;
  size(): Promise<number>;
}
