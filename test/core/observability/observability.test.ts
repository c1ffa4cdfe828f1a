import { Writable } from 'node:stream';
import { createLogger, healthPlugin, Metrics } from '@hexcast/core';
import Fastify from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { prng } from '../../fixtures/random-fences.js';

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

describe('hot metrics', () => {
  it('expose exactly what prom-client would for the same counts and observations', async () => {
    const buckets = [0.001, 0.005, 0.01, 0.05, 0.1, 1];
    const ours = new Metrics();
    const theirs = new Registry();
    const hotHistogram = ours.hotHistogram({ name: 'ack_seconds', help: 'ack', buckets });
    const histogram = new Histogram({
      name: 'hexcast_ack_seconds',
      help: 'ack',
      buckets,
      registers: [theirs],
    });
    const hotCounter = ours.hotCounter({ name: 'accepted_total', help: 'accepted', labelNames: ['channel'] });
    const counter = new Counter({
      name: 'hexcast_accepted_total',
      help: 'accepted',
      labelNames: ['channel'],
      registers: [theirs],
    });
    const rand = prng(3);
    const channels = ['loc', 'ev', 'ack'];
    const bound = channels.map((c) => hotCounter.labels(c));
    // prom-client lists label sets in the order of their first increment; ours, of binding.
    for (const channel of channels) counter.inc({ channel }, 0);
    for (let i = 0; i < 5000; i++) {
      // Exactly on a bound, inside, below the first and past the last.
      const value = i % 10 === 0 ? buckets[i % buckets.length]! : rand() ** 3 * 2;
      hotHistogram.observe(value);
      histogram.observe(value);
      const c = Math.floor(rand() * 3);
      bound[c]!.inc();
      counter.inc({ channel: channels[c]! });
    }
    expect(await ours.text()).toBe(await theirs.metrics());
    // The JSON form too (prom-client adds `exemplar: null` to histogram values).
    expect(await theirs.getMetricsAsJSON()).toMatchObject(await ours.registry.getMetricsAsJSON());
    // Asking again gives the same metric; a name taken by a prom-client metric is refused.
    expect(ours.hotHistogram({ name: 'ack_seconds', help: 'ack', buckets })).toBe(hotHistogram);
    ours.gauge({ name: 'depth', help: 'depth' });
    expect(() => ours.hotCounter({ name: 'depth', help: 'depth' })).toThrow(TypeError);
    expect(() => hotHistogram.observe(Number.NaN)).toThrow(TypeError);
    ours.registry.resetMetrics();
    expect(await ours.text()).toContain('hexcast_ack_seconds_count 0');
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
