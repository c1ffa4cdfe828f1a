import type { FenceIndex, FenceTiming, LiveFences } from '../geo/index.js';
import { type Campaign, isLive } from './campaign.js';

/**
 * The campaigns a geo worker knows, and which of their fences are live in its index. Campaign
 * changes arrive through `apply`; `refresh` (run every second) starts and ends campaigns on schedule.
 */
export class FenceCatalogue implements LiveFences {
  readonly #campaigns = new Map<string, Campaign>();
  readonly #live = new Set<string>();

  constructor(
    readonly index: FenceIndex,
    readonly clock: () => number = Date.now,
  ) {}

  apply(campaign: Campaign, deleted: boolean): void {
    const known = this.#campaigns.get(campaign.id);
    if (known !== undefined && known.version > campaign.version) return; // an older version replayed
    if (deleted) {
      this.#campaigns.delete(campaign.id);
      this.#setLive(campaign, false);
      return;
    }
    this.#campaigns.set(campaign.id, campaign);
    if (this.#live.has(campaign.id)) this.index.remove(campaign.id); // the fence may have changed
    this.#live.delete(campaign.id);
    this.#setLive(campaign, isLive(campaign, this.clock()));
  }

  refresh(): void {
    const now = this.clock();
    for (const campaign of this.#campaigns.values()) this.#setLive(campaign, isLive(campaign, now));
  }

  campaign(fenceId: string): Campaign | undefined {
    return this.#campaigns.get(fenceId);
  }

  /** Live fences containing the point (a campaign's fence id is the campaign's id). */
  lookup(lat: number, lng: number): string[] {
    return this.index.lookup(lat, lng);
  }

  timing(fenceId: string): FenceTiming {
    const c = this.#campaigns.get(fenceId);
    return {
      dwellMs: (c?.dwellSeconds ?? 300) * 1000,
      exitDebounceMs: (c?.exitDebounceSeconds ?? 60) * 1000,
    };
  }

  ownerOf(fenceId: string): string {
    return fenceId;
  }

  get liveCount(): number {
    return this.#live.size;
  }

  #setLive(campaign: Campaign, live: boolean): void {
    if (live && !this.#live.has(campaign.id)) {
      this.index.upsert({ id: campaign.id, shape: campaign.fence });
      this.#live.add(campaign.id);
    } else if (!live && this.#live.has(campaign.id)) {
      this.index.remove(campaign.id);
      this.#live.delete(campaign.id);
    }
  }
}
