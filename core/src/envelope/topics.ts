import { HexcastError } from '../errors/index.js';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** What the record key is; it decides per-key ordering. */
  readonly key: string;
  /** Log compaction (latest value per key) instead of time retention. */
  readonly compacted: boolean;
  readonly description: string;
}

/** Every topic Hexcast uses, in one place. `hx.deliveries.<region>` is per region: see `deliveriesTopic`. */
export const TOPICS = {
  locations: spec('hx.locations', 12, 'deviceId', 'device location fixes from the gateways'),
  clicks: spec('hx.clicks', 12, 'deviceId', 'clickstream from devices'),
  geoEvents: spec('hx.geo-events', 12, 'deviceId', 'fence enter / exit / dwell'),
  offers: spec('hx.offers', 12, 'deviceId', 'coupons issued by the offer engine'),
  receipts: spec('hx.receipts', 12, 'deviceId', 'delivered / expired / rejected / opened / redeemed'),
  payments: spec('hx.payments', 12, 'paymentId', 'payments submitted by merchants'),
  fraudDecisions: spec(
    'hx.fraud-decisions',
    12,
    'paymentId',
    "approve / review / decline, and reviewers' final decisions",
  ),
  socialPosts: spec('hx.social-posts', 6, 'brand', 'standard social posts from the channel connectors'),
  sentiment: spec('hx.sentiment', 6, 'brand', 'scored posts (one per post), read by the live summary'),
  alerts: spec('hx.alerts', 3, 'alertId', 'care alerts: influential negative posts and sentiment spikes'),
  recommendations: spec(
    'hx.recommendations',
    12,
    'sessionId',
    "a session's recommendation list, recomputed on each click",
  ),
  products: spec('hx.products', 3, 'productId', 'the product catalogue: category, price, availability', true),
  models: spec('hx.models', 1, 'modelName', 'published model versions', true),
  campaigns: spec('hx.campaigns', 3, 'campaignId', 'campaign definitions', true),
  dlq: spec('hx.dlq', 3, 'original key', 'records that could not be processed, with a reason code'),
} as const satisfies Record<string, TopicSpec>;

export type TopicId = keyof typeof TOPICS;

const DELIVERIES_PARTITIONS = 12;
const REGION = /^[a-z][a-z0-9-]{0,31}$/;

/** The per-region delivery topic a gateway consumes. */
export function deliveriesTopic(region: string): TopicSpec {
  if (!REGION.test(region)) {
    throw new HexcastError('HX_TOPIC_REGION_INVALID', `invalid region name ${JSON.stringify(region)}`, {
      details: { region },
    });
  }
  return spec(`hx.deliveries.${region}`, DELIVERIES_PARTITIONS, 'deviceId', `deliveries to region ${region}`);
}

/** The catalogue for a deployment: every fixed topic plus one delivery topic per region. */
export function topicCatalogue(regions: readonly string[]): TopicSpec[] {
  return [...Object.values(TOPICS), ...regions.map(deliveriesTopic)];
}

export function topicByName(name: string): TopicSpec {
  const fixed = Object.values(TOPICS).find((t) => t.name === name);
  if (fixed !== undefined) return fixed;
  if (name.startsWith('hx.deliveries.')) return deliveriesTopic(name.slice('hx.deliveries.'.length));
  throw new HexcastError('HX_TOPIC_UNKNOWN', `unknown topic ${name}`, { details: { topic: name } });
}

function spec(
  name: string,
  partitions: number,
  key: string,
  description: string,
  compacted = false,
): TopicSpec {
  return Object.freeze({ name, partitions, key, compacted, description });
}
