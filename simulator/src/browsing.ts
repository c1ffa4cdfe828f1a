import type { ClickSession } from '@hexcast/models';
import { CATEGORY_NAMES } from './city.js';

/** Where a device is in the session it is browsing: the product it is on, and the clicks left. */
export interface BrowsingState {
  productId: string;
  left: number;
}

/**
 * Clicks drawn the way the sessions of a click log click (`hexcast simulate --browse <file>`): a
 * session starts on an item real sessions start on (as often as they do), has a length real
 * sessions have, and moves from item to item along the log's transitions (each next item as
 * often as it followed that item there). An item no session went on from leads to an item drawn
 * by its clicks. The log has no categories: each item gets one of the demo city's, by its id.
 */
export class SessionBrowsing {
  /** Every item of the log, in the order first seen: the catalogue the devices browse. */
  readonly items: readonly string[];
  /** Drawn uniformly, these hold each item or length as often as the log does. */
  readonly #starts: readonly string[];
  readonly #lengths: readonly number[];
  readonly #clicks: readonly string[];
  readonly #next: ReadonlyMap<string, readonly string[]>;

  private constructor(
    items: string[],
    starts: string[],
    lengths: number[],
    clicks: string[],
    next: Map<string, string[]>,
  ) {
    this.items = items;
    this.#starts = starts;
    this.#lengths = lengths;
    this.#clicks = clicks;
    this.#next = next;
  }

  static fromSessions(sessions: readonly ClickSession[]): SessionBrowsing {
    const seen = new Set<string>();
    const starts: string[] = [];
    const lengths: number[] = [];
    const clicks: string[] = [];
    const next = new Map<string, string[]>();
    for (const { items } of sessions) {
      if (items.length === 0) continue;
      starts.push(items[0]!);
      lengths.push(items.length);
      for (const [i, item] of items.entries()) {
        seen.add(item);
        clicks.push(item);
        const following = items[i + 1];
        if (following === undefined) continue;
        const list = next.get(item);
        if (list === undefined) next.set(item, [following]);
        else list.push(following);
      }
    }
    if (starts.length === 0) throw new Error('the click log has no session');
    return new SessionBrowsing([...seen], starts, lengths, clicks, next);
  }

  /** The item's category: one of the demo city's, the same for an id every time. */
  category(productId: string): string {
    let hash = 2166136261;
    for (let i = 0; i < productId.length; i++) hash = Math.imul(hash ^ productId.charCodeAt(i), 16777619);
    return CATEGORY_NAMES[(hash >>> 0) % CATEGORY_NAMES.length]!;
  }

  /** The next click: a session's next item, or a new session's first when this one is over. */
  click(state: BrowsingState | null, random: () => number): BrowsingState {
    if (state === null || state.left <= 0)
      return { productId: draw(this.#starts, random), left: draw(this.#lengths, random) - 1 };
    const following = this.#next.get(state.productId);
    return {
      productId: draw(following ?? this.#clicks, random),
      left: state.left - 1,
    };
  }
}

const draw = <T>(from: readonly T[], random: () => number): T => from[Math.floor(random() * from.length)]!;
