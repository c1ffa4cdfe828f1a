import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ERROR_RESPONSES as errors, type RouteOptions } from '../api/index.js';
import type { ApiKeyIdentity } from '../auth/index.js';
import type { BusProducer } from '../bus/index.js';
import { type EventRegistry, TOPICS } from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import { type WebhookDelivery, WebhookDeliveryFields } from '../webhooks/index.js';
import type { DecisionWaiters } from './decision-waiters.js';
import { FraudReviewed, PaymentSubmitted } from './events.js';
import type { FraudStateStore } from './fraud-state.js';
import { assertNoPan, Payment } from './payment.js';
import type { Merchant, PaymentStore, PaymentView } from './payment-store.js';
import { MerchantPolicyBody } from './policy.js';

export interface FraudRoutesDeps {
  store: PaymentStore;
  state: FraudStateStore;
  waiters: DecisionWaiters;
  registry: EventRegistry;
  producer: Pick<BusProducer, 'send'>;
  decisionWaitMs: number;
  reviewLeaseMs: number;
  reviewSlaMs: number;
}

/** A payment body is small: a large one is refused before it is parsed. */
const PAYMENT_BODY_LIMIT = 32 * 1024;

const MerchantParams = Type.Object({ merchantId: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }) });
const PaymentParams = Type.Object({ paymentId: Type.String({ minLength: 1, maxLength: 64 }) });
const ReviewParams = Type.Object({
  merchantId: Type.String({ minLength: 1, maxLength: 64 }),
  paymentId: Type.String({ minLength: 1, maxLength: 64 }),
});
const Action = Type.Union([Type.Literal('approve'), Type.Literal('review'), Type.Literal('decline')]);
const PaymentViewSchema = Type.Object(
  {
    paymentId: Type.String(),
    merchantId: Type.String(),
    status: Type.Union([Type.Literal('pending'), Action], {
      description: 'pending until the pipeline decides; then approve, review or decline',
    }),
    receivedAt: Type.Integer(),
    payment: Type.Unknown(),
    decision: Type.Unknown({
      description: 'action, score, modelVersion, shadow, reasons, ruleHits, features, decidedAt',
    }),
    review: Type.Unknown({ description: 'present for payments sent to review' }),
  },
  { additionalProperties: false },
);

