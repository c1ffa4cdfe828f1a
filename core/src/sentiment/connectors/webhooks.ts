import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyRequest } from 'fastify';
import { ERROR_RESPONSES as errors, type RouteOptions } from '../../api/index.js';
import { HexcastError } from '../../errors/index.js';
import { checkHubSignature, checkWebhookSignature, type SignatureProblem } from '../../http/index.js';
import type { Metrics } from '../../observability/index.js';
import type { IngestOutcome, PostIngest } from '../ingest.js';
import type { RawPost } from '../post.js';

// The push connectors, as routes on the API: a generic signed webhook any channel or listening
// vendor can push posts to, and Facebook/Instagram Graph webhooks. Both verify a signature over the
// raw body before anything is parsed further, and publish through `PostIngest`.

export interface WebhookConnectorOptions {
  ingest: PostIngest;
  metrics: Metrics;
  /** Generic channels: name → shared secret. */
  secrets: ReadonlyMap<string, string>;
  graph?: { appSecret: string; verifyToken?: string };
  clock?: () => number;
}

const Count = Type.Integer({ minimum: 0 });
/** A post as a channel pushes it to the generic webhook. */
export const PushedPost = Type.Object(
  {
    postId: Type.String({ minLength: 1, maxLength: 128 }),
    author: Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 128 }),
        handle: Type.Optional(Type.String({ maxLength: 128 })),
        followers: Type.Optional(Count),
      },
      { additionalProperties: false },
    ),
    text: Type.String({ minLength: 1, maxLength: 10_000 }),
    /** Epoch ms or an ISO 8601 time. */
    createdAt: Type.Union([Type.Integer({ minimum: 0 }), Type.String({ format: 'date-time' })]),
    engagement: Type.Optional(
      Type.Object(
        { likes: Type.Optional(Count), shares: Type.Optional(Count), replies: Type.Optional(Count) },
        { additionalProperties: false },
      ),
    ),
    language: Type.Optional(Type.String({ minLength: 2, maxLength: 8 })),
    url: Type.Optional(Type.String({ maxLength: 2048 })),
    replyTo: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    conversationId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** Brand ids the sender already knows the post is about. */
    brands: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 20 })),
  },
  { additionalProperties: false },
);

const Outcome = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Array(Type.Object({ postId: Type.String(), code: Type.String(), message: Type.String() })),
});

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export function webhookConnectorRoutes(o: WebhookConnectorOptions): FastifyPluginAsyncTypebox<RouteOptions> {
  const clock = o.clock ?? Date.now;
  const failures = o.metrics.counter<'channel' | 'problem'>({
    name: 'social_signature_failures_total',
    help: 'pushed posts refused for their signature (missing, malformed, stale, mismatch), by channel',
    labelNames: ['channel', 'problem'],
  });
  const refuse = (channel: string, problem: SignatureProblem): never => {
    failures.inc({ channel, problem });
    throw new HexcastError('HX_SOCIAL_SIGNATURE_INVALID', `signature ${problem}`, { details: { problem } });
  };
  const raw = (request: FastifyRequest) => request.rawBody ?? Buffer.alloc(0);

  return async (app, { limited }) => {
    // Signatures cover the bytes sent: keep them, parse after.
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
      (request, body, done) => {
        request.rawBody = body as Buffer;
        try {
          done(null, JSON.parse((body as Buffer).toString('utf8')));
        } catch {
          done(new HexcastError('HX_POST_INVALID', 'the body is not JSON'), undefined);
        }
      },
    );

    app.post('/v1/social/webhooks/:channel', {
      config: { ...limited },
      bodyLimit: WEBHOOK_BODY_LIMIT,
      schema: {
        tags: ['sentiment'],
        summary:
          'Push posts from any channel: body {"posts": [...]}, signed with Hexcast-Signature (t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">) within 5 minutes',
        params: Type.Object({ channel: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }) }),
        headers: Type.Object({ 'hexcast-signature': Type.Optional(Type.String()) }),
        response: { 200: Outcome, ...errors },
      },
      handler: async (request) => {
        const { channel } = request.params;
        const secret = o.secrets.get(channel);
        if (secret === undefined)
          throw new HexcastError(
            'HX_CHANNEL_UNKNOWN',
            `no webhook channel ${channel} (HX_SOCIAL_WEBHOOK_SECRETS)`,
          );
        const problem = checkWebhookSignature(
          secret,
          request.headers['hexcast-signature'],
          raw(request),
          Math.floor(clock() / 1000),
        );
        if (problem !== null) refuse(channel, problem);
        const body = request.body as { posts?: unknown };
        if (!Array.isArray(body?.posts))
          throw new HexcastError('HX_POST_INVALID', 'the body has no "posts" array');
        const outcome: IngestOutcome = { accepted: 0, rejected: [] };
        const good: RawPost[] = [];
        for (const item of body.posts) {
          if (!Value.Check(PushedPost, item)) {
            const first = [...Value.Errors(PushedPost, item)][0];
            outcome.rejected.push({
              postId: String((item as { postId?: unknown })?.postId ?? ''),
              code: 'HX_POST_INVALID',
              message: `${first?.path ?? ''} ${first?.message ?? 'invalid'}`,
            });
            continue;
          }
          const e = item.engagement ?? {};
          good.push({
            channel,
            postId: item.postId,
            author: item.author,
            text: item.text,
            createdAt: typeof item.createdAt === 'number' ? item.createdAt : Date.parse(item.createdAt),
            engagement: { likes: e.likes ?? 0, shares: e.shares ?? 0, replies: e.replies ?? 0 },
            matchedRules: [`webhook:${channel}`],
            ...(item.language === undefined ? {} : { language: item.language }),
            ...(item.url === undefined ? {} : { url: item.url }),
            ...(item.replyTo === undefined ? {} : { replyTo: item.replyTo }),
            ...(item.conversationId === undefined ? {} : { conversationId: item.conversationId }),
            ...(item.brands === undefined ? {} : { brands: item.brands }),
          });
        }
        const published = await o.ingest.publish(channel, good);
        return { accepted: published.accepted, rejected: [...outcome.rejected, ...published.rejected] };
      },
    });

    const graph = o.graph;
    app.get('/v1/social/graph', {
      config: { ...limited },
      schema: {
        tags: ['sentiment'],
        summary:
          "Graph webhooks' subscription handshake: answers hub.challenge when hub.verify_token matches",
        querystring: Type.Object({
          'hub.mode': Type.Optional(Type.String()),
          'hub.verify_token': Type.Optional(Type.String()),
          'hub.challenge': Type.Optional(Type.String({ maxLength: 256 })),
        }),
        response: { 200: Type.String(), ...errors },
      },
      handler: async (request, reply) => {
        const q = request.query;
        if (graph?.verifyToken === undefined)
          throw new HexcastError(
            'HX_CHANNEL_UNKNOWN',
            'Graph webhooks are not configured (HX_GRAPH_VERIFY_TOKEN)',
          );
        if (q['hub.mode'] !== 'subscribe' || q['hub.verify_token'] !== graph.verifyToken)
          throw new HexcastError('HX_GRAPH_VERIFY_FAILED', 'hub.verify_token does not match');
        return reply.type('text/plain').send(q['hub.challenge'] ?? '');
      },
    });

    app.post('/v1/social/graph', {
      config: { ...limited },
      bodyLimit: WEBHOOK_BODY_LIMIT,
      schema: {
        tags: ['sentiment'],
        summary:
          'Facebook page feed and Instagram comments from Graph webhooks, signed with X-Hub-Signature-256 (sha256=<hex HMAC of the raw body with the app secret>)',
        headers: Type.Object({ 'x-hub-signature-256': Type.Optional(Type.String()) }),
        response: { 200: Outcome, ...errors },
      },
      handler: async (request) => {
        if (graph === undefined)
          throw new HexcastError(
            'HX_CHANNEL_UNKNOWN',
            'Graph webhooks are not configured (HX_GRAPH_APP_SECRET)',
          );
        const body = request.body as GraphDelivery;
        const channel = body?.object === 'instagram' ? 'instagram' : 'facebook';
        const problem = checkHubSignature(
          graph.appSecret,
          request.headers['x-hub-signature-256'],
          raw(request),
        );
        if (problem !== null) refuse(channel, problem);
        const { posts, rejected } = graphPosts(body);
        const published = await o.ingest.publish(channel, posts);
        return { accepted: published.accepted, rejected: [...rejected, ...published.rejected] };
      },
    });
  };
}

