import {
  type BusProducer,
  type Clock,
  DeliveryItemEvent,
  DeliveryReceipt,
  type Envelope,
  type EventRegistry,
  isHexcastError,
  type Logger,
  type Metrics,
  type ReceiptStatus,
  TOPICS,
} from '@hexcast/core';
import type { Static } from '@sinclair/typebox';
import type { DeliveryItem, DeliveryQueue, ExpiredWhere } from './delivery-queue/index.js';
import type { PushRegistry, PushSender } from './push.js';
import type { WakeBus } from './wake.js';

/** A device connected to this gateway with its inbox subscribed. */
export interface DeviceLink {
  readonly deviceId: string;
  /** Publishes QoS1 on the device's inbox with this packet id. */
  publish(messageId: number, payload: Buffer): void;
}

interface Session {
  link: DeviceLink;
  /** MQTT packet id → the item sent with it and when (performance.now()), not yet PUBACKed. */
  inflight: Map<number, { itemId: string; sentAt: number }>;
  nextId: number;
  draining: boolean;
  again: boolean;
}

type ItemData = Static<(typeof DeliveryItemEvent)['schema']>;

/** What a receipt says besides its status: where it expired, why it was refused, or how it went. */
type ReceiptDetail = Pick<Static<(typeof DeliveryReceipt)['schema']>, 'where' | 'reason' | 'channel'>;

export interface DispatcherOptions {
  queue: DeliveryQueue;
  producer: BusProducer;
  registry: EventRegistry;
  metrics: Metrics;
  logger: Logger;
  wake: WakeBus;
  gatewayId: string;
  region: string;
  clock: Clock;
  inflightWindow: number;
  purgeIntervalMs: number;
  pushGraceMs: number;
  push: { registry: PushRegistry; senders: PushSender[] };
}

const PURGE_BATCH = 1000;

/**
 * Moves delivery items from `hx.deliveries.<region>` through the device's outbound queue to its
 * inbox, and writes exactly one terminal receipt per item on `hx.receipts`. The state machine is
 * the queue's (see `docs/delivery.md`); this class decides when to claim, publish, push, purge.
 */
