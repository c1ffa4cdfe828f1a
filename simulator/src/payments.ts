import { HexcastError } from '@hexcast/core';
import { type Attack, generatePayments } from '@hexcast/models';

export interface PaymentSimulationOptions {
  /** The REST API, e.g. http://127.0.0.1:8080. */
  apiUrl: string;
  /** An admin key: it creates the merchant key and the generator's merchants. */
  adminKey: string;
  /** Payments per second. */
  rate: number;
  durationMs: number;
  seed?: number;
  /** Customers in the generated population (attacks scale with it). */
  customers?: number;
  /** Most requests in flight at once. */
  maxInFlight?: number;
  onProgress?: (p: { sent: number; answered: number; elapsedMs: number }) => void;
  /** Stops early when it resolves (Ctrl-C). */
  stop?: Promise<void>;
}

export interface AttackTally {
  sent: number;
  approve: number;
  review: number;
  decline: number;
  pending: number;
  refused: number;
}

export interface PaymentSimulationReport {
  rate: number;
  durationMs: number;
  sent: number;
  answered: number;
  byAttack: Record<Attack, AttackTally>;
  /** Refusals by error code (none expected: the generator writes valid payments). */
  errors: Record<string, number>;
  latencyMs: { p50: number; p99: number };
}

/**
 * Drives a deployment's fraud pipeline with generated payments (`generatePayments`: card testing,
 * account takeover, rings and friendly fraud among ordinary orders) through `POST /v1/payments`
 * at a set rate, each stamped with the time it is sent, and tallies the decisions by the kind of
 * payment it really was.
 */
export async function simulatePayments(o: PaymentSimulationOptions): Promise<PaymentSimulationReport> {
  const call = async (method: string, url: string, token: string, body: unknown) => {
    const response = await fetch(`${o.apiUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    return { status: response.status, json };
  };
  const key = await call('POST', '/v1/keys', o.adminKey, {
    role: 'merchant',
    name: 'payment-simulator',
  }).catch((cause: unknown) => {
    throw new HexcastError(
      'HX_CLI_USAGE',
      `cannot reach the API at ${o.apiUrl} (--api): ${(cause as Error).message}`,
      {
        cause,
      },
    );
  });
  if (key.status === 401 || key.status === 403)
    throw new HexcastError(
      'HX_SIMULATE_KEY_REFUSED',
      `the API refused the admin key (${String(key.json.code)})`,
    );
  if (key.status !== 201)
    throw new Error(`could not create a merchant key: ${key.status} ${JSON.stringify(key.json)}`);
  const merchantKey = key.json.token as string;
  const seed = o.seed ?? 1;
  const stream = generatePayments({ customers: o.customers ?? 5_000, days: 14, seed });
  // Merchants of their own (`sim-m-001`…), so a simulation never touches a real merchant's policy.
  const merchant = (id: string) => `sim-${id}`;
  for (const m of new Set(stream.map((p) => merchant(p.payment.merchantId)))) {
    const r = await call('PUT', `/v1/merchants/${m}`, merchantKey, {
      name: `${m} (simulated)`,
      currencies: ['EUR'],
    });
    if (r.status !== 200)
      throw new Error(`could not set up merchant ${m}: ${r.status} ${JSON.stringify(r.json)}`);
  }

  const tally = {} as Record<Attack, AttackTally>;
  for (const a of ['none', 'card-testing', 'takeover', 'ring', 'friendly'] as const)
    tally[a] = { sent: 0, approve: 0, review: 0, decline: 0, pending: 0, refused: 0 };
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = o.maxInFlight ?? 256;
  let stopped = false;
  void o.stop?.then(() => {
    stopped = true;
  });
  const run = `${seed}-${Date.now().toString(36)}`;
  const t0 = Date.now();
  let sent = 0;
  let answered = 0;
  let lastProgress = 0;
  while (!stopped && Date.now() - t0 < o.durationMs) {
    const due = t0 + (sent / o.rate) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 50)));
    if (Date.now() < due) continue;
    if (inFlight.size >= maxInFlight) {
      await Promise.race(inFlight);
      continue;
    }
    const source = stream[sent % stream.length]!;
    const payment = {
      ...source.payment,
      merchantId: merchant(source.payment.merchantId),
      paymentId: `sim-${run}-${sent}`,
      createdAt: Date.now(),
    };
    const counts = tally[source.attack];
    counts.sent++;
    sent++;
    const started = performance.now();
    const request = call('POST', '/v1/payments', merchantKey, payment)
      .then(({ status, json }) => {
        latencies.push(performance.now() - started);
        answered++;
        if (status === 200 || status === 202) {
          const s = json.status as 'approve' | 'review' | 'decline' | 'pending';
          counts[s]++;
        } else {
          counts.refused++;
          const code = String(json.code ?? `HTTP ${status}`);
          errors[code] = (errors[code] ?? 0) + 1;
        }
      })
      .catch((error: unknown) => {
        counts.refused++;
        const code = `network: ${(error as Error).message}`;
        errors[code] = (errors[code] ?? 0) + 1;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
    if (Date.now() - lastProgress > 1000) {
      lastProgress = Date.now();
      o.onProgress?.({ sent, answered, elapsedMs: Date.now() - t0 });
    }
  }
  await Promise.all(inFlight);
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return {
    rate: o.rate,
    durationMs: Date.now() - t0,
    sent,
    answered,
    byAttack: tally,
    errors,
    latencyMs: { p50: at(0.5), p99: at(0.99) },
  };
}