interface GraphDelivery {
  object?: string;
  entry?: Array<{
    id?: string;
    time?: number;
    changes?: Array<{ field?: string; value?: Record<string, unknown> }>;
  }>;
}

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

/** The posts of a Graph webhook delivery: page feed posts and comments, Instagram comments. */
export function graphPosts(body: GraphDelivery): { posts: RawPost[]; rejected: IngestOutcome['rejected'] } {
  const posts: RawPost[] = [];
  const rejected: IngestOutcome['rejected'] = [];
  for (const entry of body?.entry ?? []) {
    for (const change of entry.changes ?? []) {
      const v = change.value ?? {};
      const time = Number(v.created_time ?? v.timestamp ?? entry.time);
      const createdAt = Number.isFinite(time) ? (time < 1e12 ? time * 1000 : time) : Date.now();
      if (body.object === 'page' && change.field === 'feed') {
        if (v.verb === 'remove') continue;
        const from = (v.from ?? {}) as { id?: unknown; name?: unknown };
        const postId = str(v.comment_id) ?? str(v.post_id);
        const text = str(v.message);
        if (postId === undefined || text === undefined || str(from.id) === undefined) {
          rejected.push({
            postId: postId ?? '',
            code: 'HX_POST_INVALID',
            message: 'a feed change without id, message or author',
          });
          continue;
        }
        posts.push({
          channel: 'facebook',
          postId,
          author: { id: str(from.id)!, ...(str(from.name) === undefined ? {} : { handle: str(from.name)! }) },
          text,
          createdAt,
          engagement: { likes: 0, shares: 0, replies: 0 },
          matchedRules: [`graph:page:${entry.id ?? ''}`],
          ...(str(v.parent_id) === undefined || v.item !== 'comment' ? {} : { replyTo: str(v.parent_id)! }),
          ...(str(v.post_id) === undefined ? {} : { conversationId: str(v.post_id)! }),
        });
      } else if (body.object === 'instagram' && change.field === 'comments') {
        const from = (v.from ?? {}) as { id?: unknown; username?: unknown };
        const postId = str(v.id);
        const text = str(v.text);
        const media = (v.media ?? {}) as { id?: unknown };
        if (postId === undefined || text === undefined || str(from.id) === undefined) {
          rejected.push({
            postId: postId ?? '',
            code: 'HX_POST_INVALID',
            message: 'a comment without id, text or author',
          });
          continue;
        }
        posts.push({
          channel: 'instagram',
          postId,
          author: {
            id: str(from.id)!,
            ...(str(from.username) === undefined ? {} : { handle: str(from.username)! }),
          },
          text,
          createdAt,
          engagement: { likes: 0, shares: 0, replies: 0 },
          matchedRules: [`graph:instagram:${entry.id ?? ''}`],
          ...(str(media.id) === undefined ? {} : { conversationId: str(media.id)! }),
        });
      }
      // Other fields (mentions without text, reactions) carry no post to score.
    }
  }
  return { posts, rejected };
}
