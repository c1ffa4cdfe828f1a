import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { backoffDelay } from './backoff.js';
import { Emitter } from './emitter.js';
import { SdkError } from './errors.js';
import { type Channel, Outbox } from './outbox.js';
import { CONNACK, deviceTopic, type InboxMessage, type ItemKind, inboxTopic } from './protocol.js';
import { memoryStorage, readJson, type StorageAdapter } from './storage.js';
import {
  checkedMode,
  type Fix,
  type LocationProvider,
  ModeFilter,
  TRACKING_MODES,
  type TrackingMode,
  type TrackingModeName,
} from './tracking.js';

export interface ClientOptions {
  /** `mqtt://`, `mqtts://` (Node) or `ws://`, `wss://` (browser, React Native, Node): the region's gateway. */
  gatewayUrl: string;
  /** The gateway's HTTP base (push registration); derived from a `ws(s)://…/mqtt` gateway URL when unset. */
  gatewayHttpUrl?: string;
  deviceId: string;
  /** Returns a device token from the app's backend (which got it from `POST /v1/devices`). */
  getToken: () => Promise<string>;
  storage?: StorageAdapter;
  /** The device clock (tests skew it). */
  clock?: () => number;
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Fixes less accurate than this are dropped and counted (metres). */
  maxAccuracyM?: number;
  /** Messages kept while offline; beyond, the oldest is dropped and counted. */
  bufferLimit?: number;
  /** A clickstream session ends after this long without events. */
  sessionTimeoutMs?: number;
  /** Unacknowledged messages in flight at once. */
  inflight?: number;
  /**
   * How long `connect()` waits for a first connection before it rejects with
   * `HX_SDK_CONNECT_TIMEOUT` (the client keeps trying in the background until `close()`).
   */
  connectTimeoutMs?: number;
  /** Extra mqtt.js options (e.g. a React Native WebSocket factory). */
  mqtt?: Partial<IClientOptions>;
}

export type { ItemKind };

export interface InboxItem<T = unknown> {
  id: string;
  kind: ItemKind;
  content: T;
  /** Absolute deadline, epoch ms, server time. */
  expiresAt: number;
  notification?: { title: string; body: string };
  /** Past its deadline by the corrected clock. */
  isExpired(): boolean;
  /** Reports that the user opened it (`opened` receipt). */
  open(): Promise<void>;
  /** Reports a redemption (`redeemed` receipt); the merchant confirms it through the API. */
  redeem(): Promise<void>;
}

export type ClickAction = 'view' | 'click' | 'cart' | 'buy';

export interface SdkStats {
  connected: boolean;
  buffered: number;
  sent: number;
  acknowledged: number;
  bufferDropped: number;
  lowAccuracyDropped: number;
  expiredDropped: number;
  duplicateDropped: number;
  /** Server time minus device time, ms, as learned at connect. */
  clockOffsetMs: number;
}

interface Events extends Record<string, unknown> {
  connected: { at: number };
  /** A batch of fixes left the device's batch for the outbox: how many, their times, when. */
  locationBatch: { fixes: number; firstTs: number; lastTs: number; at: number };
  disconnected: { willReconnect: boolean; inMs?: number };
  error: SdkError;
}

const SEEN_LIMIT = 500;
const AUTH_RETRIES = 3;
const PENDING_LIMIT = 100;

