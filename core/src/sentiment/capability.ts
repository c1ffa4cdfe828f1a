import { ConsumerRunner, Feed } from '../bus/index.js';
import { TOPICS } from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import type { Component } from '../lifecycle/index.js';
import { ModelFeed } from '../model-feed/index.js';
import type { Records } from '../records/index.js';
import { type Capability, port, provide, type ServiceContext } from '../runtime/index.js';
import { CARE_WEBHOOK_TARGET, WebhookOutbox, WebhookSender } from '../webhooks/index.js';
import { CareAlerts } from './alerts.js';
import { BrandMatcher, parseBrands } from './brands.js';
import { webhookConnectorRoutes } from './connectors/webhooks.js';
import { XStreamConnector } from './connectors/x-stream.js';
import { SENTIMENT_EVENTS } from './events.js';
import { PostIngest } from './ingest.js';
import { type PostStore, RecordsPostStore } from './post-store.js';
import { MysqlPostStore } from './post-store.mysql.js';
import { sentimentRoutes } from './routes.js';
import { sentimentSlot } from './scorer.js';
import { SentimentEngine } from './sentiment-engine.js';
import { type ScoredPost, SentimentSummary, type Spike, SUMMARY_HISTORY_MS } from './summary.js';

/** What the sentiment worker and routes of one process share: brands, the live summary and its listeners. */
interface SentimentShared {
  matcher: BrandMatcher;
  ingest: PostIngest;
  summary: SentimentSummary;
  listeners: Set<(brand: string, channel: string) => void>;
  /** Set by the worker: raises the spike's care alert (one per brand, channel and minute across processes). */
  spikeSink: ((spike: Spike) => void) | null;
}
const SENTIMENT_SHARED = port<SentimentShared>('sentiment.shared');

/** A brand's mood for the offer engine's `Signals.brandSentiment`: −1 in a spike, else the 15-minute mean compound, or null. */
export interface BrandMood {
  brandSentiment(brand: string): Promise<number | null>;
}
export const BRAND_MOOD = port<BrandMood>('sentiment.brand-mood');

/** The message DB: MySQL/MariaDB shards when `HX_POSTS_DB_URLS` lists them, else the records database. */
async function openPostStore(ctx: ServiceContext, records: Records): Promise<PostStore> {
  const urls = ctx.config.sentiment.postsDbUrls;
  return urls.length > 0 ? MysqlPostStore.open(urls) : new RecordsPostStore(records);
}

function shared(ctx: ServiceContext) {
  const config = ctx.config.sentiment;
  const value: SentimentShared = {
    matcher: new BrandMatcher(parseBrands(config.brands)),
    ingest: undefined as unknown as PostIngest,
    summary: undefined as unknown as SentimentSummary,
    listeners: new Set(),
    spikeSink: null,
  };
  value.ingest = new PostIngest({ ...ctx, matcher: value.matcher });
  value.summary = new SentimentSummary({
    spikeMinPosts: config.spikeMinPosts,
    spikeMargin: config.spikeMargin,
    onSpike: (spike) => value.spikeSink?.(spike),
    onChange: (brand, channel) => {
      for (const l of value.listeners) l(brand, channel);
    },
  });
  const feed = new Feed(ctx, {
    name: 'sentiment-summary',
    topic: TOPICS.sentiment.name,
    handler: async (envelope) => value.summary.add(envelope.data as ScoredPost),
    // The summary holds the last hour and a spike's baseline before it: start-up reads that, not the history.
    since: () => Date.now() - SUMMARY_HISTORY_MS,
  });
  return { value, components: [feed] };
}

/** The care system's webhook (`HX_CARE_WEBHOOK_URL`), or none. */
function careWebhookSender(ctx: ServiceContext, outbox: WebhookOutbox): WebhookSender | undefined {
  const { careWebhookUrl: url, careWebhookSecret: secret, careWebhookMaxAttempts } = ctx.config.sentiment;
  if (url === undefined) return undefined;
  if (secret === undefined)
    throw new HexcastError(
      'HX_CONFIG_INVALID',
      'invalid configuration at HX_CARE_WEBHOOK_SECRET: required with HX_CARE_WEBHOOK_URL (the care system checks the signature with it)',
      { details: { source: 'HX_CARE_WEBHOOK_SECRET' } },
    );
  return new WebhookSender({
    name: 'care_webhooks',
    outbox,
    targets: { only: CARE_WEBHOOK_TARGET },
    target: async () => ({ url, secret }),
    maxAttempts: careWebhookMaxAttempts,
    metrics: ctx.metrics,
    logger: ctx.logger.child({ component: 'care-webhooks' }),
  });
}

