import type { Component } from '../../lifecycle/index.js';
import type { Logger, Metrics } from '../../observability/index.js';
import type { Brand } from '../brands.js';
import type { PostIngest } from '../ingest.js';
import type { RawPost } from '../post.js';

// X API v2 filtered stream: the brands' rules kept in sync through the rules endpoint, and one
// long-lived response of newline-delimited JSON read for as long as it lasts. X sends a blank
// line every 20 s; silence longer than that means a stalled connection. Reconnects back off the
// way X documents: linearly for network errors, exponentially for HTTP errors, slower for 429.

export interface XBackoff {
  /** Network errors and stalls: +step per attempt, up to max (X: 250 ms, 16 s). */
  networkStepMs: number;
  networkMaxMs: number;
  /** HTTP errors: start, doubling, up to max (X: 5 s, 320 s). */
  httpStartMs: number;
  httpMaxMs: number;
  /** 429: start, doubling (X: 1 minute), unless x-rate-limit-reset says when. */
  rateLimitStartMs: number;
}

export const X_BACKOFF: XBackoff = {
  networkStepMs: 250,
  networkMaxMs: 16_000,
  httpStartMs: 5_000,
  httpMaxMs: 320_000,
  rateLimitStartMs: 60_000,
};

export interface XStreamOptions {
  apiUrl: string;
  bearerToken: string;
  brands: readonly Brand[];
  ingest: Pick<PostIngest, 'publish'>;
  metrics: Metrics;
  logger: Logger;
  /** Reconnect after this long without a byte (X: 20 s keep-alives). */
  stallMs?: number;
  backoff?: XBackoff;
}

const RULE_TAG = 'hexcast:brand:';
const FIELDS = new URLSearchParams({
  'tweet.fields': 'created_at,lang,public_metrics,conversation_id,author_id,referenced_tweets',
  expansions: 'author_id',
  'user.fields': 'username,public_metrics',
}).toString();

/** The filtered-stream rule for a brand: its handles, mentions, hashtags and names, retweets left out. */
export function brandRule(brand: Brand): { value: string; tag: string } {
  const terms = [
    ...(brand.handles ?? []).flatMap((h) => [`@${h}`, `from:${h}`]),
    ...[brand.name, ...(brand.aliases ?? [])].map((a) => (a.includes(' ') ? `"${a}"` : a)),
  ];
  return { value: `(${[...new Set(terms)].join(' OR ')}) -is:retweet`, tag: `${RULE_TAG}${brand.id}` };
}

class StreamError extends Error {
  constructor(
    readonly kind: 'network' | 'http' | 'rate-limit',
    message: string,
    readonly retryAt?: number,
  ) {
    super(message);
  }
}

interface Tweet {
  data?: {
    id?: string;
    text?: string;
    created_at?: string;
    lang?: string;
    author_id?: string;
    conversation_id?: string;
    public_metrics?: {
      like_count?: number;
      retweet_count?: number;
      reply_count?: number;
      quote_count?: number;
    };
    referenced_tweets?: Array<{ type?: string; id?: string }>;
  };
  includes?: {
    users?: Array<{ id?: string; username?: string; public_metrics?: { followers_count?: number } }>;
  };
  matching_rules?: Array<{ id?: string; tag?: string }>;
}

