import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RecsModel } from '@hexcast/models';
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { isValidCell } from 'h3-js';
import { ERROR_RESPONSES as errors, type RouteOptions } from '../api/index.js';
import type { BusProducer } from '../bus/index.js';
import { DeviceClick, type EventRegistry, TOPICS } from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import type { Metrics } from '../observability/index.js';
import type { Catalogue } from './catalogue.js';
import { Product, ProductUpserted, RecommendedItem } from './events.js';
import type { SessionStore } from './session-store.js';

export interface RecsRoutesDeps {
  registry: EventRegistry;
  producer: BusProducer;
  catalogue: Catalogue;
  store: SessionStore;
  model: { readonly current: RecsModel | null };
  metrics: Metrics;
  maxEvents: number;
  /** How far an event's time may be ahead of the server's clock, and how old it may be. */
  maxSkewMs?: number;
  maxAgeMs?: number;
}

/** A website's clickstream event: `device.click`'s fields with a visitor id for the device, plus its time. */
const { deviceId: _deviceId, ...clickFields } = DeviceClick.schema.properties;
const WebEvent = Type.Object(
  {
    visitorId: Type.String({ minLength: 1, maxLength: 120 }),
    ...clickFields,
    ts: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
const checkEvent = TypeCompiler.Compile(WebEvent);
const Rejected = Type.Object({ index: Type.Integer(), code: Type.String(), message: Type.String() });
const Items = Type.Array(RecommendedItem);

/** Catalogue writes, the websites' clickstream, and reading a session's recommendations. */
export function recsRoutes(deps: RecsRoutesDeps): FastifyPluginAsyncTypebox<RouteOptions> {
  const maxSkewMs = deps.maxSkewMs ?? 5 * 60_000;
  const maxAgeMs = deps.maxAgeMs ?? 24 * 3600_000;
  const events = deps.metrics.counter<'outcome'>({
    name: 'recs_web_events_total',
    help: 'POST /v1/events events, by outcome (accepted or the refusal code)',
    labelNames: ['outcome'],
  });
  return async (app, { limited }) => {
    // navigator.sendBeacon posts text/plain: the body is JSON all the same.
    app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new HexcastError('HX_EVENTS_INVALID', 'the body is not JSON'), undefined);
      }
    });

    app.put('/v1/products', {
      config: { ...limited, roles: ['marketer'] as const },
      schema: {
        tags: ['recommendations'],
        summary:
          'Add or change products (bulk, up to 1,000): category, price, availability. Unavailable products are never recommended.',
        body: Type.Object({ products: Type.Array(Product, { minItems: 1, maxItems: 1000 }) }),
        response: { 200: Type.Object({ accepted: Type.Integer() }), ...errors },
      },
      handler: async (request) => {
        const { products } = request.body;
        for (const p of products)
          for (const cell of p.stockedIn ?? [])
            if (!isValidCell(cell))
              throw new HexcastError(
                'HX_PRODUCT_INVALID',
                `product ${p.productId}: stockedIn holds ${cell}, not an H3 cell`,
                { details: { productId: p.productId, cell } },
              );
        for (const p of products) {
          deps.catalogue.put(p); // this process sees it at once; the others through hx.products
          await deps.producer.send(
            TOPICS.products,
            deps.registry.create(ProductUpserted, {
              key: p.productId,
              source: { kind: 'api', id: 'products' },
              data: p,
            }),
          );
        }
        return { accepted: products.length };
      },
    });

    app.get('/v1/products/:productId', {
      config: { ...limited, roles: ['marketer', 'site'] as const },
      schema: {
        tags: ['recommendations'],
        summary: 'A product as the catalogue holds it',
        params: Type.Object({ productId: Type.String({ minLength: 1, maxLength: 128 }) }),
        response: { 200: Product, ...errors },
      },
      handler: async (request) => {
        const product = deps.catalogue.get(request.params.productId);
        if (product === undefined)
          throw new HexcastError('HX_PRODUCT_NOT_FOUND', `no product ${request.params.productId}`);
        return product;
      },
    });

    app.post('/v1/events', {
      config: { ...limited, roles: ['site'] as const, keyInQuery: true },
      schema: {
        tags: ['recommendations'],
        summary:
          "A website's clickstream, batched (beacon-friendly: the site key may come as `?key=`, the body as text/plain JSON). Each event is accepted or refused with a code; accepted ones reach hx.clicks like the SDK's.",
        querystring: Type.Object({ key: Type.Optional(Type.String()) }),
        body: Type.Unknown(),
        response: {
          202: Type.Object({ accepted: Type.Integer(), rejected: Type.Array(Rejected) }),
          ...errors,
        },
      },
      handler: async (request, reply) => {
        const body = request.body as { events?: unknown } | null;
        if (typeof body !== 'object' || body === null || !Array.isArray(body.events))
          throw new HexcastError('HX_EVENTS_INVALID', 'the body must be {"events": [...]}');
        const list = body.events as unknown[];
        if (list.length > deps.maxEvents)
          throw new HexcastError(
            'HX_EVENTS_TOO_MANY',
            `${list.length} events in one request; at most ${deps.maxEvents} (HX_RECS_MAX_EVENTS)`,
            { details: { max: deps.maxEvents } },
          );
        const now = Date.now();
        const rejected: Array<Static<typeof Rejected>> = [];
        const site = request.identity!.id;
        let accepted = 0;
        for (const [index, e] of list.entries()) {
          const refuse = (code: string, message: string) => {
            rejected.push({ index, code, message });
            events.inc({ outcome: code });
          };
          if (!checkEvent.Check(e)) {
            const first = checkEvent.Errors(e).First();
            refuse(
              'HX_EVENTS_INVALID',
              first === undefined ? 'not an event' : `${first.path || '/'} ${first.message}`,
            );
            continue;
          }
          if (e.ts > now + maxSkewMs || e.ts < now - maxAgeMs) {
            refuse(
              'HX_EVENT_TIME_INVALID',
              `ts ${e.ts} is ${e.ts > now ? 'in the future' : 'more than a day old'}`,
            );
            continue;
          }
          if (deps.catalogue.get(e.productId) === undefined) {
            refuse('HX_EVENT_PRODUCT_UNKNOWN', `no product ${e.productId} in the catalogue`);
            continue;
          }
          const { visitorId, ts, ...rest } = e;
          const deviceId = `web:${visitorId}`;
          await deps.producer.send(
            TOPICS.clicks,
            deps.registry.create(DeviceClick, {
              // The same event posted twice (a beacon retried) is the same record.
              id: createHash('sha1')
                .update(`web|${site}|${visitorId}|${e.sessionId}|${ts}|${e.action}|${e.productId}`)
                .digest('base64url'),
              key: deviceId,
              ts,
              source: { kind: 'api', id: `site:${site}` },
              data: { deviceId, ...rest },
            }),
          );
          accepted++;
          events.inc({ outcome: 'accepted' });
        }
        reply.code(202);
        return { accepted, rejected };
      },
    });

    app.get('/v1/recommendations', {
      config: { ...limited, roles: ['site', 'marketer'] as const, keyInQuery: true },
      schema: {
        tags: ['recommendations'],
        summary:
          "A session's list (stored by the worker on its last click) and the product page's item-to-item list, with their union. Reads state only: it never waits on the pipeline.",
        querystring: Type.Object({
          session: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          product: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          n: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
          key: Type.Optional(Type.String()),
        }),
        response: {
          200: Type.Object({
            session: Items,
            product: Items,
            union: Items,
            computedAt: Type.Union([Type.Integer(), Type.Null()]),
            modelVersion: Type.String(),
          }),
          ...errors,
        },
      },
      handler: async (request) => {
        const { session, product, n } = request.query;
        if (session === undefined && product === undefined)
          throw new HexcastError('HX_API_VALIDATION', 'give session=…, product=… or both');
        const stored = session === undefined ? null : await deps.store.list(session);
        const sessionItems = (stored?.items ?? []).slice(0, n);
        const model = deps.model.current;
        const productItems =
          product === undefined || model === null
            ? []
            : model
                .similarItems(product, n, (id) => !deps.catalogue.isAvailable(id))
                .map((r) => {
                  const category = deps.catalogue.get(r.item)?.category;
                  return {
                    productId: r.item,
                    score: r.score,
                    source: 'product' as const,
                    ...(category === undefined ? {} : { category }),
                  };
                });
        const union = new Map<string, (typeof sessionItems)[number]>();
        // The session's list leads (it already holds the clicked product's neighbours), then the page's.
        for (const item of [...sessionItems, ...productItems])
          if (union.size < n && !union.has(item.productId) && deps.catalogue.isAvailable(item.productId))
            union.set(item.productId, item);
        return {
          session: sessionItems,
          product: productItems,
          union: [...union.values()],
          computedAt: stored?.computedAt ?? null,
          modelVersion: stored?.modelVersion ?? model?.version ?? 'none',
        };
      },
    });
  };
}
