/**
 * Where each environment variable lands in the config tree and how its text is read.
 * One table, so the validator can name the variable behind any invalid value.
 */
export type EnvParser = 'string' | 'int' | 'number' | 'bool' | 'list';

export interface EnvBinding {
  readonly variable: string;
  readonly path: readonly string[];
  readonly parse: EnvParser;
}

export const ENV_BINDINGS: readonly EnvBinding[] = [
  { variable: 'HX_ENV', path: ['env'], parse: 'string' },
  { variable: 'HX_LOG_LEVEL', path: ['logLevel'], parse: 'string' },
  { variable: 'HX_DATA_DIR', path: ['dataDir'], parse: 'string' },
  { variable: 'HX_DEV_SEED_CITY', path: ['dev', 'seedCity'], parse: 'string' },
  { variable: 'HX_DEMO_DEVICES', path: ['dev', 'demoDevices'], parse: 'int' },
  { variable: 'HX_API_KEY', path: ['apiKey'], parse: 'string' },
  { variable: 'HX_REGION', path: ['region'], parse: 'string' },
  { variable: 'HX_REGIONS', path: ['regions'], parse: 'list' },
  { variable: 'HX_SHUTDOWN_DEADLINE_MS', path: ['shutdownDeadlineMs'], parse: 'int' },
  { variable: 'KAFKA_BROKERS', path: ['kafka', 'brokers'], parse: 'list' },
  { variable: 'HX_KAFKA_CLIENT_ID', path: ['kafka', 'clientId'], parse: 'string' },
  { variable: 'REDIS_URL', path: ['redisUrl'], parse: 'string' },
  { variable: 'DATABASE_URL', path: ['databaseUrl'], parse: 'string' },
  { variable: 'HX_BROKER_HOST', path: ['broker', 'host'], parse: 'string' },
  { variable: 'HX_BROKER_PORT', path: ['broker', 'port'], parse: 'int' },
  { variable: 'HX_BROKER_OPS_PORT', path: ['broker', 'opsPort'], parse: 'int' },
  { variable: 'HX_BROKER_ADVERTISED_HOST', path: ['broker', 'advertisedHost'], parse: 'string' },
  { variable: 'HX_BROKER_IN_MEMORY', path: ['broker', 'inMemory'], parse: 'bool' },
  { variable: 'HX_BROKER_AUTO_CREATE_TOPICS', path: ['broker', 'autoCreateTopics'], parse: 'bool' },
  { variable: 'HX_BROKER_DEFAULT_PARTITIONS', path: ['broker', 'defaultPartitions'], parse: 'int' },
  { variable: 'HX_BROKER_MAX_FRAME_BYTES', path: ['broker', 'maxFrameBytes'], parse: 'int' },
  { variable: 'HX_BROKER_MAX_MESSAGE_BYTES', path: ['broker', 'maxMessageBytes'], parse: 'int' },
  { variable: 'HX_BROKER_FLUSH', path: ['broker', 'flush'], parse: 'string' },
  { variable: 'HX_BROKER_FLUSH_INTERVAL_MS', path: ['broker', 'flushIntervalMs'], parse: 'int' },
  { variable: 'HX_BROKER_SEGMENT_BYTES', path: ['broker', 'segmentBytes'], parse: 'int' },
  { variable: 'HX_BROKER_RETENTION_MS', path: ['broker', 'retentionMs'], parse: 'int' },
  { variable: 'HX_BROKER_RETENTION_BYTES', path: ['broker', 'retentionBytes'], parse: 'int' },
  { variable: 'HX_BROKER_COMPACTION_INTERVAL_MS', path: ['broker', 'compactionIntervalMs'], parse: 'int' },
  { variable: 'HX_BROKER_TOMBSTONE_RETENTION_MS', path: ['broker', 'tombstoneRetentionMs'], parse: 'int' },
  {
    variable: 'HX_BROKER_GROUP_INITIAL_REBALANCE_DELAY_MS',
    path: ['broker', 'groupInitialRebalanceDelayMs'],
    parse: 'int',
  },
  { variable: 'HX_DEVICE_TOKEN_SECRET', path: ['auth', 'deviceTokenSecret'], parse: 'string' },
  { variable: 'HX_DEVICE_TOKEN_TTL_SECONDS', path: ['auth', 'deviceTokenTtlSeconds'], parse: 'int' },
  { variable: 'HX_API_RATE_LIMIT_PER_MINUTE', path: ['auth', 'rateLimitPerMinute'], parse: 'int' },
  { variable: 'HX_GEO_MAX_SPEED_MPS', path: ['geo', 'maxSpeedMps'], parse: 'number' },
  { variable: 'HX_GEO_STATE_TTL_MS', path: ['geo', 'stateTtlMs'], parse: 'int' },
  { variable: 'HX_OFFERS_CODE_SECRET', path: ['offers', 'codeSecret'], parse: 'string' },
  { variable: 'HX_OFFERS_MAX_DECISION_LAG_MS', path: ['offers', 'maxDecisionLagMs'], parse: 'int' },
  { variable: 'HX_OFFERS_DEVICE_CACHE_MS', path: ['offers', 'deviceCacheMs'], parse: 'int' },
  { variable: 'HX_OFFERS_CONCURRENCY', path: ['offers', 'concurrency'], parse: 'int' },
  { variable: 'HX_GATEWAY_HOST', path: ['gateway', 'host'], parse: 'string' },
  { variable: 'HX_GATEWAY_MQTT_PORT', path: ['gateway', 'mqttPort'], parse: 'int' },
  { variable: 'HX_GATEWAY_HTTP_PORT', path: ['gateway', 'httpPort'], parse: 'int' },
  { variable: 'HX_GATEWAY_MAX_PAYLOAD_BYTES', path: ['gateway', 'maxPayloadBytes'], parse: 'int' },
  { variable: 'HX_GATEWAY_MAX_FIXES_PER_BATCH', path: ['gateway', 'maxFixesPerBatch'], parse: 'int' },
  { variable: 'HX_GATEWAY_RATE_PER_SECOND', path: ['gateway', 'ratePerSecond'], parse: 'number' },
  { variable: 'HX_GATEWAY_RATE_BURST', path: ['gateway', 'rateBurst'], parse: 'int' },
  { variable: 'HX_GATEWAY_ABUSE_STRIKES', path: ['gateway', 'abuseStrikes'], parse: 'int' },
  { variable: 'HX_GATEWAY_ABUSE_WINDOW_MS', path: ['gateway', 'abuseWindowMs'], parse: 'int' },
  { variable: 'HX_GATEWAY_MAX_CLOCK_SKEW_MS', path: ['gateway', 'maxClockSkewMs'], parse: 'int' },
  { variable: 'HX_GATEWAY_MAX_FIX_AGE_MS', path: ['gateway', 'maxFixAgeMs'], parse: 'int' },
  { variable: 'HX_GATEWAY_MAX_PENDING_PRODUCE', path: ['gateway', 'maxPendingProduce'], parse: 'int' },
  { variable: 'HX_GATEWAY_QUEUE_MAX_PER_DEVICE', path: ['gateway', 'queueMaxPerDevice'], parse: 'int' },
  { variable: 'HX_GATEWAY_QUEUE_MAX_ITEMS', path: ['gateway', 'queueMaxItems'], parse: 'int' },
  { variable: 'HX_GATEWAY_INFLIGHT_WINDOW', path: ['gateway', 'inflightWindow'], parse: 'int' },
  { variable: 'HX_GATEWAY_PURGE_INTERVAL_MS', path: ['gateway', 'purgeIntervalMs'], parse: 'int' },
  { variable: 'HX_GATEWAY_PUSH_GRACE_MS', path: ['gateway', 'pushGraceMs'], parse: 'int' },
  { variable: 'HX_GATEWAY_VAPID_PUBLIC_KEY', path: ['gateway', 'vapidPublicKey'], parse: 'string' },
  { variable: 'HX_GATEWAY_VAPID_PRIVATE_KEY', path: ['gateway', 'vapidPrivateKey'], parse: 'string' },
  { variable: 'HX_GATEWAY_VAPID_SUBJECT', path: ['gateway', 'vapidSubject'], parse: 'string' },
  {
    variable: 'HX_GATEWAY_FCM_SERVICE_ACCOUNT_FILE',
    path: ['gateway', 'fcmServiceAccountFile'],
    parse: 'string',
  },
  { variable: 'HX_HTTP_HOST', path: ['http', 'host'], parse: 'string' },
  { variable: 'HX_HTTP_PORT', path: ['http', 'port'], parse: 'int' },
];
