import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AuditLog,
  type Broker,
  CARE_WEBHOOK_TARGET,
  FRAUD_EVENTS,
  migrate,
  type Payment,
  PaymentStore,
  PgliteRecords,
  silentLogger,
  WebhookSender,
} from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { type BusFixture, busFor, metricValue } from '../../helpers/bus.js';
import { fraudEngineFor } from '../../helpers/fraud.js';
import { waitFor } from '../../helpers/wait-for.js';

interface Received {
  path: string;
  eventId: string;
  body: string;
  signatureValid: boolean;
}

describe("the merchant webhook (a local HTTP server as the merchant's endpoint)", () => {
  let broker: Broker;
  let bus: BusFixture;
  let records: PgliteRecords;
  let server: Server;
  let base: string;
  const received: Received[] = [];
  const secrets = new Map<string, string>();
  // How the endpoint answers, by path: the first `fail` requests get 500s.
  const failures = new Map<string, number>([
    ['/flaky', 2],
    ['/down', 1_000],
  ]);

  beforeAll(async () => {
    records = await PgliteRecords.open(null);
    await migrate(records);
    broker = await startBroker();
    bus = await busFor(broker);
    for (const e of FRAUD_EVENTS) bus.registry.register(e);
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const merchant = (JSON.parse(body) as { data: { merchantId: string } }).data.merchantId;
        const [t, v1] = String(req.headers['hexcast-signature'])
          .split(',')
          .map((p) => p.split('=')[1]!);
        const expected = createHmac('sha256', secrets.get(merchant)!).update(`${t}.${body}`).digest();
        const signatureValid = timingSafeEqual(expected, Buffer.from(v1!, 'hex'));
        received.push({
          path: req.url!,
          eventId: String(req.headers['hexcast-event-id']),
          body,
          signatureValid,
        });
        const left = failures.get(req.url!) ?? 0;
        failures.set(req.url!, left - 1);
        res.statusCode = left > 0 ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await bus.close();
    await broker.close();
    await records.close();
  });

  it('signs every delivery, retries with backoff until the endpoint answers, dead-letters after the last attempt, and sends a dead one again on request', async () => {
    const store = new PaymentStore(records, new AuditLog(records));
    for (const [id, path] of [
      ['m-flaky', '/flaky'],
      ['m-down', '/down'],
    ] as const) {
      const { merchant } = await store.putMerchant(id, 'key-1', {
        name: id,
        currencies: ['EUR'],
        webhookUrl: `${base}${path}`,
      });
      secrets.set(id, merchant.webhookSecret);
    }
    const sender = new WebhookSender({
      name: 'fraud_webhooks',
      outbox: store.outbox,
      targets: { except: CARE_WEBHOOK_TARGET },
      target: (id) => store.webhookTarget(id),
      metrics: bus.metrics,
      logger: silentLogger(),
      maxAttempts: 3,
      retry: { initialMs: 20, maxMs: 50 },
      pollMs: 20,
    });
    await sender.start();
    const { handle } = fraudEngineFor(bus, store, {
      deviceRiskTtlMs: 60_000,
      onWebhook: () => sender.nudge(),
    });
    const pay = (paymentId: string, merchantId: string): Payment => ({
      paymentId,
      merchantId,
      amount: 25,
      currency: 'EUR',
      card: { fingerprint: `card-${paymentId}`, binCountry: 'FR' },
      customer: { id: 'c1', emailHash: 'mail-hash-1' },
      createdAt: Date.now(),
    });

    await handle(pay('w-1', 'm-flaky'));
    await handle(pay('w-1', 'm-flaky')); // a redelivered payment: no second delivery
    await handle(pay('w-2', 'm-down'));
    await waitFor(async () => (await store.outbox.list('m-flaky', 'delivered', 10)).length === 1, {
      timeoutMs: 10_000,
      message: 'delivered after two failures',
    });
    const flaky = received.filter((r) => r.path === '/flaky');
    expect(flaky).toHaveLength(3);
    expect(new Set(flaky.map((r) => r.eventId))).toEqual(new Set(['decision:m-flaky:w-1']));
    expect(flaky.every((r) => r.signatureValid)).toBe(true);
    const event = JSON.parse(flaky[0]!.body) as { type: string; data: { action: string; paymentId: string } };
    expect(event.type).toBe('fraud.decided');
    expect(event.data.action).toBe((await store.get(['m-flaky'], 'w-1'))!.status);
    const [delivered] = await store.outbox.list('m-flaky', undefined, 10);
    expect(delivered).toMatchObject({ status: 'delivered', attempts: 3, lastError: null });

    await waitFor(async () => (await store.outbox.list('m-down', 'dead', 10)).length === 1, {
      timeoutMs: 10_000,
      message: 'dead after three attempts',
    });
    const [dead] = await store.outbox.list('m-down', 'dead', 10);
    expect(dead).toMatchObject({ attempts: 3, lastError: 'HTTP 500', target: 'm-down', subject: 'w-2' });
    expect(await metricValue(bus.metrics, 'hexcast_fraud_webhooks_total', { outcome: 'dead' })).toBe(1);
    await expect(store.outbox.retry('m-flaky', delivered!.id)).rejects.toMatchObject({
      code: 'HX_WEBHOOK_NOT_DEAD',
    });

    // The merchant fixes its endpoint and asks for the dead letter again.
    failures.set('/down', 0);
    await store.outbox.retry('m-down', dead!.id);
    sender.nudge();
    await waitFor(async () => (await store.outbox.list('m-down', 'delivered', 10)).length === 1, {
      timeoutMs: 10_000,
      message: 'the dead letter delivered on retry',
    });
    await sender.close();
  }, 60_000);
});
