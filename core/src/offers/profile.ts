/**
 * What the offer engine knows of a device's behaviour: clicks per product category, coupons
 * issued and redeemed. Fed by `hx.clicks`, by issuing and by redemptions; each change carries
 * the id of the event that caused it and is applied once, so replays never double-count.
 */
export interface DeviceProfile {
  clicks: Record<string, number>;
  totalClicks: number;
  offers: number;
  redemptions: number;
}

export interface ProfileChange {
  /** A click in this category (null: a click without a category: counts in the total only). */
  click?: string | null;
  offer?: true;
  redemption?: true;
}

export interface ProfileStore {
  get(deviceId: string): Promise<DeviceProfile>;
  /** Applies `change` unless `eventId` was applied to this device before. Returns whether it applied. */
  record(deviceId: string, eventId: string, change: ProfileChange): Promise<boolean>;
}

export const emptyProfile = (): DeviceProfile => ({ clicks: {}, totalClicks: 0, offers: 0, redemptions: 0 });

/** Profiles (and the ids applied) are forgotten after this long without a change. */
export const PROFILE_TTL_MS = 90 * 86_400_000;
/** Applied event ids are remembered this long per device (replays older than that would re-count). */
export const PROFILE_SEEN_TTL_MS = 7 * 86_400_000;

/** In-process profiles (one worker; tests), bounded by a device count (oldest dropped). */
export class MemoryProfileStore implements ProfileStore {
  readonly #profiles = new Map<string, { profile: DeviceProfile; seen: Map<string, number> }>();

  constructor(
    readonly maxDevices = 1_000_000,
    readonly clock: () => number = Date.now,
  ) {}

  async get(deviceId: string): Promise<DeviceProfile> {
    const entry = this.#profiles.get(deviceId);
    return entry === undefined ? emptyProfile() : structuredClone(entry.profile);
  }

  async record(deviceId: string, eventId: string, change: ProfileChange): Promise<boolean> {
    const now = this.clock();
    let entry = this.#profiles.get(deviceId);
    if (entry === undefined) {
      entry = { profile: emptyProfile(), seen: new Map() };
      if (this.#profiles.size >= this.maxDevices)
        this.#profiles.delete(this.#profiles.keys().next().value as string);
    } else {
      this.#profiles.delete(deviceId); // re-inserted below: most recently changed last
    }
    this.#profiles.set(deviceId, entry);
    const seenUntil = entry.seen.get(eventId);
    if (seenUntil !== undefined && seenUntil > now) return false;
    for (const [id, until] of entry.seen) if (until <= now) entry.seen.delete(id);
    entry.seen.set(eventId, now + PROFILE_SEEN_TTL_MS);
    const p = entry.profile;
    if (change.click !== undefined) {
      p.totalClicks++;
      if (change.click !== null) p.clicks[change.click] = (p.clicks[change.click] ?? 0) + 1;
    }
    if (change.offer) p.offers++;
    if (change.redemption) p.redemptions++;
    return true;
  }
}
