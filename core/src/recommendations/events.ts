import { Type } from '@sinclair/typebox';
import { defineEvent, type EventType } from '../envelope/index.js';
import { MODEL_EVENTS } from '../model-feed/index.js';

const Id = Type.String({ minLength: 1, maxLength: 128 });

/** A product as the catalogue holds it. */
export const Product = Type.Object(
  {
    productId: Id,
    name: Type.Optional(Type.String({ maxLength: 200 })),
    category: Type.Optional(Type.String({ maxLength: 128 })),
    price: Type.Optional(Type.Number({ minimum: 0 })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    /** Unavailable products are never recommended. */
    available: Type.Boolean(),
    /**
     * H3 cells (any resolution) of the stores that stock it: an app user near one of them gets it
     * boosted in their list (`HX_RECS_NEARBY_BOOST`).
     */
    stockedIn: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9a-f]{15}$' }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

/** A product added or changed (`hx.products`, compacted, key = product id): the catalogue. */
export const ProductUpserted = defineEvent('product.upserted', Product);

/** One recommended product, with where it came from. */
export const RecommendedItem = Type.Object(
  {
    productId: Id,
    score: Type.Number(),
    /** `session`: the session's clicks; `product`: item to item from the product viewed; `popular`: cold start. */
    source: Type.Union([Type.Literal('session'), Type.Literal('product'), Type.Literal('popular')]),
    category: Type.Optional(Type.String()),
    /** A store near the user (their last location) stocks it: it was boosted. */
    nearby: Type.Optional(Type.Literal(true)),
  },
  { additionalProperties: false },
);

/** A session's list, recomputed on a click (`hx.recommendations`, key = session id). */
export const RecommendationsUpdated = defineEvent(
  'recs.updated',
  Type.Object(
    {
      sessionId: Id,
      deviceId: Id,
      items: Type.Array(RecommendedItem),
      /** The click that led to it: its envelope id, product and time (the click → list latency starts there). */
      clickId: Type.String({ minLength: 1, maxLength: 128 }),
      productId: Id,
      clickedAt: Type.Integer({ minimum: 0 }),
      computedAt: Type.Integer({ minimum: 0 }),
      modelVersion: Type.String(),
    },
    { additionalProperties: false },
  ),
);

export const RECS_EVENTS: readonly EventType[] = [ProductUpserted, RecommendationsUpdated, ...MODEL_EVENTS];
