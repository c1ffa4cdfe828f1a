import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import {
  type Clock,
  ConsumerRunner,
  type ConsumerRunnerOptions,
  type DeviceClaims,
  type DeviceTokens,
  deliveriesTopic,
  HexcastError,
  type HotCount,
  healthPlugin,
  installErrorHandling,
  isHexcastError,
  lazyRequestLogger,
  listenOn,
  type ServiceContext,
} from '@hexcast/core';
import { CONNACK, type GatewayCode, type InboxMessage } from '@hexcast/mobile-sdk/protocol';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client } from 'aedes';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { createWebSocketStream, WebSocketServer } from 'ws';
import {
  inboxTopic,
  isTopicSafeId,
  maySubscribe,
  PUBLISH_CHANNELS,
  type PublishChannel,
  publishChannel,
} from './acl.js';
import { GatewayEmitter, GatewayPersistence } from './aedes-adapter.js';
import { type DeviceLink, Dispatcher } from './delivery.js';
import type { DeliveryQueue } from './delivery-queue/index.js';
import { DeviceConnection, type PublishHandler } from './device-connection.js';
import { Ingest, type IngestResult, type Rejection } from './ingest.js';
import { checkPushRegistration, type PushRegistry, type PushSender } from './push.js';
import { StrikeCounter, TokenBucket } from './token-bucket.js';
import type { WakeBus } from './wake.js';

/** A service context (config, logger, metrics, bus) plus the gateway's own parts. */
export interface GatewayOptions
  extends Pick<ServiceContext, 'config' | 'logger' | 'metrics' | 'kafka' | 'registry' | 'producer'> {
  tokens: DeviceTokens;
  queue: DeliveryQueue;
  wake: WakeBus;
  push: { registry: PushRegistry; senders: PushSender[]; vapidPublicKey?: string };
  /** Defaults to `config.region`. */
  region?: string;
  gatewayId?: string;
  clock?: Clock;
  /**
   * On a graceful stop, end every item still queued with `rejected (gateway-stopped)`: for a
   * queue that dies with the process (memory). Leave false for Redis: the next gateway goes on.
   */
  dropQueuedOnClose?: boolean;
  /** Consume `hx.deliveries.<region>` (default true); false: serve devices only. */
  consume?: boolean;
  /** Consumer tuning (tests use short session timeouts). */
  consumer?: Pick<ConsumerRunnerOptions, 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'maxWaitTimeMs'>;
}

interface DeviceSession {
  bucket: TokenBucket;
  strikes: StrikeCounter;
  expiryTimer: NodeJS.Timeout;
  link: DeviceLink | null;
  /** Set once the gateway decided to close it: what is still arriving is not processed. */
  closing: boolean;
  /** Messages that arrived after the gateway decided to close: failed when the connection is gone. */
  held: Array<(error: Error) => void>;
}

/**
 * One regional gateway: aedes (MQTT 3.1.1) over TCP and WebSocket, device auth and ACL,
 * validation at the edge, ingest to the bus with PUBACK after the bus acknowledged, and the
 * delivery side (the dispatcher) from `hx.deliveries.<region>` to device inboxes.
 */
export class Gateway {
  readonly name = 'gateway';
  readonly region: string;
  readonly gatewayId: string;
  readonly #o: GatewayOptions;
  readonly #clock: Clock;
  readonly #ingest: Ingest;
  readonly #dispatcher: Dispatcher;
  readonly #runner: ConsumerRunner;
  /** Authenticated connections. A device that reconnects has two until the old one is gone. */
  readonly #sessions = new Map<Client, DeviceSession>();
  /** Payload buffers of our inbox messages → the packet id to send them with (see authorizeForward). */
  readonly #outgoing = new WeakMap<Buffer, number>();
  #aedes: Aedes | null = null;
  #tcp: Server | null = null;
  #http: FastifyInstance | null = null;
  #wss: WebSocketServer | null = null;
  #pending = 0;
  readonly #waiters = new Fifo<() => void>();
  #closing = false;
  readonly #m;
  /** `accepted` per channel, bound once: it counts every message. */
  readonly #acceptedOn: Record<PublishChannel, HotCount>;
  /** `publishes` by reader, bound once. */
  readonly #readHere: HotCount;
  readonly #readByAedes: HotCount;

