/**
 * The stateful half of an offer decision, done in one atomic step: budget left, caps not
 * reached, cooldown over, not already holding an unexpired coupon of the campaign — and if so,
 * spend. The time-only rules (campaign live now, quiet hours) are pure functions checked first.
 * Every decision has an id (the triggering geo event's): asking again returns the first answer
 * and spends nothing, so replays never issue twice.
 */
export interface OfferLimits {
  /** Coupons the campaign may issue in all. */
  budget: number;
  /** Coupons one device may get from this campaign, ever. */
  capPerDevice: number;
  /** Coupons one device may get per local day, across campaigns. */
  capPerDevicePerDay: number;
  /** Time after a coupon before the device may get another from this campaign. */
  couponGapMs: number;
}

/** One campaign a decision may issue, with its limits. */
export interface Candidate {
  campaignId: string;
  /** When the coupon would expire (the device holds it until then). */
  expiresAt: number;
  limits: OfferLimits;
}

export interface IssueRequest {
  decisionId: string;
  deviceId: string;
  /** The device's local date (`YYYY-MM-DD`), for the daily cap. */
  day: string;
  now: number;
  /** In rank order: the first one allowed is issued, no other. */
  candidates: readonly Candidate[];
}

export type RefusalReason = 'budget-exhausted' | 'device-cap' | 'daily-cap' | 'cooldown' | 'holding';

export type IssueResult =
  | { issued: true; campaignId: string; refused: Array<[campaignId: string, reason: RefusalReason]> }
  | { issued: false; refused: Array<[campaignId: string, reason: RefusalReason]> };

export interface EligibilityStore {
  /** Issues the first allowed candidate, atomically; a repeated decision id gets the first answer. */
  tryIssue(request: IssueRequest): Promise<IssueResult>;
  /** Coupons issued so far by a campaign. */
  spent(campaignId: string): Promise<number>;
}

/**
 * What the embedded store must know again after a restart, read from the coupon ledger (the
 * Redis store keeps it in Redis): coupons per campaign, per campaign and device, per device and
 * local day.
 */
export interface EligibilityHistory {
  spent: Array<{ campaignId: string; count: number }>;
  devices: Array<{
    campaignId: string;
    deviceId: string;
    count: number;
    lastAt: number;
    holdingUntil: number;
  }>;
  daily: Array<{ deviceId: string; day: string; count: number }>;
}

/** How long decisions and daily counters are remembered. */
export const DECISION_TTL_MS = 48 * 3600_000;

interface DeviceCampaign {
  count: number;
  lastAt: number;
  holdingUntil: number;
}

/**
 * In-process eligibility (`hexcast dev`, one offers worker). Budgets and caps guard money: at start
 * the worker restores them from the ledger (`restore`), so a restart does not hand a device a
 * second coupon its cap forbids or overspend a budget.
 */
export class MemoryEligibilityStore implements EligibilityStore {
  readonly #spent = new Map<string, number>();
  readonly #perDevice = new Map<string, DeviceCampaign>();
  readonly #daily = new Map<string, number>();
  readonly #decisions = new Map<string, { result: IssueResult; until: number }>();

  /** Takes the counters from the ledger (replacing what is held). */
  restore(history: EligibilityHistory): void {
    this.#spent.clear();
    this.#perDevice.clear();
    this.#daily.clear();
    for (const s of history.spent) this.#spent.set(s.campaignId, s.count);
    for (const d of history.devices)
      this.#perDevice.set(`${d.campaignId}|${d.deviceId}`, {
        count: d.count,
        lastAt: d.lastAt,
        holdingUntil: d.holdingUntil,
      });
    for (const d of history.daily) this.#daily.set(`${d.deviceId}|${d.day}`, d.count);
  }

  async tryIssue(r: IssueRequest): Promise<IssueResult> {
    const known = this.#decisions.get(r.decisionId);
    if (known !== undefined && known.until > r.now) return known.result;
    const result = this.#decide(r);
    this.#decisions.set(r.decisionId, { result, until: r.now + DECISION_TTL_MS });
    if (this.#decisions.size > 1_000_000)
      this.#decisions.delete(this.#decisions.keys().next().value as string);
    return result;
  }

  async spent(campaignId: string): Promise<number> {
    return this.#spent.get(campaignId) ?? 0;
  }

  #decide(r: IssueRequest): IssueResult {
    const dayKey = `${r.deviceId}|${r.day}`;
    const today = this.#daily.get(dayKey) ?? 0;
    const refused: Array<[string, RefusalReason]> = [];
    for (const c of r.candidates) {
      const spent = this.#spent.get(c.campaignId) ?? 0;
      const key = `${c.campaignId}|${r.deviceId}`;
      const device = this.#perDevice.get(key) ?? {
        count: 0,
        lastAt: Number.NEGATIVE_INFINITY,
        holdingUntil: 0,
      };
      const reason: RefusalReason | null =
        spent >= c.limits.budget
          ? 'budget-exhausted'
          : device.holdingUntil > r.now
            ? 'holding'
            : device.count >= c.limits.capPerDevice
              ? 'device-cap'
              : today >= c.limits.capPerDevicePerDay
                ? 'daily-cap'
                : r.now - device.lastAt < c.limits.couponGapMs
                  ? 'cooldown'
                  : null;
      if (reason !== null) {
        refused.push([c.campaignId, reason]);
        continue;
      }
      this.#spent.set(c.campaignId, spent + 1);
      this.#perDevice.set(key, { count: device.count + 1, lastAt: r.now, holdingUntil: c.expiresAt });
      this.#daily.set(dayKey, today + 1);
      return { issued: true, campaignId: c.campaignId, refused };
    }
    return { issued: false, refused };
  }
}
