import {
  DEFAULT_RETENTION,
  type EntityHistory,
  type EntityObservation,
  type FraudStateStore,
  type StateRetention,
} from './fraud-state.js';

interface EntityState {
  /** Window events, by time. */
  events: Array<{ at: number; member: string; amount: number }>;
  first: number | null;
  n: number;
  sum: number;
  sumSq: number;
  last: { lat: number; lng: number; at: number } | null;
  aux: Map<string, number>;
  snapshots: Map<string, { history: EntityHistory; expiresAt: number }>;
  /** When the entity's state expires (clock time). */
  expiresAt: number;
}

/**
 * The in-process engine: the same answers as the Redis engine's Lua (the contract suite holds
 * them to it), for `hexcast dev` and one-process deployments. State is swept as it expires.
 */
export class MemoryFraudState implements FraudStateStore {
  readonly #entities = new Map<string, EntityState>();
  readonly #labels = new Map<string, { labelled: number; frauds: number }>();
  readonly #risk = new Map<string, { risk: number; expiresAt: number }>();
  readonly #retention: StateRetention;
  readonly #clock: () => number;
  #sinceSweep = 0;

  constructor(retention: StateRetention = DEFAULT_RETENTION, clock: () => number = Date.now) {
    this.#retention = retention;
    this.#clock = clock;
  }

  get size(): number {
    return this.#entities.size;
  }

  async observe(observations: readonly EntityObservation[]): Promise<EntityHistory[]> {
    this.#sinceSweep += observations.length;
    if (this.#sinceSweep > 10_000) this.#sweep();
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
        snapshots: new Map(),
        expiresAt: 0,
      };
      this.#entities.set(key, e);
    }
    const snap = e.snapshots.get(o.paymentId);
    if (snap !== undefined && snap.expiresAt > now) return snap.history;

    const { windowMs, stateMs, maxEvents } = this.#retention;
    e.events = e.events.filter((x) => x.at >= o.at - windowMs);
    let count1m = 0;
    let count1h = 0;
    let count24h = 0;
    let sum1h = 0;
    let sum24h = 0;
    for (const x of e.events) {
      if (x.at <= o.at - 86_400_000 || x.at > o.at) continue;
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

    const member = `${o.paymentId}|${o.amount}`;
    if (!e.events.some((x) => x.member === member)) {
      const at = e.events.findLastIndex((x) => x.at <= o.at) + 1;
      e.events.splice(at, 0, { at: o.at, member, amount: o.amount });
    }
    if (e.events.length > maxEvents) e.events.splice(0, e.events.length - maxEvents);
    if (e.first === null || o.at < e.first) e.first = o.at;
    e.n++;
    e.sum += o.amount;
    e.sumSq += o.amount * o.amount;
    if (o.position !== undefined && (e.last === null || o.at >= e.last.at))
      e.last = { ...o.position, at: o.at };
    for (const [id, s] of e.snapshots) if (s.expiresAt <= now) e.snapshots.delete(id);
    e.snapshots.set(o.paymentId, { history, expiresAt: now + windowMs });
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

  #sweep(): void {
    this.#sinceSweep = 0;
    const now = this.#clock();
    for (const [key, e] of this.#entities) if (e.expiresAt <= now) this.#entities.delete(key);
    for (const [key, r] of this.#risk) if (r.expiresAt <= now) this.#risk.delete(key);
  }
}
