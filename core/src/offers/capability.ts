import { ConsumerRunner, type EnvelopeHandler, inKeyOrder } from '../bus/index.js';
import { CampaignPublisher, CampaignRepository, FENCE_CATALOGUE } from '../campaigns/index.js';
import { DeviceRepository } from '../devices/index.js';
import { TOPICS } from '../envelope/index.js';
import { DEVICE_RISK } from '../fraud/index.js';
import type { Component } from '../lifecycle/index.js';
import { ModelFeed } from '../model-feed/index.js';
import type { Capability, ServiceContext } from '../runtime/index.js';
import { BRAND_MOOD } from '../sentiment/index.js';
import { offerCodeSecret } from './coupon-code.js';
import { MemoryEligibilityStore } from './eligibility.js';
import { RedisEligibilityStore } from './eligibility.redis.js';
import { OFFER_EVENTS } from './events.js';
import { CachedDevices, OfferFeedback } from './feedback.js';
import { OfferLedger } from './ledger.js';
import { OfferEngine, ScorerSlot } from './offer-engine.js';
import { MemoryProfileStore } from './profile.js';
import { RedisProfileStore } from './profile.redis.js';
import { couponRoutes } from './routes.js';
import { neutralSignals, type Signals } from './signals.js';

/**
 * `hexcast worker offers`: hx.geo-events → coupons (hx.offers + hx.deliveries.<region>), with the
 * ledger and profiles fed back from hx.receipts and hx.clicks, and the scorer from hx.models.
 */
function offersWorker(ctx: ServiceContext): Component[] {
  const redis = ctx.redis();
  const slot = new ScorerSlot();
  const profiles = redis === null ? new MemoryProfileStore() : new RedisProfileStore(redis);
  const eligibility = redis === null ? new MemoryEligibilityStore() : new RedisEligibilityStore(redis);
  const catalogue = ctx.use(FENCE_CATALOGUE);
  const risk = ctx.provides(DEVICE_RISK) ? ctx.use(DEVICE_RISK) : null;
  const mood = ctx.provides(BRAND_MOOD) ? ctx.use(BRAND_MOOD) : null;
  const signals: Signals = {
    deviceRisk: risk === null ? neutralSignals.deviceRisk : (deviceId) => risk.deviceRisk(deviceId),
    brandSentiment: mood === null ? neutralSignals.brandSentiment : (brand) => mood.brandSentiment(brand),
  };
  let engine: OfferEngine | undefined;
  let feedback: OfferFeedback | undefined;
  const wiring: Component = {
    name: 'offer-engine',
    start: async () => {
      const records = await ctx.records();
      const ledger = new OfferLedger(records, { receiptLingerMs: ctx.config.offers.receiptLingerMs });
      // The embedded store starts empty: budgets and caps come back from the ledger before any decision.
      if (eligibility instanceof MemoryEligibilityStore) {
        eligibility.restore(await ledger.eligibilityHistory(Date.now()));
      }
      engine = new OfferEngine({
        registry: ctx.registry,
        producer: ctx.producer,
        catalogue,
        eligibility,
        profiles,
        devices: new CachedDevices(new DeviceRepository(records), ctx.config.offers.deviceCacheMs),
        ledger,
        signals,
        scorer: slot,
        metrics: ctx.metrics,
        logger: ctx.logger.child({ component: 'offers' }),
        codeSecret: offerCodeSecret(ctx.config),
        maxDecisionLagMs: ctx.config.offers.maxDecisionLagMs,
      });
      feedback = new OfferFeedback(ledger, profiles);
    },
    close: async () => undefined,
  };
  const decide: EnvelopeHandler = (envelope) => engine!.handle(envelope);
  const learn: EnvelopeHandler = (envelope) => feedback!.handle(envelope);
  const decisions = new ConsumerRunner({
    ...ctx,
    groupId: 'hx-offers',
    topics: [TOPICS.geoEvents.name],
    stage: 'offers',
    concurrency: ctx.config.offers.concurrency,
    handler: decide,
    batchHandler: inKeyOrder(decide),
    partitionsConcurrently: TOPICS.geoEvents.partitions,
  });
  const feedbackRunner = new ConsumerRunner({
    ...ctx,
    groupId: 'hx-offers-feedback',
    topics: [TOPICS.receipts.name, TOPICS.clicks.name],
    stage: 'offers-feedback',
    handler: learn,
    batchHandler: inKeyOrder(learn),
  });
  return [wiring, new ModelFeed({ ...ctx, slots: [slot] }), feedbackRunner, decisions];
}

export const offers: Capability = {
  name: 'offers',
  events: OFFER_EVENTS,
  worker: offersWorker,
  routes: (ctx) => async (app, options) => {
    const records = await ctx.records();
    await couponRoutes({
      ledger: new OfferLedger(records),
      campaigns: new CampaignRepository(records),
      publisher: new CampaignPublisher(ctx.registry, ctx.producer),
    })(app, options);
  },
};
