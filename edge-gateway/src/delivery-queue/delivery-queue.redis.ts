import { RedisScript } from '@hexcast/core';
import type { Redis } from 'ioredis';
import type {
  DeliveryItem,
  DeliveryQueue,
  ExpiredItem,
  ExpiredWhere,
  RejectReason,
} from './delivery-queue.js';

const lua = (name: string) => new URL(`./lua/${name}.lua`, import.meta.url);
const script = (name: string, keys: number) => new RedisScript(lua(name), keys);
/** Scripts that claim share the claim's function (`claim-items.lua`). */
const claiming = (name: string, keys: number) => new RedisScript([lua('claim-items'), lua(name)], keys);
const SCRIPTS = {
  enqueue: claiming('enqueue', 5),
  claim: claiming('claim', 3),
  ack: script('ack', 3),
  release: script('release', 2),
  markPushed: script('mark-pushed', 2),
  purge: script('purge', 3),
};

export interface RedisDeliveryQueueOptions {
  redis: Redis;
  /** One namespace per region: every key carries it as the hash tag, so one region is one cluster slot. */
  namespace: string;
  prefix?: string;
  maxPerDevice?: number;
  maxItems?: number;
  /** How long an id is remembered past its deadline, so a redelivered record is a duplicate. */
  rememberMs?: number;
}

/**
 * Delivery queues in Redis, shared by every gateway of a region: a restarted gateway loses
 * nothing, and any gateway can enqueue for a device connected to another. Each transition is
 * one Lua script (`delivery/lua/`), so two gateways never hand out or account an item twice.
 *
 * Keys (`P` = `<prefix>dq:{<namespace>}:`): `P items` (hash id → JSON), `P q:<device>` (queued
 * ids), `P f:<device>` (in-flight ids), `P deadlines` (zset), `P seen` (zset, bounded by time).
 */
export class RedisDeliveryQueue implements DeliveryQueue {
  readonly #redis: Redis;
  readonly #p: string;
  readonly maxPerDevice: number;
  readonly maxItems: number;
  readonly #rememberMs: number;

  constructor(options: RedisDeliveryQueueOptions) {
    this.#redis = options.redis;
    this.#p = `${options.prefix ?? 'hx:'}dq:{${options.namespace}}:`;
    this.maxPerDevice = options.maxPerDevice ?? 100;
    this.maxItems = options.maxItems ?? 1_000_000;
    this.#rememberMs = options.rememberMs ?? 3_600_000;
  }

  async enqueue(
    item: DeliveryItem,
    now: number,
  ): Promise<{ accepted: true } | { accepted: false; reason: RejectReason }> {
    const result = (await this.#enqueue(item, now, 0)) as string;
    return result === 'ok' ? { accepted: true } : { accepted: false, reason: result as RejectReason };
  }

  async enqueueAndClaim(
    item: DeliveryItem,
    now: number,
    max: number,
  ): Promise<{ accepted: true; claimed: DeliveryItem[] } | { accepted: false; reason: RejectReason }> {
    const result = (await this.#enqueue(item, now, max)) as string | string[];
    if (typeof result === 'string')
      return result === 'ok'
        ? { accepted: true, claimed: [] }
        : { accepted: false, reason: result as RejectReason };
    return { accepted: true, claimed: result.slice(1).map((json) => JSON.parse(json) as DeliveryItem) };
  }

  #enqueue(item: DeliveryItem, now: number, claim: number): Promise<unknown> {
    return SCRIPTS.enqueue.run(
      this.#redis,
      [
        this.#k('items'),
        this.#q(item.deviceId),
        this.#f(item.deviceId),
        this.#k('deadlines'),
        this.#k('seen'),
      ],
      [
        item.id,
        item.expiresAt,
        JSON.stringify(item),
        now,
        this.maxPerDevice,
        this.maxItems,
        this.#rememberMs,
        claim,
      ],
    );
  }

  async claim(deviceId: string, now: number, max: number): Promise<DeliveryItem[]> {
    const claimed = (await SCRIPTS.claim.run(
      this.#redis,
      [this.#k('items'), this.#q(deviceId), this.#f(deviceId)],
      [now, max],
    )) as string[];
    return claimed.map((json) => JSON.parse(json) as DeliveryItem);
  }

  async ack(deviceId: string, itemId: string, now: number): Promise<boolean> {
    const result = await SCRIPTS.ack.run(
      this.#redis,
      [this.#k('items'), this.#f(deviceId), this.#k('deadlines')],
      [itemId, now],
    );
    return result === 1;
  }

  async release(deviceId: string): Promise<number> {
    return (await SCRIPTS.release.run(this.#redis, [this.#q(deviceId), this.#f(deviceId)], [])) as number;
  }

  async markPushed(deviceId: string, itemId: string, now: number): Promise<DeliveryItem | null> {
    const json = (await SCRIPTS.markPushed.run(
      this.#redis,
      [this.#k('items'), this.#q(deviceId)],
      [itemId, now],
    )) as string | null;
    return json === null ? null : (JSON.parse(json) as DeliveryItem);
  }

  async purgeExpired(now: number, limit: number): Promise<ExpiredItem[]> {
    const flat = (await SCRIPTS.purge.run(
      this.#redis,
      [this.#k('items'), this.#k('deadlines'), this.#k('seen')],
      [now, limit, this.#p],
    )) as string[];
    const out: ExpiredItem[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      out.push({ item: JSON.parse(flat[i]!) as DeliveryItem, where: flat[i + 1] as ExpiredWhere });
    }
    return out;
  }

  async size(deviceId: string): Promise<number> {
    const [[, q], [, f]] = (await this.#redis
      .multi()
      .llen(this.#q(deviceId))
      .llen(this.#f(deviceId))
      .exec()) as [[unknown, number], [unknown, number]];
    return q + f;
  }

  #k(name: string): string {
    return `${this.#p}${name}`;
  }

  #q(deviceId: string): string {
    return `${this.#p}q:${deviceId}`;
  }

  #f(deviceId: string): string {
    return `${this.#p}f:${deviceId}`;
  }
}