/** Merchants' policies, payments in and out, and the review queue. */
export function fraudRoutes(deps: FraudRoutesDeps): FastifyPluginAsyncTypebox<RouteOptions> {
  return async (app, { limited }) => {
    const owned = async (identity: ApiKeyIdentity, merchantId: string): Promise<Merchant> => {
      const merchant = await deps.store.requireMerchant(merchantId);
      if (identity.role !== 'admin' && merchant.ownerKeyId !== identity.id)
        throw new HexcastError('HX_MERCHANT_FORBIDDEN', `this key does not own merchant ${merchantId}`);
      return merchant;
    };

    app.put('/v1/merchants/:merchantId', {
      config: { ...limited, roles: ['merchant'] as const },
      schema: {
        tags: ['fraud'],
        summary: "Create or replace a merchant's fraud policy (currencies, thresholds, lists, rules)",
        params: MerchantParams,
        body: MerchantPolicyBody,
        response: {
          200: Type.Object({
            merchantId: Type.String(),
            created: Type.Boolean(),
            webhookSecret: Type.String(),
          }),
          ...errors,
        },
      },
      handler: async (request) => {
        const { merchantId } = request.params;
        const identity = request.identity!;
        const existing = await deps.store.merchant(merchantId);
        if (existing !== null && identity.role !== 'admin' && existing.ownerKeyId !== identity.id)
          throw new HexcastError('HX_MERCHANT_FORBIDDEN', `merchant ${merchantId} belongs to another key`);
        const { merchant, created } = await deps.store.putMerchant(
          merchantId,
          existing?.ownerKeyId ?? identity.id,
          request.body,
        );
        return { merchantId, created, webhookSecret: merchant.webhookSecret };
      },
    });

    app.get('/v1/merchants/:merchantId', {
      config: { ...limited, roles: ['merchant'] as const },
      schema: {
        tags: ['fraud'],
        summary: "A merchant's fraud policy",
        params: MerchantParams,
        response: { 200: Type.Object({ merchantId: Type.String(), policy: MerchantPolicyBody }), ...errors },
      },
      handler: async (request) => {
        const merchant = await owned(request.identity!, request.params.merchantId);
        return { merchantId: merchant.id, policy: merchant.policy.body };
      },
    });

    app.post('/v1/payments', {
      config: { ...limited, roles: ['merchant'] as const },
      bodyLimit: PAYMENT_BODY_LIMIT,
      // A card number is refused before validation, so no error or log ever repeats it.
      preValidation: async (request) => assertNoPan(request.body),
      schema: {
        tags: ['fraud'],
        summary:
          'Score a payment: 200 with the decision when it is ready within the wait, else 202 (poll GET /v1/payments/{id})',
        headers: Type.Object({
          'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
        }),
        body: Payment,
        response: { 200: PaymentViewSchema, 202: PaymentViewSchema, ...errors },
      },
      handler: async (request, reply) => {
        const payment = request.body;
        (await owned(request.identity!, payment.merchantId)).policy.assertAccepts(payment.currency);
        const { view } = await deps.store.submit(payment, request.headers['idempotency-key'] ?? null);
        // Pending (new, or a retry after a failed publish): publish; the decision is keyed by payment.
        // The wait is registered first, so a decision stored at once is not missed.
        const expected =
          view.status === 'pending' ? deps.waiters.expect(payment.merchantId, payment.paymentId) : null;
        if (expected !== null)
          await deps.producer
            .send(
              TOPICS.payments,
              deps.registry.create(PaymentSubmitted, {
                id: `payment:${payment.merchantId}:${payment.paymentId}`,
                key: payment.paymentId,
                source: { kind: 'api', id: request.identity!.id },
                data: payment,
              }),
            )
            .catch((error: unknown) => {
              expected.done();
              throw error;
            });
        const decided =
          expected === null
            ? view
            : await expected.wait(deps.decisionWaitMs, async () => {
                const v = await deps.store.get([payment.merchantId], payment.paymentId);
                return v !== null && v.status !== 'pending' ? v : null;
              });
        reply.header('location', `/v1/payments/${encodeURIComponent(payment.paymentId)}`);
        return decided === null ? reply.code(202).send(view) : reply.code(200).send(decided);
      },
    });

    app.get('/v1/payments/:paymentId', {
      config: { ...limited, roles: ['merchant', 'reviewer'] as const },
      schema: {
        tags: ['fraud'],
        summary: 'A payment with its decision, reasons, features, model version and review',
        params: PaymentParams,
        querystring: Type.Object({ merchantId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }),
        response: { 200: PaymentViewSchema, ...errors },
      },
      handler: async (request) => {
        const identity = request.identity!;
        const { merchantId } = request.query;
        const scope =
          identity.role === 'merchant'
            ? await deps.store.merchantsOf(identity.id)
            : merchantId === undefined
              ? 'any'
              : [merchantId];
        const ids =
          scope !== 'any' && merchantId !== undefined ? scope.filter((m) => m === merchantId) : scope;
        const view = await deps.store.get(ids, request.params.paymentId);
        if (view === null)
          throw new HexcastError('HX_PAYMENT_NOT_FOUND', `no payment ${request.params.paymentId}`);
        return view;
      },
    });

    app.get('/v1/reviews', {
      config: { ...limited, roles: ['reviewer'] as const },
      schema: {
        tags: ['fraud'],
        summary: 'Open reviews, riskiest first, then oldest, with their SLA clock',
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) }),
        response: {
          200: Type.Object({
            open: Type.Integer(),
            overdue: Type.Integer({ description: 'open reviews past their SLA' }),
            items: Type.Array(
              Type.Intersect([
                PaymentViewSchema,
                Type.Object({ ageMs: Type.Integer(), dueAt: Type.Integer(), overdue: Type.Boolean() }),
              ]),
            ),
          }),
          ...errors,
        },
      },
      handler: async (request) => {
        const now = Date.now();
        const items = (await deps.store.queue(request.query.limit)).map((v) =>
          withSla(v, now, deps.reviewSlaMs),
        );
        const { open, overdue } = await deps.store.openReviews(deps.reviewSlaMs);
        return { open, overdue, items };
      },
    });

    app.post('/v1/reviews/:merchantId/:paymentId/claim', {
      config: { ...limited, roles: ['reviewer'] as const },
      schema: {
        tags: ['fraud'],
        summary: 'Claim a review for a lease (HX_REVIEW_CLAIMED while another reviewer holds it)',
        params: ReviewParams,
        response: { 200: PaymentViewSchema, ...errors },
      },
      handler: async (request) =>
        deps.store.claim(
          request.params.merchantId,
          request.params.paymentId,
          request.identity!.id,
          deps.reviewLeaseMs,
        ),
    });

    app.post('/v1/reviews/:merchantId/:paymentId/decision', {
      config: { ...limited, roles: ['reviewer'] as const },
      schema: {
        tags: ['fraud'],
        summary: 'Decide a claimed review: approve or decline, a label for training, a note (audited)',
        params: ReviewParams,
        body: Type.Object(
          {
            decision: Type.Union([Type.Literal('approve'), Type.Literal('decline')]),
            label: Type.Union([Type.Literal('fraud'), Type.Literal('legit')]),
            note: Type.String({ maxLength: 2000, default: '' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: PaymentViewSchema, ...errors },
      },
      handler: async (request) => {
        const { merchantId, paymentId } = request.params;
        const reviewer = request.identity!.id;
        const reviewed = (reviewedAt: number) => ({
          paymentId,
          merchantId,
          decision: request.body.decision,
          label: request.body.label,
          reviewer,
          reviewedAt,
        });
        const id = `review:${merchantId}:${paymentId}`;
        const merchant = await deps.store.merchant(merchantId);
        const view = await deps.store.resolve(
          merchantId,
          paymentId,
          reviewer,
          request.body,
          merchant?.policy.body.webhookUrl === undefined
            ? null
            : (reviewedAt) => ({ id, type: FraudReviewed.type, data: reviewed(reviewedAt) }),
        );
        await deps.state.recordLabel(merchantId, request.body.label === 'fraud');
        await deps.producer.send(
          TOPICS.fraudDecisions,
          deps.registry.create(FraudReviewed, {
            id,
            key: paymentId,
            source: { kind: 'api', id: reviewer },
            data: reviewed(view.review?.reviewedAt ?? Date.now()),
          }),
        );
        return view;
      },
    });

    const Delivery = Type.Composite([
      WebhookDeliveryFields,
      Type.Object({ merchantId: Type.String(), paymentId: Type.String() }),
    ]);

    app.get('/v1/merchants/:merchantId/webhooks', {
      config: { ...limited, roles: ['merchant'] as const },
      schema: {
        tags: ['fraud'],
        summary: "The merchant webhook's deliveries, newest first (status=dead: the dead letters)",
        params: MerchantParams,
        querystring: Type.Object({
          status: Type.Optional(
            Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')]),
          ),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(Delivery) }), ...errors },
      },
      handler: async (request) => {
        await owned(request.identity!, request.params.merchantId);
        return {
          items: (
            await deps.store.outbox.list(request.params.merchantId, request.query.status, request.query.limit)
          ).map(merchantDelivery),
        };
      },
    });

    app.post('/v1/merchants/:merchantId/webhooks/:deliveryId/retry', {
      config: { ...limited, roles: ['merchant'] as const },
      schema: {
        tags: ['fraud'],
        summary: 'Send a dead delivery again (attempts reset)',
        params: Type.Object({
          merchantId: Type.String({ minLength: 1, maxLength: 64 }),
          deliveryId: Type.String({ minLength: 1, maxLength: 200 }),
        }),
        response: { 200: Delivery, ...errors },
      },
      handler: async (request) => {
        await owned(request.identity!, request.params.merchantId);
        return merchantDelivery(
          await deps.store.outbox.retry(request.params.merchantId, request.params.deliveryId),
        );
      },
    });
  };
}

/** A delivery as merchants see it: to them, about a payment. */
function merchantDelivery({ target, subject, ...d }: WebhookDelivery) {
  return { ...d, merchantId: target, paymentId: subject };
}

function withSla(v: PaymentView, now: number, slaMs: number) {
  const since = v.decision?.decidedAt ?? v.receivedAt;
  return { ...v, ageMs: Math.max(0, now - since), dueAt: since + slaMs, overdue: now - since > slaMs };
}
