import { type CampaignStats, HexcastError } from '@hexcast/core';
import { createClient, MAX_BATCH_SIZE, type TrackingModeName } from '@hexcast/mobile-sdk';
import type { SessionBrowsing } from './browsing.js';
import type { City } from './city.js';
import { DEMO_TAG } from './demo.js';
import { type Received, VirtualDevice } from './device.js';

export interface SimulatorOptions {
  /** The REST API base (`http://host:8080`). */
  apiUrl: string;
  /** The region's gateway (`mqtt://host:1884` or `ws://host:8084/mqtt`). */
  gatewayUrl: string;
  /** An admin API key: the simulator creates its merchant (devices, redemptions) and marketer (stats) keys. */
  apiKey: string;
  devices: number;
  city: City;
  durationMs: number;
  /** Location fixes per second over all devices (each device at most 1/s); default: one per device per second. */
  rate?: number;
  /** The SDK tracking mode every device uses. */
  mode?: TrackingModeName;
  /** In `continuous` mode, fixes a device sends in one message (default 1: each its own; at most 100). */
  fixesPerMessage?: number;
  region?: string;
  seed?: number;
  /**
   * Before the measured `durationMs`: how long the devices run unmeasured (default 0). Every device
   * starts in the same second, so the first seconds carry each one's first fix (geofences entered
   * at once, devices new to every cache); the report gives those seconds' latency apart.
   */
  warmupMs?: number;
  /** After the run: how long to wait for coupons on their way to settle. */
  settleMs?: number;
  /** One campaign per point of interest, created through the API before the run. */
  campaigns?: { ttlSeconds: number; budget: number } | false;
  /**
   * Devices browse along a click log's sessions (`SessionBrowsing`) instead of at random within
   * their preferred categories; the log's items are put in the catalogue first
   * (`PUT /v1/products`).
   */
  browsing?: SessionBrowsing;
  onProgress?: (progress: Progress) => void;
}

export interface Progress {
  elapsedMs: number;
  durationMs: number;
  online: number;
  fixes: number;
  coupons: number;
  phase: 'registering' | 'warming' | 'running' | 'settling';
}

/** The ledger's totals, as `GET /v1/offers/stats` answers them. */
export type LedgerTotals = CampaignStats;

export interface SimulationReport {
  city: string;
  devices: number;
  mode: TrackingModeName;
  fixesPerMessage: number;
  /** The measured seconds (after the warm-up), and the fixes made in them. */
  durationS: number;
  fixesGenerated: number;
  fixesPerSecond: number;
  messagesSent: number;
  messagesAcked: number;
  clicks: number;
  /** geo enter/exit/dwell events produced while the run lasted (from the API's /metrics; null if not exposed there). */
  geoEvents: number | null;
  coupons: LedgerTotals & { receivedOnDevices: number; redeemRequests: number; redeemFailures: number };
  /** Coupons a device's app got twice (must be 0; the SDK drops wire-level repeats: `wireDuplicatesDropped`). */
  duplicates: number;
  wireDuplicatesDropped: number;
  /** Issued coupons in no terminal state after settling, plus delivered ones no device got (must be 0). */
  lost: number;
  /** Every issued coupon ended delivered, expired or rejected — exactly one (terminal sum = issued). */
  terminalConsistent: boolean;
  /** Fix → coupon on the device, of the fixes made in the measured seconds (after the warm-up). */
  latencyMs: { count: number; p50: number; p95: number; p99: number; max: number };
  /** The p99 of each measured second's fixes: the worst second's and the median second's. */
  latencyBySecondMs: { worstP99: number; medianP99: number };
  /**
   * Message sent → coupon on the device (`Received.sentAt`), of the same coupons: the fix's wait
   * in its device's batch left out. The same as `latencyMs` when each fix is a message of its own.
   */
  sentLatencyMs: {
    p50: number;
    p95: number;
    p99: number;
    max: number;
    worstSecondP99: number;
    medianSecondP99: number;
  };
  /** The triggering fix's wait in its device's batch (`sentAt − triggeredAt`): 0 when fixes go alone. */
  batchWaitMs: { p50: number; max: number };
  /** The warm-up's fixes and their coupons (null without one). */
  warmup: { durationS: number; fixes: number; latencyMs: { count: number; p50: number; p99: number } } | null;
  /**
   * `sentLatencyMs` split in two: message sent → decision (gateway, geo worker, offer worker) and
   * decision → device (delivery). The message's time is the fix's when each fix is its own message.
   */
  decisionLatencyMs: { p50: number; p99: number };
  deliveryLatencyMs: { p50: number; p99: number };
  /**
   * Recommendation lists the devices' apps got (pushed after their clicks): click → inbox latency,
   * and the share of clicks made while a list was shown that landed on a product it held.
   */
  recommendations: {
    /** How the devices browsed: `categories` (at random within preferred ones) or `sessions` (a click log's). */
    browsing: 'categories' | 'sessions';
    received: number;
    latencyMs: { p50: number; p99: number };
    clicksWithList: number;
    hitRate: number;
  };
  errors: Record<string, number>;
}

