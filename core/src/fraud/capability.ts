import { ConsumerRunner } from '../bus/index.js';
import { TOPICS } from '../envelope/index.js';
import { DEVICE_STATE } from '../geo/index.js';
import type { Component } from '../lifecycle/index.js';
import { ModelCatalog, ModelFeed } from '../model-feed/index.js';
import { type Capability, port, provide, type ServiceContext } from '../runtime/index.js';
import { CARE_WEBHOOK_TARGET, WebhookSender } from '../webhooks/index.js';
import { AuditLog } from './audit-log.js';
import { DecisionWaiters } from './decision-waiters.js';
import { FRAUD_EVENTS } from './events.js';
import { FraudEngine } from './fraud-engine.js';
import type { FraudStateStore } from './fraud-state.js';
import { MemoryFraudState } from './fraud-state.memory.js';
import { RedisFraudState } from './fraud-state.redis.js';
import { modelRoutes } from './model-routes.js';
import { PaymentStore } from './payment-store.js';
import { fraudRoutes } from './routes.js';
import { candidateFraudSlot, liveFraudSlot } from './scorer.js';

/** What the fraud worker and routes of one process share: the feature state and the decision waiters. */
interface FraudShared {
  state: FraudStateStore;
  waiters: DecisionWaiters;
}
const FRAUD_SHARED = port<FraudShared>('fraud.shared');

/**
 * A device's recent fraud risk (0 … 1, the highest score of its payments within
 * `HX_FRAUD_DEVICE_RISK_TTL_MS`), or null: what the offer engine's `Signals.deviceRisk` reads.
 */
export interface DeviceRisk {
  deviceRisk(deviceId: string): Promise<number | null>;
}
export const DEVICE_RISK = port<DeviceRisk>('fraud.device-risk');

/** `hexcast worker fraud`: hx.payments → hx.fraud-decisions, with the models from hx.models. */
function fraudWorker(ctx: ServiceContext): Component[] {
  const shared = ctx.use(FRAUD_SHARED);
  const live = liveFraudSlot();
  const candidate = candidateFraudSlot();
  const positions = ctx.use(DEVICE_STATE);
  let engine: FraudEngine | undefined;
  let sender: WebhookSender | undefined;
  const wiring: Component = {
    name: 'fraud-engine',
    start: async () => {
      const records = await ctx.records();
      const store = new PaymentStore(records, new AuditLog(records));
      sender = new WebhookSender({
        name: 'fraud_webhooks',
        outbox: store.outbox,
        // Every delivery but the care system's: the sentiment worker sends those.
        targets: { except: CARE_WEBHOOK_TARGET },
        target: (merchantId) => store.webhookTarget(merchantId),
        metrics: ctx.metrics,
        logger: ctx.logger.child({ component: 'fraud-webhooks' }),
      });
      await sender.start();
      engine = new FraudEngine({
        registry: ctx.registry,
        producer: ctx.producer,
        store,
        state: shared.state,
        positions,
        live,
        candidate,
        metrics: ctx.metrics,
        logger: ctx.logger.child({ component: 'fraud' }),
        deviceRiskTtlMs: ctx.config.fraud.deviceRiskTtlMs,
        onDecided: (merchantId, paymentId) => shared.waiters.settled(merchantId, paymentId),
        onWebhook: () => sender?.nudge(),
      });
    },
    close: async () => {
      await sender?.close();
    },
  };
  const payments = new ConsumerRunner({
    ...ctx,
    groupId: 'hx-fraud',
    topics: [TOPICS.payments.name],
    stage: 'fraud',
    concurrency: ctx.config.fraud.concurrency,
    handler: (envelope) => engine!.handle(envelope),
    batchHandler: (records) => engine!.handleBatch(records),
    // Every partition's batch at once: their decisions share one transaction.
    partitionsConcurrently: TOPICS.payments.partitions,
  });
  return [wiring, new ModelFeed({ ...ctx, slots: [live, candidate] }), payments];
}

export const fraud: Capability = {
  name: 'fraud',
  events: FRAUD_EVENTS,
  provides: [
    provide(FRAUD_SHARED, (ctx: ServiceContext) => {
      const redis = ctx.redis();
      return {
        value: {
          state: redis === null ? new MemoryFraudState() : new RedisFraudState(redis),
          waiters: new DecisionWaiters(),
        },
      };
    }),
    provide(DEVICE_RISK, (ctx: ServiceContext) => ({ value: ctx.use(FRAUD_SHARED).state })),
  ],
  worker: fraudWorker,
  routes: (ctx) => {
    const shared = ctx.use(FRAUD_SHARED);
    return async (app, options) => {
      const records = await ctx.records();
      await fraudRoutes({
        store: new PaymentStore(records, new AuditLog(records)),
        state: shared.state,
        waiters: shared.waiters,
        registry: ctx.registry,
        producer: ctx.producer,
        decisionWaitMs: ctx.config.fraud.decisionWaitMs,
        reviewLeaseMs: ctx.config.fraud.reviewLeaseMs,
        reviewSlaMs: ctx.config.fraud.reviewSlaMs,
      })(app, options);
      // Read on first use: an API that fails to listen has nothing of it to close.
      const catalog = new ModelCatalog(ctx);
      app.addHook('onClose', () => catalog.close());
      await modelRoutes({ catalog, records, registry: ctx.registry, producer: ctx.producer })(app, options);
    };
  },
};
