import { mineText } from '@hexcast/models';
import type { BusProducer } from '../bus/index.js';
import { type Envelope, type EventRegistry, TOPICS } from '../envelope/index.js';
import type { ModelSlot } from '../model-feed/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import { TurnBatcher } from '../records/index.js';
import type { CareAlert, CareAlerts } from './alerts.js';
import { CareAlertRaised, PostScored } from './events.js';
import { influence, type SocialPost } from './post.js';
import type { PostStore } from './post-store.js';
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
/** Posts per statement at most (the upsert binds 15 parameters a post; PostgreSQL allows 65,535). */
const MAX_POSTS = 2_000;

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
  /**
   * Rounds of one event-loop turn — one from each partition's batch handled at once — are handled
   * together: one upsert, one alert read and write, one announce for all of them. Posts are keyed
   * by brand, so rounds of different partitions never hold the same post.
   */
  readonly #turn: TurnBatcher<Envelope[], void>;

  constructor(options: SentimentEngineOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#turn = new TurnBatcher(async (rounds) => {
      const posts = rounds.flat();
      for (let i = 0; i < posts.length; i += MAX_POSTS)
        await this.#handlePosts(posts.slice(i, i + MAX_POSTS));
      return rounds.map(() => undefined);
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
        buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 5],
      }),
    };
  }

  async handle(envelope: Envelope): Promise<void> {
    await this.#handlePosts([envelope]);
  }

  /**
   * A fetched batch: its posts are stored in one statement, their alerts raised in one
   * transaction, their scores produced together and marked announced in one statement — with the
   * other partitions' batches in hand. The same post twice in a batch (two rules, a retry) is
   * handled in a later round, as if it came later.
   */
  async handleBatch(records: ReadonlyArray<{ envelope: Envelope }>): Promise<void> {
    let round: Envelope[] = [];
    const inRound = new Set<string>();
    for (const { envelope } of records) {
      const post = envelope.data as SocialPost;
      const key = `${post.channel}\u0000${post.postId}`;
      if (inRound.has(key)) {
        await this.#turn.add(round);
        round = [];
        inRound.clear();
      }
      inRound.add(key);
      round.push(envelope);
    }
    if (round.length > 0) await this.#turn.add(round);
  }

  /** Distinct posts: mined, scored, stored → alerts raised → scores and alerts published → marked announced. */
  async #handlePosts(envelopes: readonly Envelope[]): Promise<void> {
    const scorer = this.#o.scorer.current;
    const now = this.#clock();
    const items = envelopes.map((envelope) => {
      const post = envelope.data as SocialPost;
      const mined = mineText(post.text);
      return { post, mined, score: scorer.score(mined), now, ts: envelope.ts };
    });
    // Stored but not yet announced: the stored score is the one announced (a replay rescoring
    // with a newer model must not contradict the message DB).
    const stored = await this.#o.store.upsert(items);
    const fresh = items.flatMap((item, i) => {
      const s = stored[i];
      if (s === null || s === undefined) {
        this.#m.updates.inc();
        return [];
      }
      return [{ ...item, s }];
    });
    if (fresh.length === 0) return;
    // Alerts are raised (stored) before anything is published: a score on hx.sentiment means its
    // post's alert, if any, exists. Scores and alerts then go out together.
    const alerting = fresh.filter(
      ({ post, s }) => s.label === 'negative' && influence(post) >= this.#o.alertMinInfluence,
    );
    const alerts = await this.#o.alerts.raiseForPosts(alerting.map(({ post, s }) => ({ post, score: s })));
    await Promise.all([
      ...fresh.map(({ post, mined, s }) =>
        this.#o.producer.send(
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
        ),
      ),
      ...alerts.flatMap((alert) => (alert === null ? [] : [this.publishAlert(alert)])),
    ]);
    await this.#o.store.announced(fresh.map(({ post }) => post));
    const done = this.#clock();
    for (const { s, ts } of fresh) {
      this.#m.scored.inc({ label: s.label, model: s.modelVersion === 'vader-rules-v1' ? 'rules' : 'model' });
      this.#m.latency.observe((done - ts) / 1000);
    }
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
