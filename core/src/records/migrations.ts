import type { Records } from './records.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Versioned, append-only: never edit a released migration, add the next one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'api keys, campaigns with versions, devices',
    sql: `
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        role text NOT NULL CHECK (role IN ('admin', 'marketer', 'reviewer', 'care', 'merchant')),
        name text NOT NULL,
        secret_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      );
      CREATE TABLE campaigns (
        id text PRIMARY KEY,
        version integer NOT NULL,
        name text NOT NULL,
        status text NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'ended')),
        fence jsonb NOT NULL,
        dwell_ms integer NOT NULL,
        cooldown_ms integer NOT NULL,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        timezone text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      );
      CREATE TABLE campaign_versions (
        campaign_id text NOT NULL REFERENCES campaigns(id),
        version integer NOT NULL,
        body jsonb NOT NULL,
        changed_by text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (campaign_id, version)
      );
      CREATE TABLE devices (
        id text PRIMARY KEY,
        region text NOT NULL,
        platform text NOT NULL,
        registered_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_token_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: 'offer settings on campaigns, device time zone and tags, the coupon ledger',
    sql: `
      ALTER TABLE campaigns ADD COLUMN offer jsonb;
      ALTER TABLE devices ADD COLUMN timezone text;
      ALTER TABLE devices ADD COLUMN tags jsonb NOT NULL DEFAULT '[]';
      CREATE TABLE offers (
        id text PRIMARY KEY,
        code text NOT NULL UNIQUE,
        decision_id text NOT NULL UNIQUE,
        campaign_id text NOT NULL,
        device_id text NOT NULL,
        region text NOT NULL,
        issued_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'delivered', 'expired', 'rejected')),
        expired_where text,
        rejected_reason text,
        channel text,
        settled_at timestamptz,
        pushed_at timestamptz,
        received_at timestamptz,
        opened_at timestamptz,
        redeemed_at timestamptz,
        redeemed_by text,
        redemption_id text,
        score double precision NOT NULL,
        scorer text NOT NULL
      );
      CREATE INDEX offers_campaign_status ON offers (campaign_id, status);
      CREATE INDEX offers_device ON offers (device_id, issued_at)
    `,
  },
  {
    version: 3,
    name: 'the two cooldowns renamed: campaigns.exit_debounce_ms, offer.couponGapSeconds',
    sql: `
      ALTER TABLE campaigns RENAME COLUMN cooldown_ms TO exit_debounce_ms;
      UPDATE campaigns SET offer = (offer - 'cooldownSeconds') || jsonb_build_object('couponGapSeconds', offer->'cooldownSeconds')
        WHERE offer ? 'cooldownSeconds';
      UPDATE campaign_versions SET body = (body - 'cooldownSeconds') || jsonb_build_object('exitDebounceSeconds', body->'cooldownSeconds')
        WHERE body ? 'cooldownSeconds';
      UPDATE campaign_versions SET body = jsonb_set(body, '{offer}', ((body->'offer') - 'cooldownSeconds') || jsonb_build_object('couponGapSeconds', body->'offer'->'cooldownSeconds'))
        WHERE jsonb_typeof(body->'offer') = 'object' AND body->'offer' ? 'cooldownSeconds'
    `,
  },
  {
    version: 4,
    name: 'fraud: merchants and their policies, payments with decisions and reviews, the audit log partitioned by month',
    sql: `
      CREATE TABLE merchants (
        id text PRIMARY KEY,
        owner_key_id text NOT NULL,
        policy jsonb NOT NULL,
        webhook_secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE payments (
        merchant_id text NOT NULL,
        id text NOT NULL,
        idempotency_key text,
        request_hash text NOT NULL,
        body jsonb NOT NULL,
        device_id text,
        amount double precision NOT NULL,
        currency text NOT NULL,
        created_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        decision text CHECK (decision IN ('approve', 'review', 'decline')),
        score double precision,
        model_version text,
        shadow_score double precision,
        shadow_version text,
        shadow_action text,
        reasons jsonb,
        features jsonb,
        rule_hits jsonb,
        decided_at timestamptz,
        review_status text CHECK (review_status IN ('open', 'decided')),
        claimed_by text,
        lease_until timestamptz,
        final_decision text CHECK (final_decision IN ('approve', 'decline')),
        label text CHECK (label IN ('fraud', 'legit')),
        reviewed_by text,
        reviewed_at timestamptz,
        review_note text,
        PRIMARY KEY (merchant_id, id)
      );
      CREATE UNIQUE INDEX payments_idempotency ON payments (merchant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX payments_id ON payments (id);
      CREATE INDEX payments_review_queue ON payments (score DESC, decided_at) WHERE review_status = 'open';
      CREATE TABLE fraud_audit (
        merchant_id text NOT NULL,
        seq bigint NOT NULL,
        at timestamptz NOT NULL,
        kind text NOT NULL,
        payment_id text,
        body text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        PRIMARY KEY (merchant_id, seq, at)
      ) PARTITION BY RANGE (at);
      CREATE TABLE fraud_audit_heads (
        merchant_id text PRIMARY KEY,
        seq bigint NOT NULL,
        hash text NOT NULL
      );
      CREATE TABLE fraud_audit_anchors (
        merchant_id text PRIMARY KEY,
        seq bigint NOT NULL,
        hash text NOT NULL,
        pruned_before timestamptz NOT NULL
      )
    `,
  },
  {
    version: 5,
    name: 'fraud: merchant webhook deliveries (an outbox with retries and dead letters)',
    sql: `
      CREATE TABLE webhook_deliveries (
        id text PRIMARY KEY,
        merchant_id text NOT NULL,
        payment_id text NOT NULL,
        event_type text NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_merchant ON webhook_deliveries (merchant_id, status, created_at)
    `,
  },
  {
    version: 6,
    name: 'sentiment: social posts with their scores (the message DB), care alerts, the brand a campaign promotes',
    sql: `
      CREATE TABLE social_posts (
        channel text NOT NULL,
        post_id text NOT NULL,
        brand text NOT NULL,
        author_id text NOT NULL,
        created_at bigint NOT NULL,
        likes integer NOT NULL,
        shares integer NOT NULL,
        replies integer NOT NULL,
        compound real NOT NULL,
        label text NOT NULL,
        reason text,
        model_version text NOT NULL,
        post text NOT NULL,
        announced boolean NOT NULL DEFAULT false,
        received_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (channel, post_id)
      );
      CREATE INDEX social_posts_brand ON social_posts (brand, created_at);
      CREATE TABLE care_alerts (
        id text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('negative-post', 'spike')),
        brand text NOT NULL,
        channel text,
        group_key text,
        priority real NOT NULL,
        reason text,
        detail text NOT NULL,
        posts integer NOT NULL DEFAULT 1,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'resolved')),
        claimed_by text,
        lease_until timestamptz,
        first_response_at timestamptz,
        resolved_by text,
        resolved_at timestamptz,
        note text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX care_alerts_open_group ON care_alerts (brand, group_key) WHERE status <> 'resolved';
      CREATE INDEX care_alerts_queue ON care_alerts (status, priority DESC, created_at);
      ALTER TABLE campaigns ADD COLUMN brand text;
      CREATE TABLE care_alert_posts (
        channel text NOT NULL,
        post_id text NOT NULL,
        alert_id text NOT NULL REFERENCES care_alerts (id),
        PRIMARY KEY (channel, post_id)
      )
    `,
  },
  {
    version: 7,
    name: "recommendations: a 'site' API key role for websites posting clickstream events",
    sql: `
      ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
      ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
        CHECK (role IN ('admin', 'marketer', 'reviewer', 'care', 'merchant', 'site'));
    `,
  },
  {
    version: 8,
    name: 'console: dead letters an operator replayed (each once)',
    sql: `
      CREATE TABLE dlq_replays (
        dlq_partition integer NOT NULL,
        dlq_offset bigint NOT NULL,
        topic text NOT NULL,
        replayed_by text NOT NULL,
        replayed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (dlq_partition, dlq_offset)
      )
    `,
  },
  {
    version: 9,
    name: 'webhook deliveries for any target (merchants, the care system): merchant_id → target, payment_id → subject',
    sql: `
      ALTER TABLE webhook_deliveries RENAME COLUMN merchant_id TO target;
      ALTER TABLE webhook_deliveries RENAME COLUMN payment_id TO subject
    `,
  },
];

/** Applies every migration not yet applied, each in its own transaction. Returns the versions applied. */
export async function migrate(
  records: Records,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  await records.query(`CREATE TABLE IF NOT EXISTS hx_schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const done = new Set(
    (await records.query<{ version: number }>('SELECT version FROM hx_schema_migrations')).map(
      (r) => r.version,
    ),
  );
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    await records.transaction(async (tx) => {
      for (const statement of m.sql
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean))
        await tx.query(statement);
      await tx.query('INSERT INTO hx_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    });
    applied.push(m.version);
  }
  return applied;
}
