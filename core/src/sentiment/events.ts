import { Type } from '@sinclair/typebox';
import { defineEvent, type EventType } from '../envelope/index.js';
import { MODEL_EVENTS } from '../model-feed/index.js';
import { ChannelName, SocialPost } from './post.js';

/** A standard post from a connector (`hx.social-posts`, key = brand; envelope id = `post:<channel>:<postId>:<engagement>`). */
export const SocialPostReceived = defineEvent('social.post', SocialPost);

const Label = Type.Union([Type.Literal('negative'), Type.Literal('neutral'), Type.Literal('positive')]);

/** A stored post's score, once per post (`hx.sentiment`, key = brand): what the live summary reads. */
export const PostScored = defineEvent(
  'sentiment.scored',
  Type.Object(
    {
      brand: Type.String(),
      channel: ChannelName,
      postId: Type.String(),
      compound: Type.Number({ minimum: -1, maximum: 1 }),
      label: Label,
      reason: Type.Optional(Type.String()),
      hashtags: Type.Array(Type.String()),
      terms: Type.Array(Type.String()),
      modelVersion: Type.String(),
      createdAt: Type.Integer({ minimum: 0 }),
      scoredAt: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
);

/** A care alert (`hx.alerts`, key = alert id): an influential negative post, or a spike. */
export const CareAlertRaised = defineEvent(
  'care.alert',
  Type.Object(
    {
      alertId: Type.String(),
      kind: Type.Union([Type.Literal('negative-post'), Type.Literal('spike')]),
      brand: Type.String(),
      channel: Type.Optional(Type.String()),
      priority: Type.Number(),
      /** negative-post: the post; spike: the minute's figures. */
      post: Type.Optional(Type.Object({ channel: Type.String(), postId: Type.String() })),
      reason: Type.Optional(Type.String()),
      negativeShare: Type.Optional(Type.Number()),
      baseline: Type.Optional(Type.Number()),
      raisedAt: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
);

export const SENTIMENT_EVENTS: readonly EventType[] = [
  SocialPostReceived,
  PostScored,
  CareAlertRaised,
  ...MODEL_EVENTS,
];
