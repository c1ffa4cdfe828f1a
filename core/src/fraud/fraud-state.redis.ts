import type { Redis } from 'ioredis';
import { RedisScript } from '../redis/index.js';
import {
  DEFAULT_RETENTION,
  type EntityHistory,
  type EntityObservation,
  type FraudStateStore,
  type StateRetention,
} from './fraud-state.js';

const OBSERVE = new RedisScript(new URL('./lua/observe-entity.lua', import.meta.url), 4);
const RAISE_RISK = new RedisScript(new URL('./lua/raise-risk.lua', import.meta.url), 1);

/**
 * The Redis engine: one Lua call per entity (`lua/observe-entity.lua`), every key of an entity
 * under one hash tag (`hx:fraud:{card:…}:…`), so each call is atomic on its key and Redis
 * Cluster can place entities anywhere. A payment's calls go out together (one round trip).
 */
export class RedisFraudState implements FraudStateStore {
  readonly #retention: StateRetention;

  constructor(
    readonly redis: Redis,
    readonly prefix = 'hx:fraud',
    retention: StateRetention = DEFAULT_RETENTION,
  ) {
    this.#retention = retention;
  }

  async observe(observations: readonly EntityObservation[]): Promise<EntityHistory[]> {
    const { windowMs, stateMs, maxEvents, auxMs, replayMs } = this.#retention;
    const answers = await Promise.all(
      observations.map((o) => {
        const tag = `${this.prefix}:{${o.kind}:${o.id}}`;
        return OBSERVE.run(
          this.redis,
          [`${tag}:ev`, `${tag}:p:${o.paymentId}`, `${tag}:meta`, `${tag}:aux`],
          [
            o.at,
            o.paymentId,
            o.amount,
            o.aux ?? '',
            o.position?.lat ?? '',
            o.position?.lng ?? '',
            windowMs,
            stateMs,
            auxMs[o.kind] ?? windowMs,
            maxEvents,
            replayMs,
          ],
        );
      }),
    );
    return answers.map((a) => parseHistory(a as string));
  }

  async recordLabel(merchantId: string, fraud: boolean): Promise<void> {
    const key = `${this.prefix}:{merchant:${merchantId}}:labels`;
    await this.redis
      .multi()
      .hincrby(key, 'labelled', 1)
      .hincrby(key, 'frauds', fraud ? 1 : 0)
      .pexpire(key, this.#retention.stateMs)
      .exec();
  }

  async labels(merchantId: string): Promise<{ labelled: number; frauds: number }> {
    const [labelled, frauds] = await this.redis.hmget(
      `${this.prefix}:{merchant:${merchantId}}:labels`,
      'labelled',
      'frauds',
    );
    return { labelled: Number(labelled ?? 0), frauds: Number(frauds ?? 0) };
  }

  async raiseDeviceRisk(deviceId: string, risk: number, ttlMs: number): Promise<void> {
    await RAISE_RISK.run(this.redis, [`${this.prefix}:{device:${deviceId}}:risk`], [risk, ttlMs]);
  }

  async deviceRisk(deviceId: string): Promise<number | null> {
    const value = await this.redis.get(`${this.prefix}:{device:${deviceId}}:risk`);
    return value === null ? null : Number(value);
  }
}

function parseHistory(json: string): EntityHistory {
  const h = JSON.parse(json) as EntityHistory;
  // cjson encodes an empty table as {}: `last` is null or a position, never empty.
  return { ...h, last: h.last === null || h.last?.lat === undefined ? null : h.last };
}