/** `hexcast worker sentiment`: hx.social-posts → scored, stored → hx.sentiment, hx.alerts; the X stream when configured. */
function sentimentWorker(ctx: ServiceContext): Component[] {
  const s = ctx.use(SENTIMENT_SHARED);
  const config = ctx.config.sentiment;
  const slot = sentimentSlot();
  let engine: SentimentEngine | undefined;
  let store: PostStore | undefined;
  let sender: WebhookSender | undefined;
  const logger = ctx.logger.child({ component: 'sentiment' });
  const wiring: Component = {
    name: 'sentiment-engine',
    start: async () => {
      const records = await ctx.records();
      store = await openPostStore(ctx, records);
      const outbox = new WebhookOutbox(records);
      sender = careWebhookSender(ctx, outbox);
      await sender?.start();
      // Alerts are queued for the care system only when something sends them.
      const alerts = new CareAlerts(records, Date.now, sender === undefined ? null : outbox);
      engine = new SentimentEngine({
        registry: ctx.registry,
        producer: ctx.producer,
        store,
        alerts,
        scorer: slot,
        metrics: ctx.metrics,
        logger,
        alertMinInfluence: config.alertMinInfluence,
        onAlert: () => sender?.nudge(),
      });
      s.spikeSink = (spike) => {
        alerts
          .raiseForSpike(spike)
          .then((alert) => (alert === null ? undefined : engine!.publishAlert(alert)))
          .catch((error: unknown) => logger.error({ err: error, spike }, 'spike alert failed'));
      };
    },
    close: async () => {
      s.spikeSink = null;
      await sender?.close();
      await store?.close();
    },
  };
  const posts = new ConsumerRunner({
    ...ctx,
    groupId: 'hx-sentiment',
    topics: [TOPICS.socialPosts.name],
    stage: 'sentiment',
    concurrency: config.concurrency,
    handler: (envelope) => engine!.handle(envelope),
    batchHandler: (records) => engine!.handleBatch(records),
    // Every partition's batch at once (a brand's posts stay on one partition, in order).
    partitionsConcurrently: TOPICS.socialPosts.partitions,
    // A fetch waits for a batch's worth (or its short wait): the statements of a cycle are
    // shared by more posts.
    minBytes: config.fetchMinBytes,
    maxWaitTimeMs: config.fetchMaxWaitMs,
  });
  const components: Component[] = [wiring, new ModelFeed({ ...ctx, slots: [slot] }), posts];
  if (config.xBearerToken !== undefined)
    components.push(
      new XStreamConnector({
        apiUrl: config.xApiUrl,
        bearerToken: config.xBearerToken,
        brands: s.matcher.brands,
        ingest: s.ingest,
        metrics: ctx.metrics,
        logger: ctx.logger.child({ component: 'x-stream' }),
      }),
    );
  return components;
}

export const sentiment: Capability = {
  name: 'sentiment',
  events: SENTIMENT_EVENTS,
  provides: [
    provide(SENTIMENT_SHARED, shared),
    provide(BRAND_MOOD, (ctx: ServiceContext) => {
      const { summary } = ctx.use(SENTIMENT_SHARED);
      return { value: { brandSentiment: async (brand: string) => summary.brandMood(brand) } };
    }),
  ],
  worker: sentimentWorker,
  routes: (ctx) => {
    const s = ctx.use(SENTIMENT_SHARED);
    const config = ctx.config.sentiment;
    return async (app, options) => {
      const records = await ctx.records();
      const posts = await openPostStore(ctx, records);
      app.addHook('onClose', () => posts.close());
      const secrets = new Map(
        config.webhookSecrets.flatMap((pair) => {
          const at = pair.indexOf('=');
          return at > 0 ? [[pair.slice(0, at), pair.slice(at + 1)] as const] : [];
        }),
      );
      await app.register(
        webhookConnectorRoutes({
          ingest: s.ingest,
          metrics: ctx.metrics,
          secrets,
          ...(config.graphAppSecret === undefined
            ? {}
            : {
                graph: {
                  appSecret: config.graphAppSecret,
                  ...(config.graphVerifyToken === undefined ? {} : { verifyToken: config.graphVerifyToken }),
                },
              }),
        }),
        options,
      );
      await sentimentRoutes({
        summary: s.summary,
        onChange: (listener) => {
          s.listeners.add(listener);
          return () => s.listeners.delete(listener);
        },
        posts,
        alerts: new CareAlerts(records),
        webhooks: new WebhookOutbox(records),
        alertLeaseMs: config.alertLeaseMs,
      })(app, options);
    };
  },
};
