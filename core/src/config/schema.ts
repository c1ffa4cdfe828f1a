import { type Static, Type } from '@sinclair/typebox';

export const ConfigSchema = Type.Object(
  {
    env: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
      default: 'development',
    }),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    /** `auto`: readable lines in a terminal, JSON lines otherwise (a pipe, a file, a log shipper). */
    logFormat: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')], {
      default: 'auto',
    }),
    /** Root folder for everything embedded engines keep on disk. */
    dataDir: Type.String({ minLength: 1, default: '.hexcast-data' }),
    region: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', default: 'local' }),
    /**
     * Every region with a gateway: devices may be registered only in one of these (a token for
     * any other region is refused by every gateway). Unset: this process's `region` alone.
     */
    regions: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }), { minItems: 1, uniqueItems: true }),
    ),
    shutdownDeadlineMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
    kafka: Type.Object(
      {
        /** Unset: the embedded broker. Set: an external Kafka-compatible cluster. */
        brokers: Type.Optional(Type.Array(Type.String({ pattern: '^[^\\s:]+:\\d{1,5}$' }), { minItems: 1 })),
        clientId: Type.String({ minLength: 1, default: 'hexcast' }),
        /** TLS to the brokers; certificates and keys are PEM text or a path to a PEM file. */
        ssl: Type.Object(
          {
            enabled: Type.Boolean({ default: false }),
            /** CA bundle that signed the brokers' certificates; unset: the system's CAs. */
            ca: Type.Optional(Type.String({ minLength: 1 })),
            /** Client certificate and key, for brokers that ask for one (mutual TLS). */
            cert: Type.Optional(Type.String({ minLength: 1 })),
            key: Type.Optional(Type.String({ minLength: 1 })),
          },
          { default: {} },
        ),
        sasl: Type.Object(
          {
            mechanism: Type.Optional(
              Type.Union([
                Type.Literal('plain'),
                Type.Literal('scram-sha-256'),
                Type.Literal('scram-sha-512'),
              ]),
            ),
            username: Type.Optional(Type.String({ minLength: 1 })),
            password: Type.Optional(Type.String({ minLength: 1 })),
          },
          { default: {} },
        ),
      },
      { default: {} },
    ),
    redisUrl: Type.Optional(Type.String({ pattern: '^rediss?://' })),
    databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
    broker: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 9092 }),
        /** `hexcast broker`'s health and metrics (not the API's port: both often run on one host). */
        opsPort: Type.Integer({ minimum: 0, maximum: 65535, default: 9093 }),
        /** Host advertised in Metadata; defaults to `host`. */
        advertisedHost: Type.Optional(Type.String({ minLength: 1 })),
        /** Keep logs only in memory (tests). */
        inMemory: Type.Boolean({ default: false }),
        /**
         * `hexcast dev`: its consumers join the in-process broker's groups and read its logs by
         * function call instead of speaking Kafka to it over TCP (same groups, same offsets).
         */
        inProcessConsumers: Type.Boolean({ default: true }),
        autoCreateTopics: Type.Boolean({ default: true }),
        defaultPartitions: Type.Integer({ minimum: 1, maximum: 1024, default: 3 }),
        maxFrameBytes: Type.Integer({ minimum: 1024, maximum: 1 << 30, default: 100 * 1024 * 1024 }),
        maxMessageBytes: Type.Integer({ minimum: 1024, maximum: 1 << 30, default: 1024 * 1024 }),
        flush: Type.Union([Type.Literal('batch'), Type.Literal('interval')], { default: 'interval' }),
        flushIntervalMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 200 }),
        segmentBytes: Type.Integer({ minimum: 1024, maximum: 1 << 30, default: 64 * 1024 * 1024 }),
        retentionMs: Type.Integer({ minimum: -1, default: 7 * 24 * 3600 * 1000 }),
        retentionBytes: Type.Integer({ minimum: -1, default: -1 }),
        compactionIntervalMs: Type.Integer({ minimum: 100, default: 60_000 }),
        tombstoneRetentionMs: Type.Integer({ minimum: 0, default: 24 * 3600 * 1000 }),
        groupInitialRebalanceDelayMs: Type.Integer({ minimum: 0, maximum: 300_000, default: 0 }),
        minSessionTimeoutMs: Type.Integer({ minimum: 1, default: 1000 }),
        maxSessionTimeoutMs: Type.Integer({ minimum: 1, default: 1_800_000 }),
        /** A TLS listener besides the plaintext one; cert and key are PEM text or paths. */
        tls: Type.Object(
          {
            port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
            cert: Type.Optional(Type.String({ minLength: 1 })),
            key: Type.Optional(Type.String({ minLength: 1 })),
          },
          { default: {} },
        ),
        sasl: Type.Object(
          {
            /** `name:password,…`: when set, every listener requires SASL. */
            users: Type.Optional(Type.String({ minLength: 3 })),
            mechanisms: Type.Optional(
              Type.Array(
                Type.Union([
                  Type.Literal('PLAIN'),
                  Type.Literal('SCRAM-SHA-256'),
                  Type.Literal('SCRAM-SHA-512'),
                ]),
                { minItems: 1 },
              ),
            ),
          },
          { default: {} },
        ),
      },
      { default: {} },
    ),
    auth: Type.Object(
      {
        /** HS256 secret for device tokens (≥ 32 bytes); unset in dev: generated once into the data dir. */
        deviceTokenSecret: Type.Optional(Type.String({ minLength: 32 })),
        deviceTokenTtlSeconds: Type.Integer({ minimum: 60, maximum: 86_400, default: 900 }),
        rateLimitPerMinute: Type.Integer({ minimum: 1, default: 600 }),
        /**
         * How long a process trusts an API key it has checked before asking the records database
         * again: a key revoked elsewhere stops working within this time (0: every request asks).
         */
        keyCacheMs: Type.Integer({ minimum: 0, maximum: 300_000, default: 5_000 }),
        /**
         * Seals the console's session cookies (≥ 32 bytes); every API process must share it.
         * Unset outside production: generated once into the data dir.
         */
        sessionSecret: Type.Optional(Type.String({ minLength: 32 })),
        /** How long a console sign-in lasts. */
        sessionTtlMs: Type.Integer({
          minimum: 60_000,
          maximum: 7 * 24 * 3600 * 1000,
          default: 8 * 3600 * 1000,
        }),
      },
      { default: {} },
    ),
    geo: Type.Object(
      {
        maxSpeedMps: Type.Number({ exclusiveMinimum: 0, default: 100 }),
        stateTtlMs: Type.Integer({ minimum: 1000, default: 24 * 3600 * 1000 }),
      },
      { default: {} },
    ),
    offers: Type.Object(
      {
        /** HMAC secret for coupon codes (≥ 32 bytes); unset in dev: generated once into the data dir. */
        codeSecret: Type.Optional(Type.String({ minLength: 32 })),
        /** A geo event older than this when it reaches the offer worker gets no coupon (counted `stale`). */
        maxDecisionLagMs: Type.Integer({ minimum: 1000, default: 60_000 }),
        /** How long the worker caches a device's region, time zone and tags. */
        deviceCacheMs: Type.Integer({ minimum: 0, default: 60_000 }),
        /** Geo events decided in parallel (per-device order is kept). */
        concurrency: Type.Integer({ minimum: 1, maximum: 10_000, default: 64 }),
        /** How long a delivery receipt waits for others to share the ledger's transaction. */
        receiptLingerMs: Type.Integer({ minimum: 0, maximum: 10_000, default: 100 }),
      },
      { default: {} },
    ),
    fraud: Type.Object(
      {
        /** Payments scored in parallel (per-key order is kept). */
        concurrency: Type.Integer({ minimum: 1, maximum: 10_000, default: 64 }),
        /** How long a device's fraud risk is remembered for the offer engine's `Signals.deviceRisk`. */
        deviceRiskTtlMs: Type.Integer({ minimum: 1000, default: 24 * 3600_000 }),
        /** How long a reviewer's claim on a payment lasts. */
        reviewLeaseMs: Type.Integer({ minimum: 1000, default: 15 * 60_000 }),
        /** A review open longer than this is overdue (the SLA clock). */
        reviewSlaMs: Type.Integer({ minimum: 60_000, default: 4 * 3600_000 }),
        /** How long `POST /v1/payments` waits for the decision before answering 202 (0: never waits). */
        decisionWaitMs: Type.Integer({ minimum: 0, maximum: 30_000, default: 2_000 }),
      },
      { default: {} },
    ),
    sentiment: Type.Object(
      {
        /** Posts scored in parallel (per-key order is kept). */
        concurrency: Type.Integer({ minimum: 1, maximum: 10_000, default: 64 }),
        /**
         * Bytes of posts the worker's fetch waits for, up to `fetchMaxWaitMs`, before it answers
         * (~45 airline tweets): a busy stream is handled in bigger batches, fewer statements a post.
         */
        fetchMinBytes: Type.Integer({ minimum: 1, maximum: 16 << 20, default: 32_768 }),
        /** How long a fetch waits for `fetchMinBytes` before it answers with what there is. */
        fetchMaxWaitMs: Type.Integer({ minimum: 1, maximum: 30_000, default: 20 }),
        /**
         * The brands to watch, as JSON: `[{"id", "name", "aliases"?, "handles"?, "misspellings"?,
         * "products"?}]`. Unset: the six US airlines of the demo data.
         */
        brands: Type.Optional(Type.String({ minLength: 2 })),
        /** Generic signed webhook channels: `channel=secret` pairs (secret ≥ 16 characters). */
        webhookSecrets: Type.Array(Type.String(), { default: [] }),
        /** Facebook/Instagram Graph webhooks: the app secret (X-Hub-Signature-256) and the verify token. */
        graphAppSecret: Type.Optional(Type.String({ minLength: 8 })),
        graphVerifyToken: Type.Optional(Type.String({ minLength: 1 })),
        /** X API v2 filtered stream: the bearer token (unset: no X connector) and the API's base URL. */
        xBearerToken: Type.Optional(Type.String({ minLength: 1 })),
        xApiUrl: Type.String({ minLength: 1, default: 'https://api.x.com' }),
        /** A negative post raises a care alert at or above this influence (log10 followers + log10 engagement). */
        alertMinInfluence: Type.Number({ minimum: 0, default: 1 }),
        /** How long a care agent's claim on an alert lasts. */
        alertLeaseMs: Type.Integer({ minimum: 1000, default: 15 * 60_000 }),
        /** The care system's endpoint: every new alert is posted there, signed, retried, dead-lettered. */
        careWebhookUrl: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2000 })),
        /** Signs the care webhook (`Hexcast-Signature`); required with the URL. */
        careWebhookSecret: Type.Optional(Type.String({ minLength: 16 })),
        /** Attempts before a care webhook delivery is dead. */
        careWebhookMaxAttempts: Type.Integer({ minimum: 1, maximum: 50, default: 8 }),
        /** Spike detector: posts a minute needs, and how far its negative share must rise above the baseline. */
        spikeMinPosts: Type.Integer({ minimum: 1, default: 20 }),
        spikeMargin: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.25 }),
        /** Shard posts over these MySQL/MariaDB databases (`mysql://…`); empty: the records database. */
        postsDbUrls: Type.Array(Type.String(), { default: [] }),
      },
      { default: {} },
    ),
    console: Type.Object(
      {
        /**
         * A basemap tile URL (`https://…/{z}/{x}/{y}.png`); unset: no tiles (the map draws on a
         * plain projected background), so the console works with no internet access.
         */
        tileUrl: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 500 })),
        tileAttribution: Type.Optional(Type.String({ maxLength: 500 })),
        /** The built console (`console/dist`); unset: found next to this package. */
        dir: Type.Optional(Type.String({ minLength: 1 })),
        /** Live events the API keeps for SSE clients resuming with `Last-Event-ID`. */
        replayEvents: Type.Integer({ minimum: 100, maximum: 100_000, default: 5_000 }),
      },
      { default: {} },
    ),
    recommendations: Type.Object(
      {
        /** A session's clicks and stored list expire this long after its last click (30 min). */
        sessionTtlMs: Type.Integer({ minimum: 1000, default: 30 * 60_000 }),
        /** Clicks kept per session: what the session scorer reads. */
        sessionClicks: Type.Integer({ minimum: 1, maximum: 200, default: 20 }),
        /** Items computed and stored per session. */
        listSize: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
        /** A list pushed to an app's inbox is dropped unshown after this long (60 s). */
        pushTtlMs: Type.Integer({ minimum: 1000, default: 60_000 }),
        /** Clicks handled in parallel (per-key order is kept). */
        concurrency: Type.Integer({ minimum: 1, maximum: 10_000, default: 64 }),
        /**
         * Worker threads that score sessions for the recommendations worker (0: its own thread).
         * The lists are the same either way. A thread pays off only where the worker's event loop
         * is saturated and a core is spare: on two shared cores it made clicks wait (docs/perf.md).
         */
        scoringThreads: Type.Integer({ minimum: 0, maximum: 64, default: 0 }),
        /**
         * An app user's products stocked in a store near them (`stockedIn`) have their score
         * multiplied by 1 + this in their list (0: no boost). Near: within `nearbyRings` H3 rings
         * of the cell of their last location, if that is at most `nearbyMaxAgeMs` old (30 min).
         */
        nearbyBoost: Type.Number({ minimum: 0, maximum: 100, default: 0.5 }),
        nearbyRings: Type.Integer({ minimum: 0, maximum: 10, default: 1 }),
        nearbyMaxAgeMs: Type.Integer({ minimum: 1000, default: 30 * 60_000 }),
        /** Events per `POST /v1/events` request. */
        maxEventsPerRequest: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
      },
      { default: {} },
    ),
    gateway: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        /** MQTT over TCP. 1884 rather than 1883, which a system Mosquitto often holds. */
        mqttPort: Type.Integer({ minimum: 0, maximum: 65535, default: 1884 }),
        /** MQTT over WebSocket, path `/mqtt`, served by the gateway's HTTP server. */
        httpPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8084 }),
        maxPayloadBytes: Type.Integer({ minimum: 256, maximum: 1 << 20, default: 16_384 }),
        maxFixesPerBatch: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        /** Token bucket per device: sustained messages per second and burst. */
        ratePerSecond: Type.Number({ exclusiveMinimum: 0, default: 20 }),
        rateBurst: Type.Integer({ minimum: 1, default: 100 }),
        /** Rejections within `abuseWindowMs` after which the device is disconnected. */
        abuseStrikes: Type.Integer({ minimum: 1, default: 50 }),
        abuseWindowMs: Type.Integer({ minimum: 1000, default: 60_000 }),
        /** How far a fix's timestamp may be ahead of the gateway clock, and how old it may be. */
        maxClockSkewMs: Type.Integer({ minimum: 0, default: 5 * 60_000 }),
        maxFixAgeMs: Type.Integer({ minimum: 1000, default: 24 * 3600_000 }),
        /** Records waiting for the bus before the gateway stops reading device sockets. */
        maxPendingProduce: Type.Integer({ minimum: 1, default: 5_000 }),
        queueMaxPerDevice: Type.Integer({ minimum: 1, default: 100 }),
        queueMaxItems: Type.Integer({ minimum: 1, default: 1_000_000 }),
        /** Inbox messages sent but not yet PUBACKed per device. */
        inflightWindow: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
        purgeIntervalMs: Type.Integer({ minimum: 10, default: 1000 }),
        /** A device offline this long after an item arrives gets it through push, if registered. */
        pushGraceMs: Type.Integer({ minimum: 0, default: 30_000 }),
        vapidPublicKey: Type.Optional(Type.String({ minLength: 1 })),
        vapidPrivateKey: Type.Optional(Type.String({ minLength: 1 })),
        vapidSubject: Type.String({ minLength: 1, default: 'mailto:ops@hexcast.local' }),
        /** FCM: a service-account JSON file; unset disables the FCM fallback. */
        fcmServiceAccountFile: Type.Optional(Type.String({ minLength: 1 })),
      },
      { default: {} },
    ),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
      },
      { default: {} },
    ),
    /** What `hexcast dev` adds for a first look. */
    dev: Type.Object(
      {
        /** The demo city seeded into an empty install (a preset name or a city file); `none` skips it. */
        seedCity: Type.String({ minLength: 1, default: 'paris' }),
        /** Simulated devices on the real SDK run alongside (`npm run demo`: 200). */
        demoDevices: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
        /**
         * Labelled airline tweets a second played through an X stand-in at `HX_X_API_URL` (which
         * must be a local port) for the sentiment pipeline (`npm run demo`: 5).
         */
        demoSocialRate: Type.Integer({ minimum: 0, maximum: 10_000, default: 0 }),
        /**
         * The labelled tweets the demo plays (the airline CSV of `shared/data/sentiment/airline/`);
         * unset: looked for in a `shared/data` beside the checkout.
         */
        demoSocialData: Type.Optional(Type.String({ minLength: 1 })),
      },
      { default: {} },
    ),
    /** The API key CLI commands that call the API use (`hexcast simulate`); else `<dataDir>/admin.key`. */
    apiKey: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export type HexcastConfig = Static<typeof ConfigSchema>;