/** Why `fixesPerMessage` cannot be used with `mode`, or null when it can. */
export function fixesPerMessageError(fixesPerMessage: number, mode: TrackingModeName): string | null {
  if (!Number.isInteger(fixesPerMessage) || fixesPerMessage < 1 || fixesPerMessage > MAX_BATCH_SIZE)
    return `fixes per message must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${fixesPerMessage}`;
  if (fixesPerMessage > 1 && mode !== 'continuous')
    return `fixes per message is for continuous mode; ${mode} batches by itself`;
  return null;
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/**
 * Drives a deployment with virtual devices built on the real SDK (`@hexcast/mobile-sdk`): it
 * registers them through the API, runs them for the duration, lets coupons settle, and reports
 * the run against the ledger. See `device.ts` for the behaviour model.
 */
export class Simulator {
  readonly #o: Required<Omit<SimulatorOptions, 'onProgress' | 'rate' | 'browsing'>> &
    Pick<SimulatorOptions, 'onProgress' | 'rate' | 'browsing'>;
  readonly #devices: VirtualDevice[] = [];
  readonly #received = new Map<string, Received>();
  readonly #errors = new Map<string, number>();
  #keys = { merchant: '', marketer: '' };
  #duplicates = 0;
  #redeemRequests = 0;
  #redeemFailures = 0;
  #timers: NodeJS.Timeout[] = [];
  #stopped = false;
  #wake: (() => void) | null = null;
  readonly #hourFormat: Intl.DateTimeFormat;

  constructor(options: SimulatorOptions) {
    this.#o = {
      mode: 'continuous',
      fixesPerMessage: 1,
      region: 'local',
      seed: 1,
      settleMs: 20_000,
      warmupMs: 0,
      campaigns: false,
      ...options,
    };
    this.#hourFormat = new Intl.DateTimeFormat('en-GB', {
      timeZone: options.city.timezone,
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
      hourCycle: 'h23',
    });
  }

  async run(): Promise<SimulationReport> {
    const o = this.#o;
    const wrong = fixesPerMessageError(o.fixesPerMessage, o.mode);
    if (wrong !== null) throw new RangeError(wrong);
    const startedAt = Date.now();
    this.#progress('registering', startedAt);
    this.#keys.merchant = await this.#key('merchant');
    this.#keys.marketer = await this.#key('marketer');
    if (o.campaigns) await this.#createCampaigns(o.campaigns);
    if (o.browsing !== undefined) await this.#putProducts(o.browsing);
    const geoBefore = await this.#geoEvents();
    for (let i = 0; i < o.devices; i++) {
      const id = `sim${o.seed}-${String(i).padStart(6, '0')}`;
      this.#devices.push(
        new VirtualDevice(id, o.city, o.seed * 1_000_003 + i, {
          client: (storage) =>
            createClient({
              gatewayUrl: o.gatewayUrl,
              deviceId: id,
              getToken: () => this.#token(id, i),
              storage,
              reconnect: { initialMs: 500, maxMs: 10_000 },
            }),
          onCoupon: (_device, offer, duplicate) => {
            if (duplicate) this.#duplicates++;
            else this.#received.set(offer.id, offer);
          },
          redeem: (_device, offer) => this.#redeem(offer),
          mode: o.mode,
          fixesPerMessage: o.fixesPerMessage,
          ...(o.browsing === undefined ? {} : { browsing: o.browsing }),
          now: Date.now,
          localHourDow: (now) => this.#localHourDow(now),
        }),
      );
    }
    await pool(this.#devices, 32, (d) => d.start().catch((e: unknown) => this.#error(e)));
    const ticksFrom = Date.now();
    const rate = o.rate ?? o.devices;
    const intervalMs = Math.max(1000, (o.devices * 1000) / Math.max(rate, 1));
    const offlinePerTick = (0.03 * intervalMs) / 60_000;
    const clicksPerTick = intervalMs / 60_000;
    for (const [i, device] of this.#devices.entries()) {
      const start = setTimeout(
        () => {
          if (this.#stopped) return;
          const timer = setInterval(() => {
            if (!this.#stopped)
              void device.tick(offlinePerTick, clicksPerTick).catch((e: unknown) => this.#error(e));
          }, intervalMs);
          this.#timers.push(timer);
        },
        // With batches, the devices' starts spread over a batch's span, as a fleet's phases do:
        // otherwise every device would send its batch in the same second of each span.
        (i * intervalMs * o.fixesPerMessage) / o.devices,
      );
      this.#timers.push(start);
    }
    const fixesNow = () => this.#devices.reduce((a, d) => a + d.fixes, 0);
    if (o.warmupMs > 0) {
      const warming = setInterval(() => this.#progress('warming', ticksFrom), 1000);
      await this.#sleep(o.warmupMs);
      clearInterval(warming);
    }
    const runStart = Date.now();
    const fixesBefore = fixesNow();
    // Said at once: a caller measuring the run (CPU) starts its window here.
    this.#progress('running', runStart);
    const progress = setInterval(() => this.#progress('running', runStart), 1000);
    await this.#sleep(o.durationMs);
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    clearInterval(progress);
    const runMs = Date.now() - runStart;
    const runFixes = fixesNow() - fixesBefore;

    // Settle: every device comes back and stays; wait until no coupon is on its way.
    const settleStart = Date.now();
    await pool(
      this.#devices.filter((d) => !d.online),
      32,
      async (d) => {
        d.phase = { kind: 'moving', target: o.city.pois[0]! };
        await d.start().catch((e: unknown) => this.#error(e));
      },
    );
    let totals = await this.#totals(startedAt);
    while (Date.now() - settleStart < o.settleMs) {
      this.#progress('settling', settleStart);
      if (totals.pending === 0 && totals.delivered <= this.#received.size) break;
      await new Promise((r) => setTimeout(r, 500));
      totals = await this.#totals(startedAt);
    }
    const geoAfter = await this.#geoEvents();
    await pool(this.#devices, 64, (d) => d.stop().catch(() => undefined));
    const sdk = (k: keyof VirtualDevice['sdk']) => this.#devices.reduce((a, d) => a + d.sdk[k], 0);

    const received = [...this.#received.values()];
    const measured = received.filter((r) => r.triggeredAt >= runStart);
    const warm = received.filter((r) => r.triggeredAt < runStart);
    const sorted = (rs: Received[], f: (r: Received) => number) => rs.map(f).sort((a, b) => a - b);
    const latency = (r: Received) => r.receivedAt - r.triggeredAt;
    const latencies = sorted(measured, latency);
    const split = (f: (r: Received) => number) => {
      const v = sorted(measured, f);
      return { p50: quantile(v, 0.5), p99: quantile(v, 0.99) };
    };
    const bySecond = new Map<number, Received[]>();
    for (const r of measured) {
      const second = Math.floor((r.triggeredAt - runStart) / 1000);
      const list = bySecond.get(second);
      if (list === undefined) bySecond.set(second, [r]);
      else list.push(r);
    }
    const secondP99s = (f: (r: Received) => number) =>
      [...bySecond.values()].map((rs) => quantile(sorted(rs, f), 0.99)).sort((a, b) => a - b);
    const fixSeconds = secondP99s(latency);
    const sentLatency = (r: Received) => r.receivedAt - r.sentAt;
    const sentSeconds = secondP99s(sentLatency);
    const sentLatencies = sorted(measured, sentLatency);
    const batchWaits = sorted(measured, (r) => r.sentAt - r.triggeredAt);
    const warmLatencies = sorted(warm, latency);
    const terminal = totals.delivered + totals.expired.total + totals.rejected.total;
    return {
      city: o.city.name,
      devices: o.devices,
      mode: o.mode,
      fixesPerMessage: o.fixesPerMessage,
      durationS: Math.round(runMs / 100) / 10,
      fixesGenerated: runFixes,
      fixesPerSecond: Math.round(runFixes / (runMs / 1000)),
      messagesSent: sdk('sent'),
      messagesAcked: sdk('acknowledged'),
      clicks: this.#devices.reduce((a, d) => a + d.clicks, 0),
      geoEvents: geoBefore === null || geoAfter === null ? null : geoAfter - geoBefore,
      coupons: {
        ...totals,
        receivedOnDevices: this.#received.size,
        redeemRequests: this.#redeemRequests,
        redeemFailures: this.#redeemFailures,
      },
      duplicates: this.#duplicates,
      wireDuplicatesDropped: sdk('duplicateDropped'),
      lost:
        totals.pending +
        Math.max(0, totals.delivered - this.#received.size) +
        Math.max(0, totals.issued - terminal - totals.pending),
      terminalConsistent: terminal + totals.pending === totals.issued,
      latencyMs: {
        count: latencies.length,
        p50: quantile(latencies, 0.5),
        p95: quantile(latencies, 0.95),
        p99: quantile(latencies, 0.99),
        max: latencies.at(-1) ?? Number.NaN,
      },
      latencyBySecondMs: { worstP99: fixSeconds.at(-1) ?? Number.NaN, medianP99: quantile(fixSeconds, 0.5) },
      sentLatencyMs: {
        p50: quantile(sentLatencies, 0.5),
        p95: quantile(sentLatencies, 0.95),
        p99: quantile(sentLatencies, 0.99),
        max: sentLatencies.at(-1) ?? Number.NaN,
        worstSecondP99: sentSeconds.at(-1) ?? Number.NaN,
        medianSecondP99: quantile(sentSeconds, 0.5),
      },
      batchWaitMs: { p50: quantile(batchWaits, 0.5), max: batchWaits.at(-1) ?? Number.NaN },
      warmup:
        o.warmupMs > 0
          ? {
              durationS: Math.round((runStart - ticksFrom) / 100) / 10,
              fixes: fixesBefore,
              latencyMs: {
                count: warmLatencies.length,
                p50: quantile(warmLatencies, 0.5),
                p99: quantile(warmLatencies, 0.99),
              },
            }
          : null,
      decisionLatencyMs: split((r) => r.issuedAt - r.sentAt),
      deliveryLatencyMs: split((r) => r.receivedAt - r.issuedAt),
      recommendations: (() => {
        const ms = this.#devices.flatMap((d) => d.recommendations).sort((a, b) => a - b);
        const withList = this.#devices.reduce((a, d) => a + d.clicksWithList, 0);
        const hits = this.#devices.reduce((a, d) => a + d.listHits, 0);
        return {
          browsing: o.browsing === undefined ? 'categories' : 'sessions',
          received: ms.length,
          latencyMs: { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) },
          clicksWithList: withList,
          hitRate: withList === 0 ? Number.NaN : hits / withList,
        };
      })(),
      errors: Object.fromEntries(this.#errors),
    };
  }

  /** Waits `ms`, or less when stopped. */
  #sleep(ms: number): Promise<void> {
    return new Promise<void>((r) => {
      this.#wake = r;
      this.#timers.push(setTimeout(r, ms));
      if (this.#stopped) r();
    });
  }

  /** Stops early (Ctrl-C): the run ends and settles as if its duration had passed. */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  #progress(phase: Progress['phase'], since: number): void {
    this.#o.onProgress?.({
      phase,
      elapsedMs: Date.now() - since,
      durationMs:
        phase === 'settling' ? this.#o.settleMs : phase === 'warming' ? this.#o.warmupMs : this.#o.durationMs,
      online: this.#devices.filter((d) => d.online).length,
      fixes: this.#devices.reduce((a, d) => a + d.fixes, 0),
      coupons: this.#received.size,
    });
  }

  #error(e: unknown): void {
    const code = (e as { code?: string }).code ?? (e as Error).name ?? 'Error';
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
  }

  async #api<T>(
    method: string,
    path: string,
    key: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.#o.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T };
  }

  /** The click log's items, available, in the catalogue (a thousand a request). */
  async #putProducts(browsing: SessionBrowsing): Promise<void> {
    for (let i = 0; i < browsing.items.length; i += 1000) {
      const products = browsing.items
        .slice(i, i + 1000)
        .map((productId) => ({ productId, category: browsing.category(productId), available: true }));
      const r = await this.#api<{ code?: string; message?: string }>(
        'PUT',
        '/v1/products',
        this.#keys.marketer,
        {
          products,
        },
      );
      if (r.status !== 200)
        throw new Error(
          `could not put the click log's products (${r.status} ${r.body.code ?? ''} ${r.body.message ?? ''})`,
        );
    }
  }

  async #key(role: 'merchant' | 'marketer'): Promise<string> {
    const r = await this.#api<{ token?: string; code?: string; message?: string }>(
      'POST',
      '/v1/keys',
      this.#o.apiKey,
      {
        role,
        name: `simulator-${role}`,
      },
    );
    if (r.status === 401 || r.status === 403)
      throw new HexcastError(
        'HX_SIMULATE_KEY_REFUSED',
        `the API refused the admin key (${r.status} ${r.body.code ?? ''}): pass --key, set HX_API_KEY, or point HX_DATA_DIR at the running server's data dir`,
        { details: { status: r.status, code: r.body.code } },
      );
    if (r.status !== 201 || r.body.token === undefined)
      throw new Error(
        `could not create a ${role} key (${r.status} ${r.body.code ?? ''} ${r.body.message ?? ''})`,
      );
    return r.body.token;
  }

  async #token(deviceId: string, i: number): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.#api<{ token?: string; code?: string }>(
        'POST',
        '/v1/devices',
        this.#keys.merchant,
        {
          deviceId,
          region: this.#o.region,
          platform: 'node',
          timezone: this.#o.city.timezone,
          tags: i % 7 === 0 ? [DEMO_TAG, 'member'] : [DEMO_TAG],
        },
      );
      if (r.status === 201 && r.body.token !== undefined) return r.body.token;
      if (r.status !== 429 || attempt >= 20)
        throw Object.assign(new Error(`device registration: ${r.status}`), {
          code: r.body.code ?? 'HX_SIM_REGISTER',
        });
      await new Promise((res) => setTimeout(res, 500 * (attempt + 1)));
    }
  }

  async #redeem(offer: Received): Promise<void> {
    this.#redeemRequests++;
    const r = await this.#api<{ code?: string }>(
      'POST',
      `/v1/coupons/${offer.code}/redeem`,
      this.#keys.merchant,
      undefined,
      {
        'idempotency-key': `sim-${offer.id}`,
      },
    );
    if (r.status !== 200) {
      this.#redeemFailures++;
      this.#error({ code: r.body.code ?? `HTTP_${r.status}` });
    }
  }

  async #totals(since: number): Promise<LedgerTotals> {
    const r = await this.#api<LedgerTotals>(
      'GET',
      `/v1/offers/stats?since=${encodeURIComponent(new Date(since).toISOString())}`,
      this.#keys.marketer,
    );
    if (r.status !== 200) throw new Error(`offer stats: ${r.status}`);
    return r.body;
  }

  async #geoEvents(): Promise<number | null> {
    try {
      const res = await fetch(`${this.#o.apiUrl}/metrics`);
      if (!res.ok) return null;
      const text = await res.text();
      const lines = text.split('\n').filter((l) => l.startsWith('hexcast_geo_events_total'));
      if (lines.length === 0) return 0;
      return lines.reduce((a, l) => a + Number(l.split(' ').at(-1)), 0);
    } catch {
      return null;
    }
  }

  async #createCampaigns(c: { ttlSeconds: number; budget: number }): Promise<void> {
    await pool(this.#o.city.pois, 4, async (poi) => {
      const r = await this.#api<{ code?: string }>('POST', '/v1/campaigns', this.#keys.marketer, {
        name: poi.name,
        fence: { type: 'Circle', center: [poi.lng, poi.lat], radiusM: poi.radiusM },
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        timezone: this.#o.city.timezone,
        status: 'active',
        dwellSeconds: 30,
        offer: {
          title: `${poi.name}: 15% off`,
          category: poi.category,
          ttlSeconds: c.ttlSeconds,
          budget: c.budget,
        },
      });
      if (r.status !== 201) this.#error({ code: r.body.code ?? `HTTP_${r.status}` });
    });
  }

  #localHourDow(now: number): { hour: number; dow: number } {
    const parts = Object.fromEntries(
      this.#hourFormat.formatToParts(new Date(now)).map((p) => [p.type, p.value]),
    );
    const dow = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday ?? 'Mon');
    return { hour: Number(parts.hour) + Number(parts.minute) / 60, dow };
  }
}

/** Runs `fn` over `items`, `limit` at a time. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
