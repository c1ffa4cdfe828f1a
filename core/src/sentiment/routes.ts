import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ERROR_RESPONSES as errors, type RouteOptions } from '../api/index.js';
import { lastEventId, openEventStream } from '../http/index.js';
import {
  CARE_WEBHOOK_TARGET,
  type WebhookDelivery,
  WebhookDeliveryFields,
  type WebhookOutbox,
} from '../webhooks/index.js';
import type { CareAlerts } from './alerts.js';
import type { PostStore } from './post-store.js';
import type { SentimentSummary } from './summary.js';

export interface SentimentRoutesDeps {
  summary: SentimentSummary;
  /** Subscribe to summary changes (brand, channel); returns the unsubscribe. */
  onChange: (listener: (brand: string, channel: string) => void) => () => void;
  posts: PostStore;
  alerts: CareAlerts;
  /** The care webhook's deliveries (`HX_CARE_WEBHOOK_URL`). */
  webhooks: WebhookOutbox;
  alertLeaseMs: number;
}

const Window = Type.Union([Type.Literal(1), Type.Literal(5), Type.Literal(15), Type.Literal(60)], {
  default: 15,
});
const Label = Type.Union([Type.Literal('negative'), Type.Literal('neutral'), Type.Literal('positive')]);
const AlertId = Type.Object({ alertId: Type.String({ minLength: 1, maxLength: 200 }) });
const AlertView = Type.Unknown({
  description:
    'id, kind (negative-post | spike), brand, channel, posts, priority, reason, detail, status, claimedBy, leaseUntil, createdAt, firstResponseMs, resolvedBy, resolvedAt, note',
});
const SSE_INTERVAL_MS = 1000;

