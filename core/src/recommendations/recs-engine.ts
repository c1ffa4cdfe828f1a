import type { Recommended, RecsModel, SessionRanking } from '@hexcast/models';
import type { Static } from '@sinclair/typebox';
import type { BusProducer } from '../bus/index.js';
import { DeliveryItemEvent } from '../delivery/index.js';
import { deliveriesTopic, type Envelope, type EventRegistry, TOPICS } from '../envelope/index.js';
import type { Metrics } from '../observability/index.js';
import type { Catalogue } from './catalogue.js';
import { RecommendationsUpdated, type RecommendedItem } from './events.js';
import { NearbyCells } from './nearby.js';
import type { SessionClick, SessionStore, StoredList } from './session-store.js';

type Item = Static<typeof RecommendedItem>;

/**
 * An item of a list, made by a constructor rather than an object literal. V8 follows each
 * literal's objects, and once most of them outlive a young-generation collection (lists do under
 * a burst of clicks), it allocates the literal's later objects straight into the old generation
 * (allocation-site pretenuring), where only full collections reclaim them. Objects made by `new`
 * are never placed there ahead of time. Measured at 5,000 clicks/s in `hexcast dev`: the old
 * generation grew 0.66 MB a scavenge (median) with the literal, 0.09 MB with this class.
 */
class ListItem {
  declare category?: string;
  declare nearby?: true;
  constructor(
    readonly productId: string,
    readonly score: number,
    readonly source: Item['source'],
  ) {}
}

/** Session rankings computed elsewhere (a `SessionScoringPool`'s threads); null: score here. */
export interface SessionRanker {
  rank(session: Int32Array, k: number, version: string): Promise<SessionRanking | null>;
}

/** A session's ranking from a ranker, and the model it is by. */
interface Ranked {
  model: RecsModel;
  ranking: SessionRanking;
  asked: number;
}

/** What the engine needs of the loaded model (a slot's current value). */
export interface RecsModelRef {
  readonly current: RecsModel | null;
}

export interface RecsEngineOptions {
  registry: EventRegistry;
  producer: BusProducer;
  store: SessionStore;
  catalogue: Catalogue;
  model: RecsModelRef;
  /**
   * Ranks sessions off this thread. The lists are the same either way: a ranking that cannot
   * give the list exactly (too many of its items filtered out) is scored again here.
   */
  ranker?: SessionRanker;
  /**
   * A device's region, for app users whose click did not come through a gateway (web visitors have
   * none: their list is stored, not pushed).
   */
  regionOf: (deviceId: string) => Promise<string | null>;
  metrics: Metrics;
  /**
   * Boosting products stocked near the user: where their device last was (null: unknown, a web
   * visitor), how much (score × (1 + boost)), within how many H3 rings, and how old a position may be.
   */
  nearby?: {
    positionOf(deviceId: string): Promise<{ h3: string; ts: number } | null>;
    boost: number;
    rings: number;
    maxAgeMs: number;
  };
  listSize: number;
  pushTtlMs: number;
  now?: () => number;
}

interface ClickData {
  deviceId: string;
  sessionId: string;
  productId: string;
  action: SessionClick['action'];
  category?: string;
}

/**
 * Recomputes recommendations on each click (`hx.clicks` → session state → `hx.recommendations`,
 * and the app's inbox): the union of the session's list and the viewed product's item-to-item
 * list, unavailable and already-bought products filtered out, at most half of the list from one
 * category; with no model or nothing known yet, item to item, then popular in the category, then
 * popular.
 */
export class RecsEngine {
  readonly #o: RecsEngineOptions;
  readonly #now: () => number;
  readonly #clicks;
  readonly #latency;
  readonly #scored;
  readonly #boosted;

