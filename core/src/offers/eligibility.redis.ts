import type { Redis } from 'ioredis';
import { RedisScript } from '../state/redis-scripts.js';
import {
  DECISION_TTL_MS,
  type EligibilityStore,
  type IssueRequest,
  type IssueResult,
  type RefusalReason,
} from './eligibility.js';

const tryIssueScript = new RedisScript(new URL('./lua/try-issue.lua', import.meta.url), 4);

/**
 * Eligibility in Redis, shared by every offer worker: one Lua script per decision, so two
 * workers never overspend a budget or exceed a cap. All keys share one hash tag (one Cluster
 * slot): correctness over spreading this small, hot state.
 */
export class RedisEligibilityStore implements EligibilityStore {
  readonly #p: string;

  constructor(
    readonly redis: Redis,
    prefix = 'hx:',
  ) {
    this.#p = `${prefix}offer:{hx-offers}:`;
  }

  async tryIssue(r: IssueRequest): Promise<IssueResult> {
    const answer = (await tryIssueScript.run(
      this.redis,
      [
        `${this.#p}decision:${r.decisionId}`,
        `${this.#p}spent:${r.campaignId}`,
        `${this.#p}device:${r.campaignId}:${r.deviceId}`,
        `${this.#p}daily:${r.deviceId}:${r.day}`,
      ],
      [
        r.now,
        r.expiresAt,
        r.limits.budget,
        r.limits.capPerDevice,
        r.limits.capPerDevicePerDay,
        r.limits.cooldownMs,
        DECISION_TTL_MS,
      ],
    )) as string;
    return answer === 'ok' ? { issued: true } : { issued: false, reason: answer as RefusalReason };
  }

  async spent(campaignId: string): Promise<number> {
    return Number((await this.redis.get(`${this.#p}spent:${campaignId}`)) ?? 0);
  }
}
