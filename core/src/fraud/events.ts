import { Type } from '@sinclair/typebox';
import { defineEvent, type EventType } from '../envelope/index.js';
import { MODEL_EVENTS } from '../model-feed/index.js';
import { Payment } from './payment.js';

/** A payment to score (`hx.payments`, key = payment id): from `POST /v1/payments` or a merchant's own producer. */
export const PaymentSubmitted = defineEvent('payment.submitted', Payment);

const Action = Type.Union([Type.Literal('approve'), Type.Literal('review'), Type.Literal('decline')]);

/** The pipeline's decision (`hx.fraud-decisions`, key = payment id; envelope id = `decision:<merchant>:<payment>`). */
export const FraudDecided = defineEvent(
  'fraud.decided',
  Type.Object(
    {
      paymentId: Type.String({ minLength: 1, maxLength: 64 }),
      merchantId: Type.String({ minLength: 1, maxLength: 64 }),
      deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      action: Action,
      score: Type.Number({ minimum: 0, maximum: 1 }),
      /** The live model that scored it (`rules-v1` without one). */
      modelVersion: Type.String({ minLength: 1, maxLength: 128 }),
      /** The shadow candidate's score, when one ran beside it (decides nothing). */
      shadow: Type.Union([
        Type.Null(),
        Type.Object({ score: Type.Number(), version: Type.String(), action: Action }),
      ]),
      reasons: Type.Array(Type.String()),
      ruleHits: Type.Array(Type.Object({ rule: Type.String(), action: Action, reason: Type.String() })),
      /** The payment's time, and when the decision was made (epoch ms). */
      createdAt: Type.Integer({ minimum: 0 }),
      decidedAt: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
);

/** A reviewer's final word on a payment sent to review (`hx.fraud-decisions`; envelope id = `review:<merchant>:<payment>`). */
export const FraudReviewed = defineEvent(
  'fraud.reviewed',
  Type.Object(
    {
      paymentId: Type.String({ minLength: 1, maxLength: 64 }),
      merchantId: Type.String({ minLength: 1, maxLength: 64 }),
      decision: Type.Union([Type.Literal('approve'), Type.Literal('decline')]),
      label: Type.Union([Type.Literal('fraud'), Type.Literal('legit')]),
      reviewer: Type.String({ minLength: 1 }),
      reviewedAt: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
);

export const FRAUD_EVENTS: readonly EventType[] = [
  PaymentSubmitted,
  FraudDecided,
  FraudReviewed,
  ...MODEL_EVENTS,
];
