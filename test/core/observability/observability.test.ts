import { Writable } from 'node:stream';
import { createLogger, healthPlugin, Metrics } from '@hexcast/core';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

describe('metrics', () => {
  it('prefixes every metric with hexcast_ and reuses an existing one', async () => {
    const metrics = new Metrics();
    const a = metrics.counter({ name: 'stale_dropped_total', help: 'stale', labelNames: ['stage'] });
    const b = metrics.counter({ name: 'stale_dropped_total', help: 'stale', labelNames: ['stage'] });
    expect(a).toBe(b);
    a.inc({ stage: 'geo' }, 2);
    expect(await metrics.text()).toContain('hexcast_stale_dropped_total{stage="geo"} 2');
  });
});

describe('health plugin', () => {
  it('serves /healthz, /readyz (with failing checks) and /metrics', async () => {
    const metrics = new Metrics();
    metrics.gauge({ name: 'up', help: 'up' }).set(1);
    let brokerReady = false;
    const app = Fastify();
    await app.register(healthPlugin, {
      metrics,
      readiness: { broker: () => brokerReady, throws: () => true },
    });
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const notReady = await app.inject('/readyz');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().checks).toEqual({ broker: false, throws: true });
    brokerReady = true;
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    const text = await app.inject('/metrics');
    expect(text.headers['content-type']).toContain('text/plain');
    expect(text.body).toContain('hexcast_up 1');
    await app.close();
  });
});

describe('logger', () => {
  it('redacts secrets wherever they sit', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = createLogger({ level: 'info' }, sink);
    logger.info(
      { token: 'secret-jwt', device: { token: 'inner-jwt' }, databaseUrl: 'postgres://u:p@h/db' },
      'hello',
    );
    const out = lines.join('');
    expect(out).toContain('hello');
    expect(out).not.toContain('secret-jwt');
    expect(out).not.toContain('inner-jwt');
    expect(out).not.toContain('u:p@h');
    expect(out).toContain('[redacted]');
  });
});
