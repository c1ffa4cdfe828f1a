import { type Static, Type } from '@sinclair/typebox';

/** A channel name: a connector (`x`, `facebook`, `instagram`) or a generic webhook channel. */
export const ChannelName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' });
const Id = Type.String({ minLength: 1, maxLength: 128 });
const Count = Type.Integer({ minimum: 0 });

/**
 * The standard post every connector produces (`social.post` on `hx.social-posts`, key = brand).
 * A post is (channel, postId): the same pair again — a second rule, a replay, a webhook retry —
 * is the same post, and later engagement counts update it.
 */
export const SocialPost = Type.Object(
  {
    channel: ChannelName,
    postId: Id,
    /** The brand the post is filed under (the first matched). */
    brand: Type.String({ minLength: 1, maxLength: 64 }),
    matchedBrands: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 20 }),
    /** The connector's rules that matched (X rule tags, webhook channel). */
    matchedRules: Type.Array(Type.String({ maxLength: 512 }), { maxItems: 50 }),
    author: Type.Object(
      {
        id: Id,
        handle: Type.Optional(Type.String({ maxLength: 128 })),
        followers: Type.Optional(Count),
      },
      { additionalProperties: false },
    ),
    text: Type.String({ minLength: 1, maxLength: 10_000 }),
    /** BCP 47 primary language (`en`); detected when the channel does not say. */
    language: Type.Optional(Type.String({ minLength: 2, maxLength: 8 })),
    /** When it was posted (epoch ms). */
    createdAt: Type.Integer({ minimum: 0 }),
    engagement: Type.Object({ likes: Count, shares: Count, replies: Count }, { additionalProperties: false }),
    url: Type.Optional(Type.String({ maxLength: 2048 })),
    replyTo: Type.Optional(Id),
    conversationId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type SocialPost = Static<typeof SocialPost>;

/** What a connector hands in before brands are matched and the language is known. */
export type RawPost = Omit<SocialPost, 'brand' | 'matchedBrands' | 'language'> & {
  language?: string;
  /** Brands the channel already names (an X rule tagged with a brand id). */
  brands?: string[];
};

/** The post's identity across channels. */
export function postKey(post: Pick<SocialPost, 'channel' | 'postId'>): string {
  return `${post.channel}:${post.postId}`;
}

/** Influence of an author and a post: log10(1 + followers) + log10(1 + likes + shares + replies). */
export function influence(post: Pick<SocialPost, 'author' | 'engagement'>): number {
  const e = post.engagement;
  return Math.log10(1 + (post.author.followers ?? 0)) + Math.log10(1 + e.likes + e.shares + e.replies);
}