/** The standard post of one stream line's tweet, or null when the line is not one. */
export function tweetPost(tweet: Tweet): RawPost | null {
  const d = tweet.data;
  if (d?.id === undefined || typeof d.text !== 'string' || d.author_id === undefined) return null;
  const user = tweet.includes?.users?.find((u) => u.id === d.author_id);
  const m = d.public_metrics ?? {};
  const createdAt = Date.parse(d.created_at ?? '');
  const replyTo = d.referenced_tweets?.find((r) => r.type === 'replied_to')?.id;
  const tags = (tweet.matching_rules ?? []).map((r) => r.tag ?? '').filter(Boolean);
  return {
    channel: 'x',
    postId: d.id,
    author: {
      id: d.author_id,
      ...(user?.username === undefined ? {} : { handle: user.username }),
      ...(user?.public_metrics?.followers_count === undefined
        ? {}
        : { followers: user.public_metrics.followers_count }),
    },
    text: d.text,
    createdAt: Number.isFinite(createdAt) ? createdAt : Date.now(),
    engagement: {
      likes: m.like_count ?? 0,
      shares: (m.retweet_count ?? 0) + (m.quote_count ?? 0),
      replies: m.reply_count ?? 0,
    },
    url: `https://x.com/${user?.username ?? 'i'}/status/${d.id}`,
    matchedRules: tags,
    brands: tags.filter((t) => t.startsWith(RULE_TAG)).map((t) => t.slice(RULE_TAG.length)),
    ...(d.lang === undefined ? {} : { language: d.lang }),
    ...(d.conversation_id === undefined ? {} : { conversationId: d.conversation_id }),
    ...(replyTo === undefined ? {} : { replyTo }),
  };
}

export class XStreamConnector implements Component {
  readonly name = 'x-stream';
  readonly #o: XStreamOptions;
  readonly #backoff: XBackoff;
  readonly #m;
  #abort = new AbortController();
  #closed = false;
  #loop: Promise<void> | undefined;
  /** Resolves the current backoff wait early on close. */
  #wake: () => void = () => undefined;

