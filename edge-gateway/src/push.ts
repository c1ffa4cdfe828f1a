import type { Agent } from 'node:https';
import { HexcastError } from '@hexcast/core';
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Redis } from 'ioredis';
import webpush from 'web-push';

/** What a device registered for push: a Web Push subscription (browser) and/or an FCM token. */
export const PushRegistrationSchema = Type.Object(
  {
    webpush: Type.Optional(
      Type.Object(
        {
          endpoint: Type.String({ pattern: '^https://[^\\s]+$', maxLength: 2048 }),
          keys: Type.Object(
            {
              p256dh: Type.String({ minLength: 80, maxLength: 128, pattern: '^[A-Za-z0-9_-]+=*$' }),
              auth: Type.String({ minLength: 16, maxLength: 64, pattern: '^[A-Za-z0-9_-]+=*$' }),
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
    ),
    fcmToken: Type.Optional(Type.String({ minLength: 10, maxLength: 4096 })),
  },
  { additionalProperties: false },
);
export type PushRegistration = Static<typeof PushRegistrationSchema>;
export const checkPushRegistration = TypeCompiler.Compile(PushRegistrationSchema);

/** Where each device's push registration is kept (per region, shared by its gateways with Redis). */
export interface PushRegistry {
  set(deviceId: string, registration: PushRegistration): Promise<void>;
  get(deviceId: string): Promise<PushRegistration | null>;
  /** Drops one channel of a registration (the push service said the subscription is gone). */
  forget(deviceId: string, channel: 'webpush' | 'fcm'): Promise<void>;
}

function without(registration: PushRegistration, channel: 'webpush' | 'fcm'): PushRegistration {
  const { webpush: w, fcmToken, ...rest } = registration;
  return {
    ...rest,
    ...(channel !== 'webpush' && w !== undefined ? { webpush: w } : {}),
    ...(channel !== 'fcm' && fcmToken !== undefined ? { fcmToken } : {}),
  };
}

export class MemoryPushRegistry implements PushRegistry {
  readonly #map = new Map<string, PushRegistration>();

  constructor(readonly maxEntries = 1_000_000) {}

  async set(deviceId: string, registration: PushRegistration): Promise<void> {
    this.#map.delete(deviceId);
    this.#map.set(deviceId, registration);
    for (const oldest of this.#map.keys()) {
      if (this.#map.size <= this.maxEntries) break;
      this.#map.delete(oldest);
    }
  }

  async get(deviceId: string): Promise<PushRegistration | null> {
    return this.#map.get(deviceId) ?? null;
  }

  async forget(deviceId: string, channel: 'webpush' | 'fcm'): Promise<void> {
    const current = this.#map.get(deviceId);
    if (current !== undefined) this.#map.set(deviceId, without(current, channel));
  }
}

/** `hx:push:{deviceId}` as JSON with a TTL (a registration not renewed for `ttlMs` is forgotten). */
export class RedisPushRegistry implements PushRegistry {
  constructor(
    readonly redis: Redis,
    readonly prefix = 'hx:',
    readonly ttlMs = 30 * 24 * 3600_000,
  ) {}

  async set(deviceId: string, registration: PushRegistration): Promise<void> {
    await this.redis.set(`${this.prefix}push:{${deviceId}}`, JSON.stringify(registration), 'PX', this.ttlMs);
  }

  async get(deviceId: string): Promise<PushRegistration | null> {
    const json = await this.redis.get(`${this.prefix}push:{${deviceId}}`);
    return json === null ? null : (JSON.parse(json) as PushRegistration);
  }

  async forget(deviceId: string, channel: 'webpush' | 'fcm'): Promise<void> {
    const current = await this.get(deviceId);
    if (current !== null) await this.set(deviceId, without(current, channel));
  }
}

export interface PushMessage {
  itemId: string;
  title: string;
  body: string;
  /** The inbox message itself, so the app can show it without waiting for MQTT. */
  payload: string;
  expiresAt: number;
}

/** One push channel. `ttlSeconds` is what is left of the item's deadline, never more. */
export interface PushSender {
  readonly channel: 'webpush' | 'fcm';
  canSend(registration: PushRegistration): boolean;
  send(registration: PushRegistration, message: PushMessage, ttlSeconds: number): Promise<void>;
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/** Web Push (RFC 8030 / 8291 / 8292) through `web-push`: VAPID-signed, aes128gcm-encrypted. */
export class WebPushSender implements PushSender {
  readonly channel = 'webpush' as const;

  constructor(
    readonly vapid: VapidKeys,
    /** An https.Agent for the push services (proxies, private CAs); Node's default otherwise. */
    readonly agent?: Agent,
  ) {}

  canSend(registration: PushRegistration): boolean {
    return registration.webpush !== undefined;
  }

  async send(registration: PushRegistration, message: PushMessage, ttlSeconds: number): Promise<void> {
    const subscription = registration.webpush;
    if (subscription === undefined) throw new Error('no web push subscription');
    await webpush
      .sendNotification(
        subscription,
        JSON.stringify({ title: message.title, body: message.body, item: message.payload }),
        {
          TTL: ttlSeconds,
          urgency: 'high',
          vapidDetails: this.vapid,
          contentEncoding: 'aes128gcm',
          ...(this.agent ? { agent: this.agent } : {}),
        },
      )
      .catch((error: unknown) => {
        const status = (error as { statusCode?: number }).statusCode;
        // 404 / 410: the browser dropped the subscription (RFC 8030 §7.3); never send to it again.
        if (status === 404 || status === 410) {
          throw new HexcastError('HX_PUSH_SUBSCRIPTION_INVALID', `push subscription gone (${status})`, {
            cause: error,
          });
        }
        throw new HexcastError('HX_PUSH_SEND_FAILED', `web push failed (${status ?? 'network'})`, {
          cause: error,
        });
      });
  }
}

/** The slice of firebase-admin's `Messaging` the FCM sender uses. */
export interface FcmMessaging {
  send(message: {
    token: string;
    notification: { title: string; body: string };
    data: Record<string, string>;
    android: { ttl: number; priority: 'high' };
    apns: { headers: Record<string, string> };
  }): Promise<string>;
}

/** FCM HTTP v1 through firebase-admin: `android.ttl` and `apns-expiration` from the remaining time. */
export class FcmSender implements PushSender {
  readonly channel = 'fcm' as const;

  constructor(readonly messaging: FcmMessaging) {}

  canSend(registration: PushRegistration): boolean {
    return registration.fcmToken !== undefined;
  }

  async send(registration: PushRegistration, message: PushMessage, ttlSeconds: number): Promise<void> {
    const token = registration.fcmToken;
    if (token === undefined) throw new Error('no FCM token');
    await this.messaging.send({
      token,
      notification: { title: message.title, body: message.body },
      data: { item: message.payload },
      android: { ttl: ttlSeconds * 1000, priority: 'high' },
      // APNs wants an absolute expiry in epoch seconds; never later than the item's deadline.
      apns: { headers: { 'apns-expiration': String(Math.floor(message.expiresAt / 1000)) } },
    });
  }
}

/**
 * firebase-admin's Messaging for a service account file (loaded only when FCM is configured:
 * firebase-admin is large). `httpAgent` routes its HTTPS calls (proxies; tests).
 */
export async function fcmMessaging(options: {
  serviceAccountFile?: string;
  credential?: unknown;
  projectId?: string;
  httpAgent?: Agent;
  appName?: string;
}): Promise<FcmMessaging> {
  const { cert, initializeApp } = await import('firebase-admin/app');
  const { getMessaging } = await import('firebase-admin/messaging');
  const credential =
    options.credential ?? (options.serviceAccountFile ? cert(options.serviceAccountFile) : undefined);
  if (credential === undefined) throw new Error('FCM needs a service account file or a credential');
  const app = initializeApp(
    {
      credential: credential as ReturnType<typeof cert>,
      ...(options.projectId ? { projectId: options.projectId } : {}),
      ...(options.httpAgent ? { httpAgent: options.httpAgent } : {}),
    },
    options.appName ?? `hexcast-fcm-${Math.random().toString(36).slice(2)}`,
  );
  return getMessaging(app) as unknown as FcmMessaging;
}
