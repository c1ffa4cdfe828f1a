import {
  DEFAULT_RETENTION,
  type EntityHistory,
  type EntityObservation,
  type FraudStateStore,
  type StateRetention,
} from './fraud-state.js';

interface EntityState {
  /** Window events, by time. */
  events: Array<{ at: number; amount: number }>;
  first: number | null;
  n: number;
  sum: number;
  sumSq: number;
  last: { lat: number; lng: number; at: number } | null;
  aux: Map<string, number>;
  /** When the entity's state expires (clock time). */
  expiresAt: number;
}

/**
 * The in-process engine's retention: the defaults, but answers are kept for a minute. Its state
 * ends with the process, so the only redeliveries it can answer come within it — a batch handled
 * again record by record, a retry, partitions handed back to the same consumer — within seconds;
 * a restart starts from empty state anyway. (At 2,000 payments/s a minute of answers is ~240 MiB
 * of heap, measured; the defaults' 10 minutes would be ~2.4 GB.)
 */
export const MEMORY_RETENTION: StateRetention = { ...DEFAULT_RETENTION, replayMs: 60_000 };

/**
 * The in-process engine: the same answers as the Redis engine's Lua (the contract suite holds
 * them to it), for `hexcast dev` and one-process deployments. State is swept as it expires.
 */
export class MemoryFraudState implements FraudStateStore {
  readonly #entities = new Map<string, EntityState>();
  /**
   * Each (entity, payment)'s answer, for redeliveries within `replayMs`. Insertion order is expiry
   * order (the clock only moves on): they expire from the front.
   */
  readonly #snapshots = new Map<string, { history: EntityHistory; expiresAt: number }>();
  readonly #labels = new Map<string, { labelled: number; frauds: number }>();
  readonly #risk = new Map<string, { risk: number; expiresAt: number }>();
  readonly #retention: StateRetention;
  readonly #clock: () => number;
  #sinceSweep = 0;

  constructor(retention: StateRetention = MEMORY_RETENTION, clock: () => number = Date.now) {
    this.#retention = retention;
    this.#clock = clock;
  }

  async observe(observations: readonly EntityObservation[]): Promise<EntityHistory[]> {
    this.#sinceSweep += observations.length;
    if (this.#sinceSweep > 10_000) this.#sweep();
    // Once per payment, not per entity: its observations come together.
    this.#expireSnapshots(this.#clock());
    return observations.map((o) => this.#observe(o));
  }

  #observe(o: EntityObservation): EntityHistory {
    const now = this.#clock();
    const key = `${o.kind}:${o.id}`;
    let e = this.#entities.get(key);
    if (e !== undefined && e.expiresAt <= now) e = undefined;
    if (e === undefined) {
      e = {
        events: [],
        first: null,
        n: 0,
        sum: 0,
        sumSq: 0,
        last: null,
        aux: new Map(),
        expiresAt: 0,
      };
      this.#entities.set(key, e);
    }
    const snapshotKey = `${key}|${o.paymentId}`;
    const snap = this.#snapshots.get(snapshotKey);
    if (snap !== undefined) return snap.history;

    const { windowMs, stateMs, maxEvents, replayMs } = this.#retention;
    // Events are kept in time order: expired ones leave from the front.
    let expired = 0;
    while (expired < e.events.length && e.events[expired]!.at < o.at - windowMs) expired++;
    if (expired > 0) e.events.splice(0, expired);
    let count1m = 0;
    let count1h = 0;
    let count24h = 0;
    let sum1h = 0;
    let sum24h = 0;
    for (let i = e.events.length - 1; i >= 0; i--) {
      const x = e.events[i]!;
      if (x.at > o.at) continue;
      if (x.at <= o.at - 86_400_000) break;
      count24h++;
      sum24h += x.amount;
      if (x.at > o.at - 3_600_000) {
        count1h++;
        sum1h += x.amount;
      }
      if (x.at > o.at - 60_000) count1m++;
    }
    let distinctAux = 0;
    let auxSeen = false;
    const auxMs = this.#retention.auxMs[o.kind] ?? windowMs;
    if (o.aux !== undefined && o.aux !== '') {
      for (const [id, at] of e.aux) if (at < o.at - auxMs) e.aux.delete(id);
      auxSeen = e.aux.has(o.aux);
      e.aux.set(o.aux, o.at);
      distinctAux = e.aux.size;
    }
    const history: EntityHistory = {
      count1m,
      count1h,
      count24h,
      sum1h,
      sum24h,
      firstSeenAt: e.first,
      distinctAux,
      auxSeen,
      amounts: { n: e.n, sum: e.sum, sumSq: e.sumSq },
      last: e.last,
    };

    // A payment is recorded once: a second observation of it returned its snapshot above.
    let slot = e.events.length;
    while (slot > 0 && e.events[slot - 1]!.at > o.at) slot--;
    e.events.splice(slot, 0, { at: o.at, amount: o.amount });
    if (e.events.length > maxEvents) e.events.splice(0, e.events.length - maxEvents);
    if (e.first === null || o.at < e.first) e.first = o.at;
    e.n++;
    e.sum += o.amount;
    e.sumSq += o.amount * o.amount;
    if (o.position !== undefined && (e.last === null || o.at >= e.last.at))
      e.last = { ...o.position, at: o.at };
    this.#snapshots.set(snapshotKey, { history, expiresAt: now + replayMs });
    e.expiresAt = now + Math.max(stateMs, windowMs, auxMs);
    return history;
  }

  async recordLabel(merchantId: string, fraud: boolean): Promise<void> {
    const l = this.#labels.get(merchantId) ?? { labelled: 0, frauds: 0 };
    l.labelled++;
    if (fraud) l.frauds++;
    this.#labels.set(merchantId, l);
  }

  async labels(merchantId: string): Promise<{ labelled: number; frauds: number }> {
    return { ...(this.#labels.get(merchantId) ?? { labelled: 0, frauds: 0 }) };
  }

  async raiseDeviceRisk(deviceId: string, risk: number, ttlMs: number): Promise<void> {
    const now = this.#clock();
    const current = this.#risk.get(deviceId);
    if (current === undefined || current.expiresAt <= now || risk > current.risk)
      this.#risk.set(deviceId, { risk, expiresAt: now + ttlMs });
  }

  async deviceRisk(deviceId: string): Promise<number | null> {
    const current = this.#risk.get(deviceId);
    return current !== undefined && current.expiresAt > this.#clock() ? current.risk : null;
  }

  #expireSnapshots(now: number): void {
    for (const [key, snapshot] of this.#snapshots) {
      if (snapshot.expiresAt > now) break;
      this.#snapshots.delete(key);
    }
  }

  #sweep(): void {
    this.#sinceSweep = 0;
    const now = this.#clock();
    for (const [key, e] of this.#entities) if (e.expiresAt <= now) this.#entities.delete(key);
    for (const [key, r] of this.#risk) if (r.expiresAt <= now) this.#risk.delete(key);
  }
}