  constructor(options: XStreamOptions) {
    this.#o = options;
    this.#backoff = options.backoff ?? X_BACKOFF;
    this.#m = {
      lines: options.metrics.counter<'kind'>({
        name: 'x_stream_lines_total',
        help: 'lines read from the X filtered stream, by kind (tweet, keep-alive, malformed, other)',
        labelNames: ['kind'],
      }),
      reconnects: options.metrics.counter<'cause'>({
        name: 'x_stream_reconnects_total',
        help: 'X stream reconnects, by cause (network, http, rate-limit, stall)',
        labelNames: ['cause'],
      }),
    };
  }

  async start(): Promise<void> {
    this.#loop = this.#run();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    this.#wake();
    await this.#loop;
  }

  #headers(): Record<string, string> {
    return { authorization: `Bearer ${this.#o.bearerToken}`, 'user-agent': 'hexcast' };
  }

  /** Makes the stream's rules the brands' rules: adds what is missing, deletes our stale ones. */
  async syncRules(): Promise<{ added: number; deleted: number }> {
    const url = `${this.#o.apiUrl}/2/tweets/search/stream/rules`;
    const current = await fetch(url, { headers: this.#headers(), signal: this.#abort.signal });
    if (!current.ok) throw httpError(current);
    const existing =
      ((await current.json()) as { data?: Array<{ id: string; value: string; tag?: string }> }).data ?? [];
    const wanted = this.#o.brands.map(brandRule);
    const stale = existing.filter(
      (r) => r.tag?.startsWith(RULE_TAG) && !wanted.some((w) => w.value === r.value && w.tag === r.tag),
    );
    const missing = wanted.filter((w) => !existing.some((r) => r.value === w.value && r.tag === w.tag));
    const post = async (body: unknown) => {
      const r = await fetch(url, {
        method: 'POST',
        headers: { ...this.#headers(), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: this.#abort.signal,
      });
      if (!r.ok) throw httpError(r);
    };
    if (stale.length > 0) await post({ delete: { ids: stale.map((r) => r.id) } });
    if (missing.length > 0) await post({ add: missing });
    return { added: missing.length, deleted: stale.length };
  }

  async #run(): Promise<void> {
    let synced = false;
    let attempt = { network: 0, http: 0, 'rate-limit': 0 };
    while (!this.#closed) {
      try {
        if (!synced) {
          await this.syncRules();
          synced = true;
        }
        await this.#readStream(() => {
          attempt = { network: 0, http: 0, 'rate-limit': 0 };
        });
        if (this.#closed) return;
        throw new StreamError('network', 'the stream ended');
      } catch (error) {
        if (this.#closed) return;
        const e =
          error instanceof StreamError
            ? error
            : new StreamError('network', (error as Error).message ?? String(error));
        attempt[e.kind]++;
        const wait = this.#delay(e, attempt[e.kind]);
        this.#m.reconnects.inc({ cause: e.message === 'stalled' ? 'stall' : e.kind });
        this.#o.logger.warn(
          { code: 'HX_X_STREAM_FAILED', kind: e.kind, waitMs: wait, err: e.message },
          'X stream disconnected; reconnecting',
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  #delay(e: StreamError, attempt: number): number {
    if (e.kind === 'rate-limit' && e.retryAt !== undefined)
      return Math.min(
        Math.max(e.retryAt - Date.now(), this.#backoff.networkStepMs),
        this.backoffMs('rate-limit', attempt),
      );
    return this.backoffMs(e.kind, attempt);
  }

  /** The wait before reconnect `attempt` (1, 2, …) after an error of this kind. */
  backoffMs(kind: 'network' | 'http' | 'rate-limit', attempt: number): number {
    const b = this.#backoff;
    if (kind === 'network') return Math.min(b.networkStepMs * attempt, b.networkMaxMs);
    if (kind === 'http') return Math.min(b.httpStartMs * 2 ** (attempt - 1), b.httpMaxMs);
    return b.rateLimitStartMs * 2 ** (attempt - 1);
  }

  async #readStream(onConnected: () => void): Promise<void> {
    const stall = this.#o.stallMs ?? 20_000;
    const attemptAbort = new AbortController();
    const onClose = () => attemptAbort.abort();
    this.#abort.signal.addEventListener('abort', onClose, { once: true });
    let stalled = false;
    let timer = setTimeout(() => {
      stalled = true;
      attemptAbort.abort();
    }, stall);
    const alive = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        attemptAbort.abort();
      }, stall);
    };
    try {
      const response = await fetch(`${this.#o.apiUrl}/2/tweets/search/stream?${FIELDS}`, {
        headers: this.#headers(),
        signal: attemptAbort.signal,
      });
      if (!response.ok || response.body === null) throw httpError(response);
      onConnected();
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of response.body) {
        alive();
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        // The lines of one chunk go out as one batch (one await, not one per tweet).
        const lines: string[] = [];
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          lines.push(buffered.slice(0, newline).trim());
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
        }
        const posts = lines.flatMap((line) => this.#line(line));
        if (posts.length > 0) await this.#o.ingest.publish('x', posts);
      }
    } catch (error) {
      if (stalled) throw new StreamError('network', 'stalled');
      throw error;
    } finally {
      clearTimeout(timer);
      this.#abort.signal.removeEventListener('abort', onClose);
    }
  }

  /** The post on one stream line, if it carries one; keep-alives, malformed lines and operational messages are counted. */
  #line(line: string): RawPost[] {
    if (line === '') {
      this.#m.lines.inc({ kind: 'keep-alive' });
      return [];
    }
    let tweet: Tweet;
    try {
      tweet = JSON.parse(line) as Tweet;
    } catch {
      this.#m.lines.inc({ kind: 'malformed' });
      this.#o.logger.warn({ code: 'HX_POST_INVALID', line: line.slice(0, 200) }, 'X stream line is not JSON');
      return [];
    }
    const post = tweetPost(tweet);
    if (post === null) {
      // Operational messages (errors about a rule, a disconnect notice) carry no tweet.
      this.#m.lines.inc({ kind: 'other' });
      if ((tweet as { errors?: unknown }).errors !== undefined)
        this.#o.logger.warn({ errors: (tweet as { errors?: unknown }).errors }, 'X stream message');
      return [];
    }
    this.#m.lines.inc({ kind: 'tweet' });
    return [post];
  }
}

function httpError(response: Response): StreamError {
  if (response.status === 429) {
    const reset = Number(response.headers.get('x-rate-limit-reset'));
    return new StreamError(
      'rate-limit',
      'HTTP 429',
      Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined,
    );
  }
  return new StreamError('http', `HTTP ${response.status}`);
}