export class Dispatcher {
  readonly name = 'delivery-dispatcher';
  readonly #o: DispatcherOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #pushTimers = new Set<NodeJS.Timeout>();
  #purgeTimer: NodeJS.Timeout | null = null;
  #purging: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #m;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    const m = options.metrics;
    this.#m = {
      receipts: m.counter<'status' | 'detail'>({
        name: 'delivery_receipts_total',
        help: 'terminal and push receipts written, by status and where/reason/channel',
        labelNames: ['status', 'detail'],
      }),
      duplicates: m.counter({
        name: 'delivery_duplicates_total',
        help: 'delivery records seen before (replays)',
      }),
      lateAcks: m.counter({
        name: 'delivery_late_acks_total',
        help: 'PUBACKs for items whose deadline had passed (accounted expired in flight)',
      }),
      pushFailures: m.counter<'channel'>({
        name: 'delivery_push_failures_total',
        help: 'push sends refused or failed',
        labelNames: ['channel'],
      }),
      latency: m.histogram({
        name: 'delivery_latency_seconds',
        help: 'from publish on the inbox to PUBACK',
        buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      }),
      connected: m.gauge({
        name: 'gateway_inbox_sessions',
        help: 'devices with their inbox subscribed here',
      }),
    };
  }

  async start(): Promise<void> {
    await this.#o.wake.subscribe((deviceId) => this.#drainSoon(deviceId));
    this.#schedulePurge();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#purgeTimer !== null) clearTimeout(this.#purgeTimer);
    for (const timer of this.#pushTimers) clearTimeout(timer);
    this.#pushTimers.clear();
    await this.#purging;
    for (const deviceId of [...this.#sessions.keys()]) await this.offline(deviceId);
  }

  /** Handler for `hx.deliveries.<region>` records (deadline handled here, not by the runner). */
  async accept(envelope: Envelope): Promise<void> {
    const now = this.#o.clock();
    if (envelope.type !== DeliveryItemEvent.type) {
      await this.#receipt(envelope.id, envelope.key, 'rejected', { reason: 'not-deliverable' });
      return;
    }
    const data = envelope.data as ItemData;
    if (envelope.expiresAt === undefined) {
      await this.#receipt(envelope.id, data.deviceId, 'rejected', { reason: 'no-deadline' });
      return;
    }
    const item: DeliveryItem = {
      id: envelope.id,
      deviceId: data.deviceId,
      expiresAt: envelope.expiresAt,
      payload: JSON.stringify({
        type: data.kind,
        id: envelope.id,
        expiresAt: envelope.expiresAt,
        content: data.content,
        ...(data.notification ? { notification: data.notification } : {}),
      }),
    };
    // A device connected here with nothing being claimed for it: the item is claimed as it is
    // queued (one round trip to the queue, not two) and sent by a drain that starts with it.
    const session = this.#sessions.get(item.deviceId);
    const room = session === undefined || session.draining ? 0 : this.#room(session);
    let result: Awaited<ReturnType<DeliveryQueue['enqueue']>>;
    if (session !== undefined && room > 0) {
      const queued = this.#o.queue.enqueueAndClaim(item, now, room);
      this.#startDrain(item.deviceId, session, queued);
      result = await queued;
    } else result = await this.#o.queue.enqueue(item, now);
    if (!result.accepted) {
      if (result.reason === 'duplicate') this.#m.duplicates.inc();
      else if (result.reason === 'expired-on-arrival')
        await this.#receipt(item.id, item.deviceId, 'expired', { where: 'transit' });
      else await this.#receipt(item.id, item.deviceId, 'rejected', { reason: result.reason });
      return;
    }
    // Else the device's drain here (it is claiming already) or its gateway is told.
    if (room <= 0) {
      if (this.#sessions.has(item.deviceId)) this.#drainSoon(item.deviceId);
      else await this.#o.wake.publish(item.deviceId);
    }
    if (data.notification !== undefined) this.#schedulePush(item, data.notification);
  }

  /** The device subscribed its inbox on this gateway: send what is waiting. */
  online(link: DeviceLink): void {
    const previous = this.#sessions.get(link.deviceId);
    const session: Session = {
      link,
      inflight: new Map(),
      nextId: previous?.nextId ?? 1,
      draining: true,
      again: false,
    };
    this.#sessions.set(link.deviceId, session);
    this.#m.connected.set(this.#sessions.size);
    // A connection that took over another: what the old one had in flight goes back first.
    const handBack = previous !== undefined && previous.inflight.size > 0;
    void (handBack ? this.#o.queue.release(link.deviceId) : Promise.resolve(0))
      .catch((err: unknown) => this.#o.logger.error({ err, deviceId: link.deviceId }, 'release failed'))
      .then(() => {
        session.draining = false;
        this.#drainSoon(link.deviceId);
      });
  }

  /** The device went away (or was taken over): unacknowledged items go back to the queue front. */
  async offline(deviceId: string, link?: DeviceLink): Promise<void> {
    const session = this.#sessions.get(deviceId);
    if (session === undefined || (link !== undefined && session.link !== link)) return;
    this.#sessions.delete(deviceId);
    this.#m.connected.set(this.#sessions.size);
    if (session.inflight.size > 0) await this.#o.queue.release(deviceId);
  }

  /** PUBACK for an inbox message. */
  async puback(deviceId: string, link: DeviceLink, messageId: number): Promise<void> {
    const session = this.#sessions.get(deviceId);
    if (session === undefined || session.link !== link) return;
    const sent = session.inflight.get(messageId);
    if (sent === undefined) return;
    session.inflight.delete(messageId);
    const { itemId } = sent;
    this.#m.latency.observe((performance.now() - sent.sentAt) / 1000);
    const now = this.#o.clock();
    if (await this.#o.queue.ack(deviceId, itemId, now)) {
      await this.#receipt(itemId, deviceId, 'delivered', { channel: 'mqtt' });
    } else {
      this.#m.lateAcks.inc();
    }
    this.#drainSoon(deviceId);
  }

  /**
   * Ends every item still queued with a `rejected` receipt: for a queue that dies with this
   * process (memory), so a graceful stop leaves nothing unaccounted.
   */
  rejectAll(reason: string): Promise<void> {
    return this.#endExpired(Number.MAX_SAFE_INTEGER, () => ({ status: 'rejected', reason }));
  }

  /** Runs one purge pass now (tests drive time with an injected clock). */
  purgeNow(): Promise<void> {
    this.#purging = this.#purging
      .then(() => this.#purge())
      .catch((err: unknown) => {
        this.#o.logger.error({ err }, 'delivery purge failed; retrying next tick');
      });
    return this.#purging;
  }

  #drainSoon(deviceId: string): void {
    const session = this.#sessions.get(deviceId);
    if (session === undefined) return;
    if (session.draining) {
      session.again = true;
      return;
    }
    this.#startDrain(deviceId, session);
  }

  /** `first`: an enqueue that claims for the device; its items are the drain's first claim. */
  #startDrain(
    deviceId: string,
    session: Session,
    first?: Promise<{ accepted: true; claimed: DeliveryItem[] } | { accepted: false }>,
  ): void {
    session.draining = true;
    // An enqueue that failed claimed nothing (its error is the record handler's to retry).
    const claimed = first?.then(
      (r) => (r.accepted ? r.claimed : []),
      () => [],
    );
    void this.#drain(deviceId, session, claimed).catch((err: unknown) => {
      this.#o.logger.error({ err, deviceId }, 'delivery drain failed');
      session.draining = false;
    });
  }

  async #drain(deviceId: string, session: Session, claimed?: Promise<DeliveryItem[]>): Promise<void> {
    do {
      session.again = false;
      const room = this.#room(session);
      const now = this.#o.clock();
      // A claim made with the enqueue is taken whatever happened since: handed back below if the device left.
      if (claimed === undefined && (room <= 0 || this.#sessions.get(deviceId) !== session)) break;
      const items = await (claimed ?? this.#o.queue.claim(deviceId, now, room));
      claimed = undefined;
      if (this.#sessions.get(deviceId) !== session) {
        // The device left while we claimed: hand the items back.
        if (items.length > 0) await this.#o.queue.release(deviceId);
        break;
      }
      for (const item of items) {
        const messageId = this.#nextMessageId(session);
        session.inflight.set(messageId, { itemId: item.id, sentAt: performance.now() });
        // MQTT 5 §3.3.2 spirit: the deadline travels with the message; the device also learns
        // the server time of sending, to correct its clock.
        const payload = `${item.payload.slice(0, -1)},"sentAt":${now}}`;
        session.link.publish(messageId, Buffer.from(payload));
      }
      if (items.length === room) session.again = true;
    } while (session.again);
    session.draining = false;
  }

  /** Items the device may still be sent before it acknowledges some. */
  #room(session: Session): number {
    return this.#o.inflightWindow - session.inflight.size;
  }

  #nextMessageId(session: Session): number {
    for (;;) {
      const id = session.nextId;
      session.nextId = id >= 65535 ? 1 : id + 1;
      if (!session.inflight.has(id)) return id;
    }
  }

  #schedulePurge(): void {
    if (this.#closed) return;
    this.#purgeTimer = setTimeout(() => {
      void this.purgeNow().then(() => this.#schedulePurge());
    }, this.#o.purgeIntervalMs);
    this.#purgeTimer.unref();
  }

  #purge(): Promise<void> {
    return this.#endExpired(this.#o.clock(), (where) => ({ status: 'expired', where }));
  }

  /**
   * Takes every item whose deadline is at or before `until` out of the queue, batch by batch, and
   * writes each one's terminal receipt; a batch's receipts go to the bus together.
   */
  async #endExpired(
    until: number,
    outcome: (where: ExpiredWhere) => { status: ReceiptStatus } & ReceiptDetail,
  ): Promise<void> {
    for (;;) {
      const ended = await this.#o.queue.purgeExpired(until, PURGE_BATCH);
      await Promise.all(
        ended.map(({ item, where }) => {
          const { status, ...detail } = outcome(where);
          return this.#receipt(item.id, item.deviceId, status, detail);
        }),
      );
      if (ended.length < PURGE_BATCH) return;
    }
  }

  #schedulePush(item: DeliveryItem, notification: { title: string; body: string }): void {
    const { push, pushGraceMs } = this.#o;
    if (push.senders.length === 0) return;
    const timer = setTimeout(() => {
      this.#pushTimers.delete(timer);
      void this.#push(item, notification).catch((err: unknown) => {
        this.#o.logger.warn({ err, itemId: item.id }, 'push fallback failed');
      });
    }, pushGraceMs);
    timer.unref();
    this.#pushTimers.add(timer);
  }

  /**
   * Offline past the grace: send through the device's push channels in order (Web Push, then
   * FCM), stopping at the first that accepts.
   */
  async #push(item: DeliveryItem, notification: { title: string; body: string }): Promise<void> {
    if (this.#closed || this.#sessions.has(item.deviceId)) return;
    const registration = await this.#o.push.registry.get(item.deviceId);
    if (registration === null) return;
    const senders = this.#o.push.senders.filter((s) => s.canSend(registration));
    if (senders.length === 0) return;
    const now = this.#o.clock();
    // Whole seconds left, rounded down: a push may never outlive the item.
    const ttlSeconds = Math.floor((item.expiresAt - now) / 1000);
    if (ttlSeconds < 1) return;
    // Only the gateway that marks the item pushes it; an item claimed over MQTT meanwhile is not pushed.
    const marked = await this.#o.queue.markPushed(item.deviceId, item.id, now);
    if (marked === null) return;
    for (const sender of senders) {
      try {
        await sender.send(
          registration,
          { itemId: item.id, ...notification, payload: item.payload, expiresAt: item.expiresAt },
          ttlSeconds,
        );
        await this.#receipt(item.id, item.deviceId, 'pushed', { channel: sender.channel });
        return;
      } catch (err) {
        this.#m.pushFailures.inc({ channel: sender.channel });
        if (isHexcastError(err) && err.code === 'HX_PUSH_SUBSCRIPTION_INVALID') {
          await this.#o.push.registry.forget(item.deviceId, sender.channel);
        }
        this.#o.logger.warn(
          { err, itemId: item.id, channel: sender.channel },
          'push send failed; item stays queued',
        );
      }
    }
  }

  async #receipt(
    itemId: string,
    deviceId: string,
    status: ReceiptStatus,
    extra: ReceiptDetail,
  ): Promise<void> {
    const envelope = this.#o.registry.create(DeliveryReceipt, {
      // One id per item and status: a receipt produced twice (a retry) is recognisably the same.
      id: `${status}:${itemId}`.slice(0, 64),
      key: deviceId,
      source: { kind: 'gateway', id: this.#o.gatewayId, region: this.#o.region },
      data: { itemId, deviceId, status, gateway: this.#o.gatewayId, ...extra },
    });
    await this.#o.producer.send(TOPICS.receipts, envelope);
    this.#m.receipts.inc({ status, detail: extra.where ?? extra.reason ?? extra.channel ?? '' });
  }
}