  constructor(options: GatewayOptions) {
    this.#o = options;
    this.region = options.region ?? options.config.region;
    this.gatewayId = options.gatewayId ?? `gw-${this.region}-${randomUUID().slice(0, 8)}`;
    this.#clock = options.clock ?? Date.now;
    const g = options.config.gateway;
    this.#ingest = new Ingest(options.registry, g, {
      kind: 'gateway',
      id: this.gatewayId,
      region: this.region,
    });
    this.#dispatcher = new Dispatcher({
      queue: options.queue,
      producer: options.producer,
      registry: options.registry,
      metrics: options.metrics,
      logger: options.logger,
      wake: options.wake,
      gatewayId: this.gatewayId,
      region: this.region,
      clock: this.#clock,
      inflightWindow: g.inflightWindow,
      purgeIntervalMs: g.purgeIntervalMs,
      pushGraceMs: g.pushGraceMs,
      push: options.push,
    });
    this.#runner = new ConsumerRunner({
      ...options,
      groupId: `hx-gateway-${this.region}`,
      topics: [deliveriesTopic(this.region).name],
      stage: 'gateway-delivery',
      handler: (envelope) => this.#dispatcher.accept(envelope),
      handleExpired: true,
      clock: this.#clock,
      // Items of different devices in flight at once. Each waits on the queue (with Redis: a
      // script, the commands of a turn pipelined together); fewer make a fetched batch go through
      // in waves of round trips (docs/perf.md, the e2e section: the delivery tail).
      concurrency: 256,
      ...options.consumer,
    });
    const m = options.metrics;
    this.#m = {
      connects: m.counter<'result'>({
        name: 'gateway_connects_total',
        help: 'MQTT CONNECTs by result (ok or the refusal reason)',
        labelNames: ['result'],
      }),
      rejected: m.counter<'reason' | 'channel'>({
        name: 'gateway_rejected_total',
        help: 'device messages (or single fixes) dropped at the edge, by reason code',
        labelNames: ['reason', 'channel'],
      }),
      // Per message: hot metrics (plain additions), label values bound once below.
      accepted: m.hotCounter<'channel'>({
        name: 'gateway_accepted_total',
        help: 'device messages accepted and acknowledged after the bus',
        labelNames: ['channel'],
      }),
      disconnects: m.counter<'reason'>({
        name: 'gateway_forced_disconnects_total',
        help: 'connections closed by the gateway, by reason code',
        labelNames: ['reason'],
      }),
      ackLatency: m.hotHistogram({
        name: 'gateway_ingest_ack_seconds',
        help: 'from a device PUBLISH arriving to the bus acknowledging it',
        buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1],
      }),
      pending: m.gauge({
        name: 'gateway_pending_produce',
        help: 'device records waiting for the bus',
        // Read when scraped rather than set twice per message.
        collect: (gauge) => gauge.set(this.#pending),
      }),
      backpressure: m.counter({
        name: 'gateway_backpressure_waits_total',
        help: 'device messages held (socket reads paused) because the bus fell behind',
      }),
      connected: m.gauge({ name: 'gateway_connected_devices', help: 'authenticated MQTT connections' }),
      publishes: m.hotCounter<'reader'>({
        name: 'gateway_publishes_total',
        help: 'PUBLISH packets read from devices, by who read them: their connection (QoS1 on their own topics) or aedes',
        labelNames: ['reader'],
      }),
    };
    const accepted = this.#m.accepted;
    this.#readHere = this.#m.publishes.labels('connection');
    this.#readByAedes = this.#m.publishes.labels('aedes');
    this.#acceptedOn = Object.fromEntries(PUBLISH_CHANNELS.map((c) => [c, accepted.labels(c)])) as Record<
      PublishChannel,
      HotCount
    >;
  }

  get dispatcher(): Dispatcher {
    return this.#dispatcher;
  }

  mqttUrl(): string {
    const address = this.#tcp?.address();
    if (address === null || address === undefined || typeof address === 'string')
      throw new Error('not listening');
    return `mqtt://${this.#o.config.gateway.host}:${address.port}`;
  }

  httpUrl(): string {
    const address = this.#http?.server.address();
    if (address === null || address === undefined || typeof address === 'string')
      throw new Error('not listening');
    return `http://${this.#o.config.gateway.host}:${address.port}`;
  }

  wsUrl(): string {
    return `${this.httpUrl().replace(/^http/, 'ws')}/mqtt`;
  }

  async start(): Promise<void> {
    const g = this.#o.config.gateway;
    const aedes = await Aedes.createBroker({
      id: this.gatewayId,
      persistence: new GatewayPersistence((client, messageId) => this.#onPuback(client, messageId)),
      mq: new GatewayEmitter(),
      connectTimeout: 10_000,
      preConnect: (client, packet, done) => {
        // Our delivery queue is the session state: MQTT persistent sessions would let aedes keep
        // (and resend after their deadline) copies of inbox messages.
        packet.clean = true;
        // aedes no longer reads most packets (see DeviceConnection): the connection keeps the
        // keepalive, refreshed by every byte, and aedes none.
        if (client.conn instanceof DeviceConnection) {
          client.conn.keepalive(packet.keepalive ?? 0);
          packet.keepalive = 0;
        }
        done(null, !this.#closing);
      },
      authenticate: (client, _username, password, done) => {
        void this.#authenticate(client, password).then(
          (error) => done(error, error === null),
          (err: unknown) => {
            this.#o.logger.error({ err }, 'authenticate failed');
            done(authError('server error', 3), false);
          },
        );
      },
      authorizePublish: (client, packet, done) => {
        if (client === null) return done(new Error('no client'));
        this.#onPublish(client, packet.topic, packet.payload as Buffer, done);
      },
      authorizeSubscribe: (client, subscription, done) => {
        if (maySubscribe(client.id, subscription.topic)) return done(null, { ...subscription, qos: 1 });
        this.#reject(
          client,
          'sub',
          { code: 'HX_GATEWAY_TOPIC_FORBIDDEN', reason: subscription.topic },
          false,
        );
        done(null, null); // SUBACK 0x80
      },
      // Nothing a device publishes is ever forwarded to another client; only our own inbox
      // messages go out, with the packet id the dispatcher chose.
      authorizeForward: (_client, packet) => {
        if (packet.qos === 0) return packet;
        const messageId = this.#outgoing.get(packet.payload as Buffer);
        return messageId === undefined ? null : ({ ...packet, messageId } as AedesPublishPacket);
      },
    });
    this.#aedes = aedes;
    aedes.on('clientReady', (client) => {
      if (client.conn instanceof DeviceConnection) client.conn.ready(client, client.id, client.version);
    });
    aedes.on('subscribe', (subscriptions, client) => {
      if (subscriptions.some((s) => s.topic === inboxTopic(client.id))) this.#online(client);
    });
    aedes.on('clientDisconnect', (client) => this.#offline(client));
    aedes.on('clientError', (client, err) =>
      this.#o.logger.debug({ err, deviceId: client.id }, 'client error'),
    );
    aedes.on('connectionError', (_client, err) => this.#o.logger.debug({ err }, 'connection error'));

    this.#tcp = createServer((socket) => aedes.handle(new DeviceConnection(socket, this.#publishHere)));
    await listenOn(
      g.mqttPort,
      'HX_GATEWAY_MQTT_PORT',
      () =>
        new Promise<void>((resolve, reject) => {
          this.#tcp!.once('error', reject);
          this.#tcp!.listen(g.mqttPort, g.host, () => resolve());
        }),
    );
    await this.#startHttp(aedes);
    await this.#dispatcher.start();
    if (this.#o.consume !== false) await this.#runner.start();
    this.#o.logger.info(
      { mqtt: this.mqttUrl(), ws: this.wsUrl(), http: this.httpUrl(), gateway: this.gatewayId },
      'gateway listening',
    );
  }

  async close(): Promise<void> {
    this.#closing = true;
    // Stop accepting; the server's close completes once aedes has closed the connections below.
    const tcpClosed = new Promise<void>((resolve) =>
      this.#tcp ? this.#tcp.close(() => resolve()) : resolve(),
    );
    for (const client of this.#sessions.keys()) {
      this.#notice(client, {
        type: 'disconnect',
        code: 'HX_GATEWAY_SHUTTING_DOWN',
        reason: 'gateway stopping',
        reconnect: true,
        retryAfterMs: 1000,
      });
    }
    if (this.#o.consume !== false) await this.#runner.close();
    await new Promise<void>((resolve) => (this.#aedes ? this.#aedes.close(() => resolve()) : resolve()));
    await tcpClosed;
    this.#wss?.close();
    await this.#http?.close();
    await this.#dispatcher.close();
    if (this.#o.dropQueuedOnClose) await this.#dispatcher.rejectAll('gateway-stopped');
    await this.#o.wake.close();
  }

  async #startHttp(aedes: Aedes): Promise<void> {
    const g = this.#o.config.gateway;
    const app = Fastify({
      loggerInstance: this.#o.logger.child({ component: 'gateway-http' }) as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
      childLoggerFactory: lazyRequestLogger,
      bodyLimit: 16 * 1024,
    });
    await app.register(healthPlugin, {
      metrics: this.#o.metrics,
      readiness: { mqtt: () => this.#tcp?.listening === true && !this.#closing },
    });
    installErrorHandling(app);
    app.get('/v1/push/vapid', async () => {
      const key = this.#o.push.vapidPublicKey;
      if (key === undefined) throw new HexcastError('HX_API_NOT_FOUND', 'Web Push is not configured');
      return { publicKey: key };
    });
    app.put('/v1/push', async (request, reply) => {
      const header = request.headers.authorization ?? '';
      const { sub } = await this.#deviceClaims(header.startsWith('Bearer ') ? header.slice(7) : '');
      if (!checkPushRegistration.Check(request.body)) {
        throw new HexcastError('HX_PUSH_SUBSCRIPTION_INVALID', 'expected {webpush?, fcmToken?}');
      }
      await this.#o.push.registry.set(sub, request.body);
      return reply.code(204).send();
    });
    // MQTT over WebSocket on /mqtt (subprotocol "mqtt"), sharing the HTTP port.
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: g.maxPayloadBytes + 1024,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
    });
    this.#wss = wss;
    app.server.on('upgrade', (request, socket, head) => {
      if (new URL(request.url ?? '/', 'http://x').pathname !== '/mqtt') return socket.destroy();
      wss.handleUpgrade(request, socket, head, (ws) => {
        const stream = createWebSocketStream(ws);
        stream.on('error', () => ws.terminate());
        aedes.handle(new DeviceConnection(stream, this.#publishHere), request);
      });
    });
    await listenOn(g.httpPort, 'HX_GATEWAY_HTTP_PORT', () => app.listen({ host: g.host, port: g.httpPort }));
    this.#http = app;
  }

  async #authenticate(client: Client, password: Buffer | undefined): Promise<AuthenticateError | null> {
    const refuse = (result: string, code: number, message: string) => {
      this.#m.connects.inc({ result });
      this.#logRefusal(result, message, client.id);
      return authError(message, code);
    };
    if (this.#closing) return refuse('shutting-down', 3, 'gateway stopping');
    if (password === undefined || password.length === 0)
      return refuse('token-missing', CONNACK.badCredentials, 'no token');
    let claims: DeviceClaims;
    try {
      claims = await this.#deviceClaims(password.toString('utf8'));
    } catch (error) {
      return isHexcastError(error) && error.code === 'HX_GATEWAY_REGION_MISMATCH'
        ? refuse('region-mismatch', CONNACK.notAuthorized, 'token is for another region')
        : refuse('token-invalid', CONNACK.badCredentials, 'token invalid or expired');
    }
    if (client.id !== claims.sub || !isTopicSafeId(claims.sub)) {
      return refuse('client-id-mismatch', CONNACK.identifierRejected, 'client id is not the token subject');
    }
    const now = this.#clock();
    const g = this.#o.config.gateway;
    // The connection ends when the token does: the SDK reconnects with a fresh one.
    const expiryTimer = setTimeout(
      () => {
        this.#disconnect(client, 'HX_GATEWAY_AUTH_FAILED', 'token expired', true, 0);
      },
      Math.max(0, claims.exp * 1000 - now),
    );
    expiryTimer.unref();
    this.#sessions.set(client, {
      bucket: new TokenBucket(g.ratePerSecond, g.rateBurst, now),
      strikes: new StrikeCounter(g.abuseStrikes, g.abuseWindowMs),
      expiryTimer,
      link: null,
      closing: false,
      held: [],
    });
    this.#m.connects.inc({ result: 'ok' });
    this.#m.connected.set(this.#sessions.size);
    return null;
  }

  /** A device token's claims, for this region; throws HX_GATEWAY_AUTH_FAILED or HX_GATEWAY_REGION_MISMATCH. */
  async #deviceClaims(token: string): Promise<DeviceClaims> {
    let claims: DeviceClaims;
    try {
      claims = await this.#o.tokens.verify(token, this.#clock());
    } catch (cause) {
      throw new HexcastError('HX_GATEWAY_AUTH_FAILED', 'device token invalid or expired', { cause });
    }
    if (claims.region !== this.region) {
      throw new HexcastError('HX_GATEWAY_REGION_MISMATCH', 'device token is for another region');
    }
    return claims;
  }

  /** A PUBLISH aedes read (aedes' `authorizePublish`): any topic, any QoS. */
  #onPublish(client: Client, topic: string, payload: Buffer, done: (error: Error | null) => void): void {
    this.#readByAedes.inc();
    this.#accept(client, publishChannel(client.id, topic), topic, payload, done);
  }

  /** A device's QoS1 PUBLISH on its own topic, read by its connection (see DeviceConnection). */
  readonly #publishHere: PublishHandler<Client> = (client, channel, payload, done) => {
    this.#readHere.inc();
    this.#accept(client, channel, '', payload, done);
  };

  /**
   * Validates, rate-limits and produces one device message (`channel` null: a topic the device
   * may not use); `done(null)` once the bus has it (the PUBACK is then sent), `done(null)` as
   * well for a message refused with a notice, `done(error)` when the bus did not take it (the
   * connection is closed; the device resends). Callbacks, not promises: this runs for every
   * message, and its promises and async frames were a tenth of the gateway's allocations.
   */
  #accept(
    client: Client,
    channel: PublishChannel | null,
    topic: string,
    payload: Buffer,
    done: (error: Error | null) => void,
  ): void {
    const started = performance.now();
    const session = this.#sessions.get(client);
    if (session === undefined) {
      done(new HexcastError('HX_GATEWAY_SHUTTING_DOWN', 'connection is closing'));
      return;
    }
    if (session.closing) {
      // Not processed, so never acknowledged: held until the connection is gone (failing it now
      // would drop the notices still on their way), then the device resends after reconnecting.
      session.held.push(done);
      return;
    }
    if (channel === null) {
      this.#reject(client, 'none', { code: 'HX_GATEWAY_TOPIC_FORBIDDEN', reason: topic }, true);
      done(null);
      return;
    }
    const now = this.#clock();
    if (!session.bucket.take(now)) {
      this.#reject(client, channel, { code: 'HX_GATEWAY_RATE_LIMITED', reason: 'rate limit' }, true);
      done(null);
      return;
    }
    // Reserve a slot below `maxPendingProduce`. aedes reads a socket's next chunk only after the
    // messages of the current one are done, so while messages wait here the gateway stops
    // reading device sockets instead of buffering without bound. Waiting happens before the
    // message becomes records: a waiting message costs only its packet.
    if (this.#pending < this.#o.config.gateway.maxPendingProduce) {
      this.#pending++;
      this.#ingestAndProduce(client, channel, payload, now, started, done);
    } else {
      this.#m.backpressure.inc();
      // Its connection stops reading until the message is taken.
      const connection = client.conn instanceof DeviceConnection ? client.conn : null;
      connection?.hold();
      // `#settle` counts the slot it hands over before waking the message.
      this.#waiters.push(() => {
        connection?.release();
        this.#ingestAndProduce(client, channel, payload, now, started, done);
      });
    }
  }

  /** With a slot reserved: turns the message into records and sends them (see `#onPublish`). */
  #ingestAndProduce(
    client: Client,
    channel: PublishChannel,
    payload: Buffer,
    now: number,
    started: number,
    done: (error: Error | null) => void,
  ): void {
    let result: IngestResult;
    try {
      result = this.#ingest.handle(client.id, channel, payload, now);
    } catch (err) {
      // Ingest answers bad input with a rejection; a throw is our bug: fail this message only.
      this.#settle(1);
      this.#o.logger.error({ err, deviceId: client.id }, 'ingest failed');
      done(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    for (const dropped of result.dropped) this.#m.rejected.inc({ reason: dropped.code, channel });
    if (!result.ok) {
      this.#settle(1);
      this.#reject(client, channel, result.rejection, true);
      done(null);
      return;
    }
    const { records } = result;
    const producer = this.#o.producer;
    if (records.length === 1) {
      const r = records[0]!;
      producer.enqueue(r.topic, r.key, r.value, r.ts, (error) =>
        this.#produced(error, 1, channel, started, done),
      );
      return;
    }
    // The first record uses the message's slot; the others take one each.
    this.#pending += records.length - 1;
    let waiting = records.length;
    let failed: unknown = null;
    for (const r of records) {
      producer.enqueue(r.topic, r.key, r.value, r.ts, (error) => {
        if (error !== null) failed ??= error;
        if (--waiting === 0) this.#produced(failed, records.length, channel, started, done);
      });
    }
  }

  /** A message's records are on the bus, or one failed: gives back its slots and answers aedes. */
  #produced(
    error: unknown,
    slots: number,
    channel: PublishChannel,
    started: number,
    done: (error: Error | null) => void,
  ): void {
    this.#settle(slots);
    if (error !== null) {
      // Not acknowledged: close the connection so the device resends (QoS1) to a healthy gateway.
      done(
        new HexcastError('HX_GATEWAY_BUS_UNAVAILABLE', 'the bus did not accept the message', {
          cause: error,
        }),
      );
      return;
    }
    this.#acceptedOn[channel].inc();
    this.#m.ackLatency.observe((performance.now() - started) / 1000);
    done(null);
  }

  /**
   * Gives back `count` slots and hands freed ones to waiting messages, oldest first. They run
   * from the microtask queue, not from here: a woken message that is refused settles in turn.
   */
  #settle(count: number): void {
    this.#pending -= count;
    const limit = this.#o.config.gateway.maxPendingProduce;
    while (this.#pending < limit && this.#waiters.length > 0) {
      this.#pending++;
      queueMicrotask(this.#waiters.shift());
    }
  }

  readonly #refusalsLogged = new Map<string, { at: number; suppressed: number }>();

  /** A refused CONNECT, logged at most once per reason per 10 s (with how many were not). */
  #logRefusal(result: string, message: string, deviceId: string): void {
    const now = this.#clock();
    const last = this.#refusalsLogged.get(result);
    if (last !== undefined && now - last.at < 10_000) {
      last.suppressed++;
      return;
    }
    this.#o.logger.warn(
      { result, deviceId, region: this.region, suppressedSinceLast: last?.suppressed ?? 0 },
      `device connection refused: ${message}`,
    );
    this.#refusalsLogged.set(result, { at: now, suppressed: 0 });
  }

  #reject(client: Client, channel: string, rejection: Rejection, strike: boolean): void {
    this.#m.rejected.inc({ reason: rejection.code, channel });
    this.#notice(client, {
      type: 'rejected',
      code: rejection.code,
      reason: rejection.reason,
      topic: channel,
    });
    if (strike && this.#sessions.get(client)?.strikes.strike(this.#clock())) {
      this.#disconnect(
        client,
        'HX_GATEWAY_ABUSE',
        'too many rejected messages',
        true,
        this.#o.config.gateway.abuseWindowMs,
      );
    }
  }

  #disconnect(
    client: Client,
    code: GatewayCode,
    reason: string,
    reconnect: boolean,
    retryAfterMs: number,
  ): void {
    const session = this.#sessions.get(client);
    if (session !== undefined) {
      if (session.closing) return;
      session.closing = true;
    }
    this.#m.disconnects.inc({ reason: code });
    this.#notice(client, { type: 'disconnect', code, reason, reconnect, retryAfterMs });
    // Let the notice reach the socket first.
    setImmediate(() => client.close());
  }

  #notice(client: Client, message: InboxMessage): void {
    client.publish(
      {
        cmd: 'publish',
        topic: inboxTopic(client.id),
        payload: Buffer.from(JSON.stringify(message)),
        qos: 0,
        retain: false,
        dup: false,
      },
      () => undefined,
    );
  }

  #online(client: Client): void {
    const session = this.#sessions.get(client);
    if (session === undefined) return;
    this.#notice(client, { type: 'hello', serverTime: this.#clock(), region: this.region });
    const link: DeviceLink = {
      deviceId: client.id,
      publish: (messageId, payload) => {
        this.#outgoing.set(payload, messageId);
        client.publish(
          { cmd: 'publish', topic: inboxTopic(client.id), payload, qos: 1, retain: false, dup: false },
          () => undefined,
        );
      },
    };
    session.link = link;
    this.#dispatcher.online(link);
  }

  #offline(client: Client): void {
    const session = this.#sessions.get(client);
    if (session === undefined) return;
    this.#sessions.delete(client);
    this.#m.connected.set(this.#sessions.size);
    clearTimeout(session.expiryTimer);
    for (const fail of session.held.splice(0)) fail(new Error('connection closed'));
    // A takeover's old connection: the dispatcher ignores a link that is no longer current.
    if (session.link !== null) {
      void this.#dispatcher.offline(client.id, session.link).catch((err: unknown) => {
        this.#o.logger.error({ err, deviceId: client.id }, 'releasing in-flight items failed');
      });
    }
  }

  #onPuback(client: Client, messageId: number): void {
    const session = this.#sessions.get(client);
    if (session?.link == null) return;
    void this.#dispatcher.puback(client.id, session.link, messageId).catch((err: unknown) => {
      this.#o.logger.error({ err, deviceId: client.id }, 'puback handling failed');
    });
  }
}

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** A FIFO with O(1) shift (arrays shift in O(n)): backpressure can hold many waiters. */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T {
    const item = this.#items[this.#head++] as T;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
