import { createEventRegistry, DeviceLocation } from '@hexcast/core';
import { EDGE_H3_RESOLUTION, Ingest, type IngestResult, locationId } from '@hexcast/edge-gateway';
import { getResolution, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { prng } from '../fixtures/random-fences.js';

const NOW = 1_800_000_000_000;
const registry = createEventRegistry();
const ingest = new Ingest(
  registry,
  { maxPayloadBytes: 2048, maxFixesPerBatch: 5, maxClockSkewMs: 60_000, maxFixAgeMs: 3600_000 },
  { kind: 'gateway', id: 'gw-1', region: 'eu' },
);
const fix = (over: Record<string, unknown> = {}) => ({
  lat: 48.8566,
  lng: 2.3522,
  accuracy: 12,
  ts: NOW - 1000,
  ...over,
});
const batch = (...fixes: unknown[]) => Buffer.from(JSON.stringify({ fixes }));
const codeOf = (payload: Buffer, channel: 'loc' | 'ev' | 'ack' = 'loc') => {
  const result = ingest.handle('dev-1', channel, payload, NOW);
  return result.ok ? 'ok' : result.rejection.code;
};

describe('edge validation (Ingest)', () => {
  it('stamps each accepted fix with its H3 cell and keys it by device', () => {
    const result = ingest.handle('dev-1', 'loc', batch(fix(), fix({ ts: NOW - 500, speed: 1.4 })), NOW);
    if (!result.ok) throw new Error(result.rejection.reason);
    expect(result.records).toHaveLength(2);
    const [first, second] = result.records;
    expect(first?.topic).toBe('hx.locations');
    expect(first?.key).toBe('dev-1');
    expect(first?.ts).toBe(NOW - 1000);
    const envelope = registry.decode(first?.value);
    expect(envelope).toMatchObject({ type: 'device.location', key: 'dev-1', ts: NOW - 1000 });
    const data = envelope.data as { h3: string };
    expect(data.h3).toBe(latLngToCell(48.8566, 2.3522, EDGE_H3_RESOLUTION));
    expect(getResolution(data.h3)).toBe(EDGE_H3_RESOLUTION);
    expect(registry.decode(second?.value).data).toMatchObject({ speed: 1.4 });
  });

  it('writes location envelopes the registry accepts, equal to what it would build', () => {
    // The gateway writes location envelopes as text directly (its hot path); every one must
    // decode, and say exactly what registry.create + encode would have said.
    const rand = prng(11);
    for (let i = 0; i < 2000; i++) {
      const raw = {
        lat: (rand() - 0.5) * 179.99,
        lng: (rand() - 0.5) * 359.99,
        accuracy: i % 7 === 0 ? 0 : rand() * 100_000,
        ts: NOW - Math.floor(rand() * 3600_000),
        ...(i % 3 === 0 ? { speed: i % 2 === 0 ? 0 : rand() * 1000 } : {}),
      };
      const deviceId = `dev.${i}:${i % 5 === 0 ? 'x'.repeat(100) : 'a_B-9'}`;
      const result = ingest.handle(deviceId, 'loc', batch(raw), NOW);
      if (!result.ok) throw new Error(result.rejection.reason);
      const record = result.records[0]!;
      const decoded = registry.decode(record.value);
      const { ts, ...fields } = raw;
      const expected = registry.create(DeviceLocation, {
        id: decoded.id,
        key: deviceId,
        ts,
        source: ingest.source,
        data: { deviceId, ...fields, h3: latLngToCell(raw.lat, raw.lng, EDGE_H3_RESOLUTION) },
      });
      expect(decoded).toEqual(expected);
      expect(record.key).toBe(deviceId);
      expect(record.ts).toBe(ts);
    }
  });

  it('gives a retransmitted message the same envelope ids (downstream dedupes)', () => {
    const a = ingest.handle('dev-1', 'loc', batch(fix()), NOW);
    const b = ingest.handle('dev-1', 'loc', batch(fix()), NOW + 5000);
    const c = ingest.handle('dev-2', 'loc', batch(fix()), NOW);
    if (!a.ok || !b.ok || !c.ok) throw new Error('rejected');
    const id = (r: IngestResult) => (r.ok ? registry.decode(r.records[0]?.value).id : undefined);
    expect(id(a)).toBe(id(b));
    expect(id(a)).not.toBe(id(c));
    expect(id(a)).toBe(`loc.dev-1.${NOW - 1000}`);
    // A device id too long for a readable id gets the content id (SHA-1, 27 characters).
    const long = 'd'.repeat(47);
    const d = ingest.handle(long, 'loc', batch(fix()), NOW);
    const e = ingest.handle(long, 'loc', batch(fix()), NOW + 5000);
    expect(id(d)).toHaveLength(27);
    expect(id(d)).toBe(id(e));
    expect(locationId('d'.repeat(46), NOW)).toHaveLength(64);
  });

  it.each([
    ['oversized payload', Buffer.alloc(4096, 0x20), 'HX_GATEWAY_PAYLOAD_TOO_LARGE'],
    ['not JSON', Buffer.from('{"fixes":'), 'HX_GATEWAY_PAYLOAD_INVALID'],
    ['not a batch', Buffer.from('[1,2]'), 'HX_GATEWAY_PAYLOAD_INVALID'],
    ['empty batch', batch(), 'HX_GATEWAY_PAYLOAD_INVALID'],
    ['too many fixes', batch(fix(), fix(), fix(), fix(), fix(), fix()), 'HX_GATEWAY_PAYLOAD_TOO_LARGE'],
    ['missing accuracy', batch({ lat: 1, lng: 1, ts: NOW }), 'HX_GATEWAY_PAYLOAD_INVALID'],
    ['extra field', batch(fix({ alt: 3 })), 'HX_GATEWAY_PAYLOAD_INVALID'],
    ['latitude out of range', batch(fix({ lat: 91 })), 'HX_GATEWAY_COORDINATES_INVALID'],
    ['longitude out of range', batch(fix({ lng: -180.5 })), 'HX_GATEWAY_COORDINATES_INVALID'],
    ['null island', batch(fix({ lat: 0, lng: 0 })), 'HX_GATEWAY_COORDINATES_INVALID'],
    ['fix from the future', batch(fix({ ts: NOW + 61_000 })), 'HX_GATEWAY_TIMESTAMP_INVALID'],
    ['fix too old', batch(fix({ ts: NOW - 3601_000 })), 'HX_GATEWAY_TIMESTAMP_INVALID'],
    ['negative speed', batch(fix({ speed: -1 })), 'HX_GATEWAY_PAYLOAD_INVALID'],
  ])('rejects %s with a code', (_name, payload, code) => {
    expect(codeOf(payload)).toBe(code);
  });

  it('drops bad fixes of a batch one by one, counted, and keeps the good ones', () => {
    const result = ingest.handle(
      'dev-1',
      'loc',
      batch(fix(), fix({ lat: 200 }), fix({ ts: NOW + 1e9 })),
      NOW,
    );
    if (!result.ok) throw new Error('rejected');
    expect(result.records).toHaveLength(1);
    expect(result.dropped.map((d) => d.code)).toEqual([
      'HX_GATEWAY_COORDINATES_INVALID',
      'HX_GATEWAY_TIMESTAMP_INVALID',
    ]);
  });

  it('validates clicks and acks', () => {
    const click = { sessionId: 's', productId: 'p', action: 'view', ts: NOW };
    expect(codeOf(Buffer.from(JSON.stringify(click)), 'ev')).toBe('ok');
    expect(codeOf(Buffer.from(JSON.stringify({ ...click, action: 'steal' })), 'ev')).toBe(
      'HX_GATEWAY_PAYLOAD_INVALID',
    );
    expect(codeOf(Buffer.from(JSON.stringify({ ...click, ts: NOW + 1e9 })), 'ev')).toBe(
      'HX_GATEWAY_TIMESTAMP_INVALID',
    );
    expect(codeOf(Buffer.from(JSON.stringify({ id: 'i1', status: 'opened' })), 'ack')).toBe('ok');
    expect(codeOf(Buffer.from(JSON.stringify({ id: 'i1', status: 'delivered' })), 'ack')).toBe(
      'HX_GATEWAY_PAYLOAD_INVALID',
    );
  });

  it('never throws on arbitrary bytes', () => {
    const rand = prng(7);
    const samples = [
      '{"fixes":[{"lat":1e400,"lng":2,"accuracy":1,"ts":1}]}',
      '{"__proto__":{"x":1}}',
      'null',
      '"x"',
      '{"fixes":[null]}',
    ];
    for (let i = 0; i < 500; i++) {
      const bytes = Buffer.alloc(Math.floor(rand() * 300));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
      samples.push(bytes.toString('latin1'));
    }
    for (const sample of samples) {
      for (const channel of ['loc', 'ev', 'ack'] as const) {
        expect(() => ingest.handle('dev-1', channel, Buffer.from(sample, 'latin1'), NOW)).not.toThrow();
      }
    }
  });
});