/** The Hexcast client: one per device. */
export class HexcastClient {
  readonly #o: Required<Omit<ClientOptions, 'gatewayHttpUrl' | 'mqtt' | 'reconnect'>> &
    Pick<ClientOptions, 'gatewayHttpUrl' | 'mqtt'> & { reconnect: { initialMs: number; maxMs: number } };
  readonly #events = new Emitter<Events>();
  readonly #outbox: Outbox;
  #mq: MqttClient | null = null;
  #token: string | null = null;
  #attempt = 0;
  #closed = false;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #minDelayMs = 0;
  #authFailures = 0;
  #loaded: Promise<void>;
  #inFlight = new Set<number>();
  #offset = 0;
  #seen: string[] = [];
  #pending: InboxItem[] = [];
  #handlers: Record<ItemKind, Set<(item: InboxItem) => void>> = {
    offer: new Set(),
    recommendation: new Set(),
  };
  #batch: Array<Required<Pick<Fix, 'lat' | 'lng' | 'accuracy' | 'ts'>> & { speed?: number }> = [];
  #batchTimer: ReturnType<typeof setTimeout> | null = null;
  #mode: TrackingMode = TRACKING_MODES.continuous;
  #tracking: { provider: LocationProvider; filter: ModeFilter } | null = null;
  #session: { id: string; lastAt: number } | null = null;
  #stats = { sent: 0, acknowledged: 0, lowAccuracyDropped: 0, expiredDropped: 0, duplicateDropped: 0 };

  constructor(options: ClientOptions) {
    this.#o = {
      storage: memoryStorage(),
      clock: () => Date.now(),
      maxAccuracyM: 200,
      bufferLimit: 500,
      sessionTimeoutMs: 30 * 60_000,
      inflight: 10,
      connectTimeoutMs: 30_000,
      ...options,
      reconnect: { initialMs: 500, maxMs: 30_000, ...options.reconnect },
    };
    const key = `hexcast:${options.deviceId}`;
    this.#outbox = new Outbox(this.#o.storage, `${key}:outbox`, this.#o.bufferLimit);
    this.#loaded = Promise.all([
      this.#outbox.load(),
      readJson<string[]>(this.#o.storage, `${key}:seen`, []).then((seen) => {
        this.#seen = Array.isArray(seen) ? seen.slice(-SEEN_LIMIT) : [];
      }),
      readJson<{ id: string; lastAt: number } | null>(this.#o.storage, `${key}:session`, null).then((s) => {
        this.#session = s;
      }),
    ]).then(() => undefined);
  }

  on<K extends keyof Events>(event: K, handler: (value: Events[K]) => void): () => void {
    return this.#events.on(event, handler);
  }

  /** Connects (and keeps reconnecting); resolves on the first successful connection. */
  async connect(): Promise<void> {
    this.#closed = false;
    this.#stopped = false;
    await this.#loaded;
    const connected = new Promise<void>((resolve, reject) => {
      let firstFailure: SdkError | null = null;
      const done = () => {
        offOk();
        offErr();
        clearTimeout(timer);
      };
      const offOk = this.on('connected', () => {
        done();
        resolve();
      });
      const offErr = this.on('error', (error) => {
        firstFailure ??= error;
        if (error.code === 'HX_SDK_NOT_AUTHORIZED' || error.code === 'HX_SDK_AUTH_FAILED') {
          done();
          reject(error);
        }
      });
      const timeoutMs = this.#o.connectTimeoutMs;
      const timer = setTimeout(() => {
        done();
        const cause =
          firstFailure === null ? '' : `; first failure: ${firstFailure.code}: ${firstFailure.message}`;
        reject(
          new SdkError(
            'HX_SDK_CONNECT_TIMEOUT',
            `no connection to ${this.#o.gatewayUrl} within ${timeoutMs} ms${cause}`,
            firstFailure?.code,
          ),
        );
      }, timeoutMs);
    });
    void this.#open();
    return connected;
  }

  /** Stops everything; what is buffered stays in storage for the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    this.stopTracking();
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#batchTimer !== null) clearTimeout(this.#batchTimer);
    await this.#flushBatch();
    const mq = this.#mq;
    this.#mq = null;
    await mq?.endAsync(true).catch(() => undefined);
  }

  get connected(): boolean {
    return this.#mq?.connected === true;
  }

  stats(): SdkStats {
    return {
      connected: this.connected,
      buffered: this.#outbox.size,
      bufferDropped: this.#outbox.dropped,
      clockOffsetMs: this.#offset,
      ...this.#stats,
    };
  }

  /** Server time as best known: the device clock corrected by the offset learned at connect. */
  serverNow(): number {
    return this.#o.clock() + this.#offset;
  }

  // ── location ────────────────────────────────────────────────────────────────────────────

  /** For apps that own their location provider: one fix, batched per the current mode. */
  async trackLocation(fix: Fix): Promise<void> {
    if (!(fix.accuracy >= 0) || fix.accuracy > this.#o.maxAccuracyM) {
      this.#stats.lowAccuracyDropped++;
      return;
    }
    const ts = fix.ts ?? this.#o.clock();
    this.#batch.push({
      lat: fix.lat,
      lng: fix.lng,
      accuracy: fix.accuracy,
      ts,
      ...(fix.speed === undefined ? {} : { speed: fix.speed }),
    });
    const mode = this.#mode;
    if (this.#batch.length >= mode.batchSize) await this.#flushBatch();
    else if (this.#batchTimer === null) {
      this.#batchTimer = setTimeout(() => void this.#flushBatch(), mode.maxBatchDelayMs);
    }
  }

  /**
   * Starts a provider in a mode: `continuous`, `responsive`, `efficient`, or the app's own
   * (`HX_SDK_INVALID_MODE` when one of its numbers is out of range).
   */
  startTracking(provider: LocationProvider, mode: TrackingModeName | TrackingMode = 'responsive'): void {
    const spec = typeof mode === 'string' ? TRACKING_MODES[mode] : checkedMode(mode);
    this.stopTracking();
    this.#mode = spec;
    const filter = new ModeFilter(spec);
    this.#tracking = { provider, filter };
    provider.start((fix) => {
      const ts = fix.ts ?? this.#o.clock();
      if (filter.keep({ lat: fix.lat, lng: fix.lng, ts })) void this.trackLocation({ ...fix, ts });
    });
  }

  stopTracking(): void {
    this.#tracking?.provider.stop();
    this.#tracking = null;
  }

  async #flushBatch(): Promise<void> {
    if (this.#batchTimer !== null) clearTimeout(this.#batchTimer);
    this.#batchTimer = null;
    if (this.#batch.length === 0) return;
    const fixes = this.#batch;
    this.#batch = [];
    this.#events.emit('locationBatch', {
      fixes: fixes.length,
      firstTs: fixes[0]!.ts,
      lastTs: fixes[fixes.length - 1]!.ts,
      at: this.#o.clock(),
    });
    await this.#send('loc', JSON.stringify({ fixes }));
  }

  // ── clickstream ─────────────────────────────────────────────────────────────────────────

  /** A product view, click, add-to-cart or purchase, in the current session. */
  async track(event: { productId: string; action: ClickAction; category?: string }): Promise<void> {
    await this.#loaded;
    const now = this.#o.clock();
    if (this.#session === null || now - this.#session.lastAt > this.#o.sessionTimeoutMs) {
      this.#session = { id: randomId(), lastAt: now };
    }
    this.#session.lastAt = now;
    await this.#o.storage.setItem(`hexcast:${this.#o.deviceId}:session`, JSON.stringify(this.#session));
    await this.#send(
      'ev',
      JSON.stringify({
        sessionId: this.#session.id,
        productId: event.productId,
        action: event.action,
        ...(event.category ? { category: event.category } : {}),
        ts: now,
      }),
    );
  }

  /** The current clickstream session id (rolls after `sessionTimeoutMs` of inactivity). */
  get sessionId(): string | null {
    return this.#session?.id ?? null;
  }

  // ── inbox ───────────────────────────────────────────────────────────────────────────────

  onOffer<T = unknown>(handler: (offer: InboxItem<T>) => void): () => void {
    return this.#subscribe('offer', handler as (item: InboxItem) => void);
  }

  onRecommendation<T = unknown>(handler: (item: InboxItem<T>) => void): () => void {
    return this.#subscribe('recommendation', handler as (item: InboxItem) => void);
  }

  #subscribe(kind: ItemKind, handler: (item: InboxItem) => void): () => void {
    this.#handlers[kind].add(handler);
    // Items that arrived before anyone listened are surfaced now — unless their time is up.
    const waiting = this.#pending.filter((i) => i.kind === kind);
    this.#pending = this.#pending.filter((i) => i.kind !== kind);
    for (const item of waiting) this.#surface(item);
    return () => this.#handlers[kind].delete(handler);
  }

  #surface(item: InboxItem): void {
    if (item.isExpired()) {
      this.#stats.expiredDropped++;
      return;
    }
    const handlers = this.#handlers[item.kind];
    if (handlers.size === 0) {
      this.#pending.push(item);
      if (this.#pending.length > PENDING_LIMIT) this.#pending.shift();
      return;
    }
    for (const handler of handlers) {
      try {
        handler(item);
      } catch {
        // the app's problem, not the SDK's
      }
    }
  }

  async #onInbox(payload: Uint8Array): Promise<void> {
    let message: InboxMessage;
    try {
      message = JSON.parse(new TextDecoder().decode(payload)) as InboxMessage;
    } catch {
      return;
    }
    if (message.type === 'hello') {
      this.#offset = message.serverTime - this.#o.clock();
      return;
    }
    if (message.type === 'rejected') {
      this.#events.emit('error', new SdkError('HX_SDK_REJECTED', message.reason, message.code));
      return;
    }
    if (message.type === 'disconnect') {
      this.#events.emit(
        'error',
        new SdkError('HX_SDK_DISCONNECTED_BY_GATEWAY', message.reason, message.code),
      );
      if (!message.reconnect) this.#stopped = true;
      if (message.code === 'HX_GATEWAY_AUTH_FAILED') this.#token = null; // expired: ask for a fresh one
      this.#minDelayMs = message.retryAfterMs ?? 0;
      return;
    }
    if (message.type !== 'offer' && message.type !== 'recommendation') return;
    if (this.#seen.includes(message.id)) {
      this.#stats.duplicateDropped++;
      return;
    }
    this.#seen.push(message.id);
    if (this.#seen.length > SEEN_LIMIT) this.#seen.shift();
    await this.#o.storage.setItem(`hexcast:${this.#o.deviceId}:seen`, JSON.stringify(this.#seen));
    const item: InboxItem = {
      id: message.id,
      kind: message.type,
      content: message.content,
      expiresAt: message.expiresAt,
      ...(message.notification ? { notification: message.notification } : {}),
      isExpired: () => this.serverNow() >= message.expiresAt,
      open: () =>
        this.#send('ack', JSON.stringify({ id: message.id, status: 'opened', ts: this.#o.clock() })),
      redeem: () =>
        this.#send('ack', JSON.stringify({ id: message.id, status: 'redeemed', ts: this.#o.clock() })),
    };
    // The app-level receipt: this device has it (the MQTT PUBACK already made it `delivered`).
    await this.#send('ack', JSON.stringify({ id: message.id, status: 'received', ts: this.#o.clock() }));
    this.#surface(item);
  }

  // ── push ────────────────────────────────────────────────────────────────────────────────

  /** Registers a Web Push subscription (browser) and/or an FCM token with the gateway. */
  async registerPush(registration: {
    webpush?: { endpoint: string; keys: { p256dh: string; auth: string } };
    fcmToken?: string;
  }): Promise<void> {
    const token = await this.#freshToken();
    const response = await fetch(`${this.#httpBase()}/v1/push`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(registration),
    });
    if (response.status !== 204) {
      throw new SdkError('HX_SDK_PUSH_REGISTRATION_FAILED', `gateway answered ${response.status}`);
    }
  }

  /** Browser: subscribes the service worker to Web Push with the gateway's VAPID key and registers it. */
  async subscribeWebPush(registration: {
    pushManager: {
      subscribe(options: {
        userVisibleOnly: boolean;
        applicationServerKey: Uint8Array;
      }): Promise<{ toJSON(): unknown }>;
    };
  }): Promise<void> {
    const response = await fetch(`${this.#httpBase()}/v1/push/vapid`);
    if (!response.ok) throw new SdkError('HX_SDK_PUSH_REGISTRATION_FAILED', 'gateway has no VAPID key');
    const { publicKey } = (await response.json()) as { publicKey: string };
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: base64UrlBytes(publicKey),
    });
    const json = subscription.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
    await this.registerPush({ webpush: { endpoint: json.endpoint, keys: json.keys } });
  }

  #httpBase(): string {
    if (this.#o.gatewayHttpUrl !== undefined) return this.#o.gatewayHttpUrl.replace(/\/$/, '');
    const url = new URL(this.#o.gatewayUrl);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
      throw new SdkError('HX_SDK_PUSH_REGISTRATION_FAILED', 'set gatewayHttpUrl for an mqtt:// gateway');
    }
    return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
  }

  // ── connection ──────────────────────────────────────────────────────────────────────────

  async #freshToken(): Promise<string> {
    if (this.#token !== null) return this.#token;
    try {
      this.#token = await this.#o.getToken();
      return this.#token;
    } catch (error) {
      throw new SdkError('HX_SDK_TOKEN_UNAVAILABLE', error instanceof Error ? error.message : String(error));
    }
  }

  async #open(): Promise<void> {
    if (this.#closed || this.#stopped) return;
    let token: string;
    const fresh = this.#token === null;
    try {
      token = await this.#freshToken();
    } catch (error) {
      this.#events.emit('error', error as SdkError);
      this.#scheduleReconnect();
      return;
    }
    const { deviceId } = this.#o;
    const mq = mqtt.connect(this.#o.gatewayUrl, {
      clientId: deviceId,
      username: deviceId,
      password: token,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0, // the SDK reconnects itself: backoff, jitter, fresh tokens
      connectTimeout: 10_000,
      keepalive: 60,
      ...this.#o.mqtt,
    });
    this.#mq = mq;
    mq.on('connect', () => {
      this.#attempt = 0;
      this.#authFailures = 0;
      this.#inFlight.clear();
      mq.subscribe(inboxTopic(deviceId), { qos: 1 }, () => {
        this.#events.emit('connected', { at: this.#o.clock() });
        this.#pump();
      });
    });
    mq.on('message', (_topic, payload) => void this.#onInbox(payload));
    mq.on('error', (error) => {
      const code = (error as { code?: number }).code;
      if (code === CONNACK.badCredentials) {
        // Bad credentials: the token expired or was revoked. The next attempt asks getToken() for
        // a fresh one; after AUTH_RETRIES refusals in a row it is a configuration problem:
        // report it and stop rather than hammer the gateway.
        this.#token = null;
        if (++this.#authFailures >= AUTH_RETRIES) {
          this.#stopped = true;
          this.#events.emit('error', new SdkError('HX_SDK_AUTH_FAILED', 'gateway refused fresh tokens'));
        } else if (!fresh) this.#attempt = 0;
      } else if (code === CONNACK.identifierRejected || code === CONNACK.notAuthorized) {
        this.#stopped = true;
        this.#events.emit(
          'error',
          code === CONNACK.notAuthorized
            ? new SdkError(
                'HX_SDK_NOT_AUTHORIZED',
                'gateway refused this device: its token is for another region (CONNACK 5)',
                'HX_GATEWAY_REGION_MISMATCH',
              )
            : new SdkError(
                'HX_SDK_NOT_AUTHORIZED',
                'gateway refused this device: the client id is not the token subject (CONNACK 2)',
                'HX_GATEWAY_CLIENT_ID_MISMATCH',
              ),
        );
      } else {
        this.#events.emit('error', new SdkError('HX_SDK_CONNECTION_LOST', error.message));
      }
    });
    mq.on('close', () => {
      if (this.#mq !== mq) return;
      this.#mq = null;
      mq.removeAllListeners();
      mq.end(true);
      this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    const willReconnect = !this.#closed && !this.#stopped;
    if (!willReconnect) {
      this.#events.emit('disconnected', { willReconnect });
      return;
    }
    const { initialMs, maxMs } = this.#o.reconnect;
    const inMs = Math.max(this.#minDelayMs, backoffDelay(this.#attempt++, initialMs, maxMs));
    this.#minDelayMs = 0;
    this.#events.emit('disconnected', { willReconnect, inMs });
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#open();
    }, inMs);
  }

  async #send(channel: Channel, payload: string): Promise<void> {
    await this.#loaded;
    await this.#outbox.add(channel, payload);
    this.#pump();
  }

  /** Sends buffered entries in order, keeping at most `inflight` unacknowledged. */
  #pump(): void {
    const mq = this.#mq;
    if (mq === null || !mq.connected) return;
    for (const entry of this.#outbox.entries()) {
      if (this.#inFlight.size >= this.#o.inflight) return;
      if (this.#inFlight.has(entry.seq)) continue;
      this.#inFlight.add(entry.seq);
      this.#stats.sent++;
      mq.publish(deviceTopic(this.#o.deviceId, entry.channel), entry.payload, { qos: 1 }, (error) => {
        if (this.#mq !== mq) return; // a previous connection: its entries are resent on the new one
        this.#inFlight.delete(entry.seq);
        if (error) return;
        this.#stats.acknowledged++;
        void this.#outbox.remove(entry.seq).then(() => this.#pump());
      });
    }
  }
}

export function createClient(options: ClientOptions): HexcastClient {
  return new HexcastClient(options);
}

function randomId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function base64UrlBytes(text: string): Uint8Array {
  const base64 = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(text.length / 4) * 4, '=');
  const binary = atob(base64);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
