import { mineWords } from '@hexcast/models';
import { eld } from 'eld/small';
import type { BusProducer } from '../bus/index.js';
import { type EventRegistry, TOPICS } from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { BrandMatcher } from './brands.js';
import { SocialPostReceived } from './events.js';
import type { RawPost, SocialPost } from './post.js';

export interface IngestOutcome {
  accepted: number;
  /** Posts not published, each with its coded reason. */
  rejected: Array<{ postId: string; code: string; message: string }>;
}

/**
 * Where every connector's posts enter the pipeline: the brands matched (the channel's own ∪ the
 * text's), the language detected when the channel gives none, the standard post validated and
 * published on `hx.social-posts` keyed by its brand. A post about no watched brand, or one that
 * does not validate, is refused with a code and counted; nothing else is dropped.
 */
export class PostIngest {
  readonly #m;

  constructor(
    readonly o: {
      matcher: BrandMatcher;
      registry: EventRegistry;
      producer: Pick<BusProducer, 'send'>;
      metrics: Metrics;
      logger: Logger;
    },
  ) {
    this.#m = {
      accepted: o.metrics.counter<'channel'>({
        name: 'social_posts_received_total',
        help: 'standard posts published on hx.social-posts, by channel',
        labelNames: ['channel'],
      }),
      rejected: o.metrics.counter<'channel' | 'code'>({
        name: 'social_posts_rejected_total',
        help: 'posts a connector received and the pipeline refused, by channel and error code',
        labelNames: ['channel', 'code'],
      }),
    };
  }

  /** The standard post for a connector's raw post; throws a coded error when it cannot be one. */
  standardise(raw: RawPost): SocialPost {
    const { brands: named, language, ...rest } = raw;
    if (typeof raw.text !== 'string' || raw.text.trim() === '')
      throw new HexcastError('HX_POST_INVALID', `post ${String(raw.postId)} has no text`);
    const matched = [
      ...(named ?? []).filter((b) => this.o.matcher.has(b)),
      ...this.o.matcher.match(raw.text, mineWords(raw.text)),
    ].filter((b, i, all) => all.indexOf(b) === i);
    if (matched.length === 0)
      throw new HexcastError('HX_POST_NO_BRAND', `post ${String(raw.postId)} names no watched brand`);
    const post: SocialPost = {
      ...rest,
      brand: matched[0]!,
      matchedBrands: matched.slice(0, 20),
      language: language ?? detectLanguage(raw.text),
    };
    return post;
  }

  async publish(channel: string, raws: readonly RawPost[]): Promise<IngestOutcome> {
    const outcome: IngestOutcome = { accepted: 0, rejected: [] };
    const envelopes = [];
    for (const raw of raws) {
      try {
        const post = this.standardise(raw);
        const e = post.engagement;
        envelopes.push(
          this.o.registry.create(SocialPostReceived, {
            id: `post:${post.channel}:${post.postId}:${e.likes}-${e.shares}-${e.replies}`,
            key: post.brand,
            source: { kind: 'connector', id: channel },
            data: post,
          }),
        );
      } catch (error) {
        const code = error instanceof HexcastError ? error.code : 'HX_POST_INVALID';
        const message = error instanceof HexcastError ? error.message : String(error);
        const coded = code.startsWith('HX_ENVELOPE') ? 'HX_POST_INVALID' : code;
        this.#m.rejected.inc({ channel, code: coded });
        outcome.rejected.push({ postId: String(raw?.postId ?? ''), code: coded, message });
      }
    }
    if (envelopes.length > 0) {
      await Promise.all(envelopes.map((e) => this.o.producer.send(TOPICS.socialPosts, e)));
      this.#m.accepted.inc({ channel }, envelopes.length);
      outcome.accepted = envelopes.length;
    }
    return outcome;
  }
}

/** ISO 639-1 code of the text's language, or `und` when it is too short to tell. */
export function detectLanguage(text: string): string {
  if (text.length < 12) return 'und';
  const language = eld.detect(text).language;
  return language === '' ? 'und' : language;
}