  constructor(options: RecsEngineOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#clicks = options.metrics.counter<'outcome'>({
      name: 'recs_clicks_total',
      help: 'clicks the recommendations worker handled, by outcome (recommended, duplicate, or a drop code)',
      labelNames: ['outcome'],
    });
    this.#latency = options.metrics.histogram({
      name: 'recs_click_to_list_seconds',
      help: 'click (its timestamp) → its session list stored',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
    this.#scored = options.metrics.counter<'on'>({
      name: 'recs_session_scored_total',
      help: 'session lists scored, by where: a scoring thread, or here (no thread or model there, or its ranking could not give the list)',
      labelNames: ['on'],
    });
    this.#boosted = options.metrics.counter({
      name: 'recs_lists_nearby_total',
      help: 'lists holding a product a store near the user stocks (boosted)',
    });
  }

  async handle(envelope: Envelope): Promise<void> {
    const data = envelope.data as ClickData;
    const product = this.#o.catalogue.get(data.productId);
    if (product === undefined) {
      // Not an error of the pipeline: the click is counted and left out of the session.
      this.#clicks.inc({ outcome: 'HX_EVENT_PRODUCT_UNKNOWN' });
      return;
    }
    const clicks = await this.#o.store.append(data.sessionId, {
      id: envelope.id,
      productId: data.productId,
      action: data.action,
      at: envelope.ts,
    });
    if (clicks === null) {
      this.#clicks.inc({ outcome: 'duplicate' });
      return;
    }
    const [ranked, near] = await Promise.all([this.#rank(clicks), this.#near(data.deviceId)]);
    const items = this.recommend(clicks, this.#o.listSize, ranked, near);
    if (near !== null && items.some((i) => i.nearby)) this.#boosted.inc();
    const computedAt = this.#now();
    const list: StoredList = {
      sessionId: data.sessionId,
      deviceId: data.deviceId,
      items,
      clickId: envelope.id,
      productId: data.productId,
      clickedAt: envelope.ts,
      computedAt,
      modelVersion: this.#o.model.current?.version ?? 'none',
    };
    await this.#o.store.putList(list);
    this.#latency.observe(Math.max(0, computedAt - envelope.ts) / 1000);
    this.#clicks.inc({ outcome: 'recommended' });
    const registry = this.#o.registry;
    const sends = [
      this.#o.producer.send(
        TOPICS.recommendations,
        registry.create(RecommendationsUpdated, {
          key: data.sessionId,
          source: { kind: 'processor', id: 'recommendations' },
          data: list,
        }),
      ),
    ];
    // A click through a gateway names its region: the one the device's token is for and where it
    // is connected now, so no lookup (at a click a minute per device, a cache would miss nearly
    // every time). Clicks from elsewhere ask the device directory (web visitors have no region).
    const region =
      items.length === 0
        ? null
        : envelope.source.kind === 'gateway' && envelope.source.region !== undefined
          ? envelope.source.region
          : await this.#o.regionOf(data.deviceId);
    if (region !== null) {
      // The envelope id follows the click: a redelivered click re-sends the same inbox item.
      sends.push(
        this.#o.producer.send(
          deliveriesTopic(region),
          registry.create(DeliveryItemEvent, {
            id: `recs:${envelope.id}`,
            key: data.deviceId,
            ts: computedAt,
            expiresAt: computedAt + this.#o.pushTtlMs,
            source: { kind: 'processor', id: 'recommendations' },
            data: {
              deviceId: data.deviceId,
              kind: 'recommendation',
              content: {
                sessionId: data.sessionId,
                productId: data.productId,
                items,
                modelVersion: list.modelVersion,
                clickedAt: envelope.ts,
                computedAt,
              },
            },
          }),
        ),
      );
    }
    await Promise.all(sends);
  }

  /** Where the user is, for the boost: null when nothing is stocked anywhere, or the position is unknown or old. */
  async #near(deviceId: string): Promise<NearbyCells | null> {
    const nearby = this.#o.nearby;
    if (nearby === undefined || nearby.boost <= 0 || this.#o.catalogue.stocked === 0) return null;
    const position = await nearby.positionOf(deviceId);
    if (position === null || this.#now() - position.ts > nearby.maxAgeMs) return null;
    return NearbyCells.of(position.h3, nearby.rings);
  }

  /** The session's ranking from the ranker, when there is one and a model. */
  async #rank(clicks: readonly SessionClick[]): Promise<Ranked | null> {
    const model = this.#o.model.current;
    const ranker = this.#o.ranker;
    if (model === null || ranker === undefined) return null;
    const asked = this.#o.listSize * 3 * 2; // the list's room (`wide`) twice over, for the filters
    const session = model.sessionNumbers(clicks.map((c) => c.productId));
    if (session.length === 0) return null;
    const ranking = await ranker.rank(session, asked, model.version);
    return ranking === null ? null : { model, ranking, asked };
  }

  /**
   * The list for a session's clicks (oldest first): what `handle` stores. `ranked`: the session's
   * ranking from a ranker (used when it is by the current model and holds enough items). `near`:
   * where the user is; products a store near them stocks are boosted and marked `nearby`.
   */
  recommend(
    clicks: readonly SessionClick[],
    n: number,
    ranked: Ranked | null = null,
    near: NearbyCells | null = null,
  ): Item[] {
    const catalogue = this.#o.catalogue;
    const bought = new Set(clicks.filter((c) => c.action === 'buy').map((c) => c.productId));
    const skip = (id: string) => bought.has(id) || !catalogue.isAvailable(id);
    const model = this.#o.model.current;
    const last = clicks[clicks.length - 1]?.productId;
    const picked = new Map<string, Item>();
    const perCategory = new Map<string, number>();
    const cap = Math.max(1, Math.ceil(n / 2));
    const factor = 1 + (this.#o.nearby?.boost ?? 0);
    // Stocked near the user: the score times the factor, and the list re-sorted (stable).
    const boosted = (list: readonly Recommended[]): ReadonlyArray<Recommended & { nearby?: true }> => {
      if (near === null) return list;
      let any = false;
      const out = list.map((r) => {
        const stores = catalogue.get(r.item)?.stockedIn;
        if (stores === undefined || !near.any(stores)) return r;
        any = true;
        return { item: r.item, score: r.score * factor, nearby: true as const };
      });
      return any ? out.sort((a, b) => b.score - a.score) : list;
    };
    const take = (raw: readonly Recommended[], source: Item['source']) => {
      for (const r of boosted(raw)) {
        if (picked.size >= n) return;
        if (picked.has(r.item)) continue;
        const category = catalogue.get(r.item)?.category;
        if (category !== undefined) {
          const used = perCategory.get(category) ?? 0;
          if (used >= cap) continue;
          perCategory.set(category, used + 1);
        }
        const item: Item = new ListItem(r.item, r.score, source);
        if (category !== undefined) item.category = category;
        if ('nearby' in r) item.nearby = true;
        picked.set(r.item, item);
      }
    };
    const wide = n * 3; // room for the filters and the category cap
    if (model !== null) {
      const fromThread =
        ranked !== null && ranked.model === model
          ? model.fromRanking(ranked.ranking, ranked.asked, wide, skip)
          : null;
      this.#scored.inc({ on: fromThread === null ? 'here' : 'thread' });
      take(
        fromThread ??
          model.forSession(
            clicks.map((c) => c.productId),
            wide,
            skip,
          ),
        'session',
      );
      // The union: the page's item-to-item list fills what the session's list leaves (a full list
      // has nothing to take from it).
      if (last !== undefined && picked.size < n) take(model.similarItems(last, wide, skip), 'product');
      if (picked.size < n) {
        const category = last === undefined ? undefined : catalogue.get(last)?.category;
        const popular = model.popular(wide * 4, skip);
        if (category !== undefined)
          take(
            popular.filter((r) => catalogue.get(r.item)?.category === category),
            'popular',
          );
        take(popular, 'popular');
      }
    }
    if (picked.size < n && last !== undefined) {
      // No model, or the model knows none of it: the category's other available products.
      const category = catalogue.get(last)?.category;
      if (category !== undefined)
        take(
          catalogue
            .inCategory(category)
            .filter((id) => id !== last && !skip(id))
            .map((id) => ({ item: id, score: 0 })),
          'popular',
        );
    }
    return [...picked.values()];
  }
}
