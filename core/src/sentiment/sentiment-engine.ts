import { mineText } from '@hexcast/models';
import type { BusProducer } from '../bus/index.js';
import { type Envelope, type EventRegistry, TOPICS } from '../envelope/index.js';
import type { ModelSlot } from '../model-feed/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import { TurnBatcher } from '../records/index.js';
import type { CareAlert, CareAlerts } from './alerts.js';
import { CareAlertRaised, PostScored } from './events.js';
import { influence, type SocialPost } from './post.js';
import type { PostScore, PostStore } from './post-store.js';
import type { PostScorer } from './scorer.js';

export interface SentimentEngineOptions {
  registry: EventRegistry;
  producer: Pick<BusProducer, 'send'>;
  store: PostStore;
  alerts: CareAlerts;
  scorer: ModelSlot<PostScorer>;
  metrics: Metrics;
  logger: Logger;
  /** A negative post at or above this influence raises a care alert. */
  alertMinInfluence: number;
  /** Called after each alert is published (the care webhook's sender looks at once). */
  onAlert?: () => void;
  clock?: () => number;
}

/** Terms a scored post carries to the summary (the first few content words). */
const TERMS_PER_POST = 8;

/**
 * `hx.social-posts` → mined, scored, stored in the message DB → its score on `hx.sentiment` and,
 * when it is negative and influential enough, a care alert on `hx.alerts`. A post seen again (a
 * second rule, a replay, a webhook retry) updates its engagement and raises nothing; one stored by
 * an attempt that died before announcing it is announced now.
 */
export class SentimentEngine {
  readonly #o: SentimentEngineOptions;
  readonly #clock: () => number;
  readonly #m;
  /** The posts of one event-loop turn are stored, and marked announced, in one statement each. */
  readonly #upserts: TurnBatcher<{ post: SocialPost; score: PostScore; now: number }, PostScore | null>;
  readonly #announce: TurnBatcher<SocialPost, void>;

  constructor(options: SentimentEngineOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#upserts = new TurnBatcher((items) => options.store.upsert(items));
    this.#announce = new TurnBatcher(async (posts) => {
      await options.store.announced(posts);
      return posts.map(() => undefined);
    });
    this.#m = {
      scored: options.metrics.counter<'label' | 'model'>({
        name: 'sentiment_posts_scored_total',
        help: 'posts stored and scored for the first time, by class and kind of scorer (model, rules)',
        labelNames: ['label', 'model'],
      }),
      updates: options.metrics.counter({
        name: 'sentiment_posts_updated_total',
        help: 'posts seen again (engagement updated, nothing raised)',
      }),
      alerts: options.metrics.counter<'kind'>({
        name: 'care_alerts_raised_total',
        help: 'care alerts raised, by kind',
        labelNames: ['kind'],
      }),
      latency: options.metrics.histogram({
        name: 'sentiment_post_seconds',
        help: 'post received by a connector → stored, scored and its alert raised',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      }),
    };
  }

  async handle(envelope: Envelope): Promise<void> {
    const post = envelope.data as SocialPost;
    const mined = mineText(post.text);
    const scorer = this.#o.scorer.current;
    const score = scorer.score(mined);
    const now = this.#clock();
    // Stored but not yet announced: the stored score is the one announced (a replay rescoring
    // with a newer model must not contradict the message DB).
    const s = await this.#upserts.add({ post, score, now });
    if (s === null) {
      this.#m.updates.inc();
      return;
    }
    await this.#o.producer.send(
      TOPICS.sentiment,
      this.#o.registry.create(PostScored, {
        id: `scored:${post.channel}:${post.postId}`,
        key: post.brand,
        source: { kind: 'worker', id: 'sentiment' },
        data: {
          brand: post.brand,
          channel: post.channel,
          postId: post.postId,
          compound: s.compound,
          label: s.label,
          ...(s.reason === undefined ? {} : { reason: s.reason }),
          hashtags: mined.hashtags,
          terms: mined.terms.slice(0, TERMS_PER_POST),
          modelVersion: s.modelVersion,
          createdAt: post.createdAt,
          scoredAt: now,
        },
      }),
    );
    if (s.label === 'negative' && influence(post) >= this.#o.alertMinInfluence) {
      const alert = await this.#o.alerts.raiseForPost(post, s);
      if (alert !== null) await this.publishAlert(alert);
    }
    await this.#announce.add(post);
    this.#m.scored.inc({ label: s.label, model: s.modelVersion === 'vader-rules-v1' ? 'rules' : 'model' });
    this.#m.latency.observe((this.#clock() - envelope.ts) / 1000);
  }

  async publishAlert(alert: CareAlert): Promise<void> {
    const detail = alert.detail as {
      post?: { channel: string; postId: string };
      negativeShare?: number;
      baseline?: number;
    };
    await this.#o.producer.send(
      TOPICS.alerts,
      this.#o.registry.create(CareAlertRaised, {
        id: `alert:${alert.id}`,
        key: alert.id,
        source: { kind: 'worker', id: 'sentiment' },
        data: {
          alertId: alert.id,
          kind: alert.kind,
          brand: alert.brand,
          ...(alert.channel === null ? {} : { channel: alert.channel }),
          priority: alert.priority,
          ...(detail.post === undefined
            ? {}
            : { post: { channel: detail.post.channel, postId: detail.post.postId } }),
          ...(alert.reason === null ? {} : { reason: alert.reason }),
          ...(detail.negativeShare === undefined ? {} : { negativeShare: detail.negativeShare }),
          ...(detail.baseline === undefined ? {} : { baseline: detail.baseline }),
          raisedAt: alert.createdAt,
        },
      }),
    );
    this.#m.alerts.inc({ kind: alert.kind });
    this.#o.onAlert?.();
  }
}