/** The live summary, the message DB's posts and the care queue. */
export function sentimentRoutes(deps: SentimentRoutesDeps): FastifyPluginAsyncTypebox<RouteOptions> {
  return async (app, { limited }) => {
    app.get('/v1/sentiment/summary', {
      config: { ...limited, roles: ['care', 'marketer'] as const },
      schema: {
        tags: ['sentiment'],
        summary:
          'Per brand × channel over the last 1, 5, 15 or 60 minutes: volume, mean compound, negative share, top hashtags, terms and negative reasons, the per-minute trend, and whether it is in a spike',
        querystring: Type.Object({
          brand: Type.Optional(Type.String({ maxLength: 64 })),
          channel: Type.Optional(Type.String({ maxLength: 32 })),
          window: Window,
        }),
        response: { 200: Type.Object({ views: Type.Array(Type.Unknown()) }), ...errors },
      },
      handler: async (request) => {
        const q = request.query;
        return {
          views: deps.summary.views({
            windowMinutes: q.window,
            ...(q.brand === undefined ? {} : { brand: q.brand }),
            ...(q.channel === undefined ? {} : { channel: q.channel }),
          }),
        };
      },
    });

    app.get('/v1/sentiment/stream', {
      config: { ...limited, roles: ['care', 'marketer'] as const },
      schema: {
        tags: ['sentiment'],
        summary:
          'Server-Sent Events: a `summary` event (the 15-minute view) for each brand × channel that changed, at most once a second; on connect (or reconnect with Last-Event-ID) every current view first',
        querystring: Type.Object({ brand: Type.Optional(Type.String({ maxLength: 64 })) }),
      },
      handler: async (request, reply) => {
        const brand = request.query.brand;
        const stream = openEventStream(request, reply);
        let sequence = lastEventId(request);
        const send = (views: unknown[]) => {
          for (const v of views) stream.send('summary', v, ++sequence);
        };
        send(deps.summary.views({ windowMinutes: 15, ...(brand === undefined ? {} : { brand }) }));
        const changed = new Set<string>();
        stream.onClose(
          deps.onChange((b, c) => {
            if (brand === undefined || b === brand) changed.add(`${b}\u0000${c}`);
          }),
        );
        const timer = setInterval(() => {
          const keys = [...changed];
          changed.clear();
          for (const key of keys) {
            const [b, c] = key.split('\u0000') as [string, string];
            send(deps.summary.views({ brand: b, channel: c, windowMinutes: 15 }));
          }
        }, SSE_INTERVAL_MS);
        stream.onClose(() => clearInterval(timer));
      },
    });

    app.get('/v1/sentiment/posts', {
      config: { ...limited, roles: ['care', 'marketer'] as const },
      schema: {
        tags: ['sentiment'],
        summary:
          "A brand's stored posts with their scores, newest first (page with before=<createdAt of the last>)",
        querystring: Type.Object({
          brand: Type.String({ minLength: 1, maxLength: 64 }),
          label: Type.Optional(Label),
          before: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        }),
        response: { 200: Type.Object({ posts: Type.Array(Type.Unknown()) }), ...errors },
      },
      handler: async (request) => {
        const q = request.query;
        const posts = await deps.posts.list({
          brand: q.brand,
          limit: q.limit,
          ...(q.label === undefined ? {} : { label: q.label }),
          ...(q.before === undefined ? {} : { before: q.before }),
        });
        return { posts: posts.map((p) => ({ ...p.post, score: p.score, receivedAt: p.receivedAt })) };
      },
    });

    const Delivery = Type.Composite([WebhookDeliveryFields, Type.Object({ alertId: Type.String() })]);
    const careDelivery = ({ target: _t, subject, ...d }: WebhookDelivery) => ({ ...d, alertId: subject });

    app.get('/v1/care/webhooks', {
      config: { ...limited, roles: ['care'] as const },
      schema: {
        tags: ['sentiment'],
        summary:
          "The care webhook's deliveries, newest first (status=dead: the dead letters, each with its last error)",
        querystring: Type.Object({
          status: Type.Optional(
            Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')]),
          ),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(Delivery) }), ...errors },
      },
      handler: async (request) => ({
        items: (await deps.webhooks.list(CARE_WEBHOOK_TARGET, request.query.status, request.query.limit)).map(
          careDelivery,
        ),
      }),
    });

    app.post('/v1/care/webhooks/:deliveryId/retry', {
      config: { ...limited, roles: ['care'] as const },
      schema: {
        tags: ['sentiment'],
        summary: 'Send a dead care webhook delivery again (due now, attempts reset)',
        params: Type.Object({ deliveryId: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: Delivery, ...errors },
      },
      handler: async (request) =>
        careDelivery(await deps.webhooks.retry(CARE_WEBHOOK_TARGET, request.params.deliveryId)),
    });

    app.get('/v1/care/alerts', {
      config: { ...limited, roles: ['care'] as const },
      schema: {
        tags: ['sentiment'],
        summary: 'The care queue: unresolved alerts (or one status), highest priority first, then oldest',
        querystring: Type.Object({
          status: Type.Optional(
            Type.Union([Type.Literal('open'), Type.Literal('claimed'), Type.Literal('resolved')]),
          ),
          brand: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        }),
        response: { 200: Type.Object({ alerts: Type.Array(AlertView) }), ...errors },
      },
      handler: async (request) => {
        const q = request.query;
        return {
          alerts: await deps.alerts.list({
            limit: q.limit,
            ...(q.status === undefined ? {} : { status: q.status }),
            ...(q.brand === undefined ? {} : { brand: q.brand }),
          }),
        };
      },
    });

    app.post('/v1/care/alerts/:alertId/claim', {
      config: { ...limited, roles: ['care'] as const },
      schema: {
        tags: ['sentiment'],
        summary: 'Claim an alert for a lease (HX_CARE_LEASE_MS); the first claim is its first response',
        params: AlertId,
        response: { 200: AlertView, ...errors },
      },
      handler: async (request) =>
        deps.alerts.claim(request.params.alertId, request.identity!.id, deps.alertLeaseMs),
    });

    app.post('/v1/care/alerts/:alertId/resolve', {
      config: { ...limited, roles: ['care'] as const },
      schema: {
        tags: ['sentiment'],
        summary: 'Resolve an alert you have claimed, with a note',
        params: AlertId,
        body: Type.Object(
          { note: Type.String({ minLength: 1, maxLength: 4000 }) },
          { additionalProperties: false },
        ),
        response: { 200: AlertView, ...errors },
      },
      handler: async (request) =>
        deps.alerts.resolve(request.params.alertId, request.identity!.id, request.body.note),
    });
  };
}
