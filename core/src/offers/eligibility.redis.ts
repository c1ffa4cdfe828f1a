import type { Redis } from 'ioredis';
import { RedisScript } from '../redis/index.js';
import {
  DECISION_TTL_MS,
  type EligibilityStore,
  type IssueRequest,
  type IssueResult,
  type RefusalReason,
} from './eligibility.js';

const tryIssueScript = new RedisScript(new URL('./lua/try-issue.lua', import.meta.url), 'variadic');

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
    const keys = [`${this.#p}decision:${r.decisionId}`, `${this.#p}daily:${r.deviceId}:${r.day}`];
    const args: Array<string | number> = [r.now, DECISION_TTL_MS, r.candidates.length];
    for (const c of r.candidates) {
      keys.push(`${this.#p}spent:${c.campaignId}`, `${this.#p}device:${c.campaignId}:${r.deviceId}`);
      args.push(
        c.campaignId,
        c.expiresAt,
        c.limits.budget,
        c.limits.capPerDevice,
        c.limits.capPerDevicePerDay,
        c.limits.couponGapMs,
      );
    }
    const answer = JSON.parse((await tryIssueScript.run(this.redis, keys, args)) as string) as {
      issued?: string;
      refused: Array<[string, RefusalReason]> | Record<string, never>;
    };
    const refused = Array.isArray(answer.refused) ? answer.refused : [];
    return answer.issued === undefined
      ? { issued: false, refused }
      : { issued: true, campaignId: answer.issued, refused };
  }

  async spent(campaignId: string): Promise<number> {
    return Number((await this.redis.get(`${this.#p}spent:${campaignId}`)) ?? 0);
  }
}
