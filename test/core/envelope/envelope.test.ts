import {
  CampaignChanged,
  createEventRegistry,
  DeviceLocation,
  deadlineFrom,
  defineEvent,
  deliveriesTopic,
  type Envelope,
  HexcastError,
  isExpired,
  remainingMs,
  TOPICS,
  topicByName,
  topicCatalogue,
} from '@hexcast/core';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';

const NOW = 1_750_000_000_000;
const clock = () => NOW;
const source = { kind: 'gateway', id: 'gw-eu-1', region: 'eu' } as const;
const fix = { deviceId: 'd-1', lat: 48.85, lng: 2.35, accuracy: 5 };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof HexcastError) return error.code;
    throw new Error(`untyped throw: ${String(error)}`);
  }
  throw new Error('did not throw');
}

describe('envelope', () => {
  const registry = createEventRegistry({ clock, maxBytes: 4096 });

  it('creates an envelope with a UUIDv7 id, event time and absolute expiry', () => {
    const env = registry.create(DeviceLocation, { key: 'd-1', source, data: fix, ttlMs: 30_000 });
    expect(env.v).toBe(1);
    expect(env.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(env.ts).toBe(NOW);
    expect(env.expiresAt).toBe(NOW + 30_000);
    const other = registry.create(DeviceLocation, { key: 'd-1', source, data: fix });
    expect(other.id).not.toBe(env.id);
    expect(other.expiresAt).toBeUndefined();
  });

  it('round-trips through encode and decode', () => {
    const env = registry.create(DeviceLocation, {
      key: 'd-1',
      source,
      data: { ...fix, speed: 3 },
      ttlMs: 1000,
    });
    const decoded = registry.decode(registry.encode(env));
    expect(decoded).toEqual(env);
    expect(registry.decode(registry.encode(env).toString('utf8'))).toEqual(env);
    // A plain Uint8Array view into a larger buffer (a fetched batch's bytes) is read in place.
    const bytes = registry.encode(env);
    const batch = new Uint8Array(bytes.length + 16).fill(0x78);
    batch.set(bytes, 8);
    expect(registry.decode(batch.subarray(8, 8 + bytes.length))).toEqual(env);
  });

  const valid: Envelope = {
    v: 1,
    id: 'id-1',
    type: 'device.location',
    key: 'd-1',
    ts: NOW,
    source,
    data: fix,
  };
  it.each<[string, unknown, string]>([
    ['not JSON', '{"v":1,', 'HX_ENVELOPE_MALFORMED'],
    ['null value', null, 'HX_ENVELOPE_MALFORMED'],
    ['a JSON array', '[]', 'HX_ENVELOPE_INVALID'],
    ['wrong version', { ...valid, v: 2 }, 'HX_ENVELOPE_INVALID'],
    ['missing id', { ...valid, id: undefined }, 'HX_ENVELOPE_INVALID'],
    ['ts as a string', { ...valid, ts: String(NOW) }, 'HX_ENVELOPE_INVALID'],
    ['fractional ts', { ...valid, ts: 1.5 }, 'HX_ENVELOPE_INVALID'],
    ['negative expiresAt', { ...valid, expiresAt: -1 }, 'HX_ENVELOPE_INVALID'],
    ['empty key', { ...valid, key: '' }, 'HX_ENVELOPE_INVALID'],
    ['source without kind', { ...valid, source: { id: 'x' } }, 'HX_ENVELOPE_INVALID'],
    ['an extra top-level field', { ...valid, extra: true }, 'HX_ENVELOPE_INVALID'],
    ['a bad type name', { ...valid, type: 'Location' }, 'HX_ENVELOPE_INVALID'],
    ['an unknown type', { ...valid, type: 'device.teleport' }, 'HX_ENVELOPE_UNKNOWN_TYPE'],
    ['latitude out of range', { ...valid, data: { ...fix, lat: 91 } }, 'HX_ENVELOPE_DATA_INVALID'],
    ['lng as a string', { ...valid, data: { ...fix, lng: '2.35' } }, 'HX_ENVELOPE_DATA_INVALID'],
    ['missing accuracy', { ...valid, data: { deviceId: 'd-1', lat: 1, lng: 1 } }, 'HX_ENVELOPE_DATA_INVALID'],
  ])('rejects %s with a coded error', (_name, input, code) => {
    const raw = typeof input === 'string' || input === null ? input : JSON.stringify(input);
    expect(codeOf(() => registry.decode(raw as string | null))).toBe(code);
  });

  it('rejects oversize envelopes on decode and encode', () => {
    const big = JSON.stringify({ ...valid, data: { ...fix, pad: 'x'.repeat(5000) } });
    expect(codeOf(() => registry.decode(big))).toBe('HX_ENVELOPE_TOO_LARGE');
    const wide = createEventRegistry({ clock, maxBytes: 4096 });
    const Note = wide.register(defineEvent('test.note', Type.Object({ text: Type.String() })));
    const env = wide.create(Note, { key: 'k', source, data: { text: 'y'.repeat(5000) } });
    expect(codeOf(() => wide.encode(env))).toBe('HX_ENVELOPE_TOO_LARGE');
  });

  it('refuses to create an invalid envelope and to register a type twice', () => {
    expect(
      codeOf(() => registry.create(DeviceLocation, { key: 'd-1', source, data: { ...fix, lat: 200 } })),
    ).toBe('HX_ENVELOPE_DATA_INVALID');
    expect(codeOf(() => registry.register(defineEvent('device.location', Type.Object({}))))).toBe(
      'HX_ENVELOPE_TYPE_CONFLICT',
    );
    expect(registry.register(DeviceLocation)).toBe(DeviceLocation);
  });

  it('upcasts data an older version wrote before validating it: a campaign.changed from before the cooldown rename', () => {
    const registry = createEventRegistry({ clock });
    registry.register(CampaignChanged);
    const campaign = {
      id: 'c-1',
      version: 3,
      name: 'old',
      status: 'active',
      fence: { type: 'Circle', center: [2.35, 48.85], radiusM: 100 },
      dwellSeconds: 120,
      cooldownSeconds: 45,
      startsAt: '2026-01-01T00:00:00.000Z',
      endsAt: '2027-01-01T00:00:00.000Z',
      timezone: 'UTC',
      offer: {
        title: 't',
        body: '',
        codePrefix: 'HX',
        ttlSeconds: 60,
        budget: 5,
        capPerDevice: 1,
        capPerDevicePerDay: 3,
        cooldownSeconds: 3600,
        trigger: 'enter',
        minScore: 0,
      },
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    const old = JSON.stringify({
      v: 1,
      id: '01890000-0000-7000-8000-000000000000',
      type: 'campaign.changed',
      key: 'c-1',
      ts: NOW,
      source: { kind: 'api', id: 'campaigns' },
      data: { campaign, deleted: false },
    });
    const decoded = registry.decode(old).data as { campaign: Record<string, unknown> };
    expect(decoded.campaign).toMatchObject({ exitDebounceSeconds: 45, offer: { couponGapSeconds: 3600 } });
    expect(JSON.stringify(decoded)).not.toContain('cooldown');
  });

  it('never throws anything untyped on random bytes', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const seedText = JSON.stringify(valid);
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(seedText);
      for (let j = 0; j < 1 + (rand() % 4); j++) bytes[rand() % bytes.length] = rand() % 256;
      try {
        registry.decode(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(HexcastError);
      }
    }
  });
});

describe('TTL helpers', () => {
  it('expires exactly at the deadline, with remaining time never negative', () => {
    const env = { expiresAt: NOW + 1000 };
    expect(isExpired(env, NOW)).toBe(false);
    expect(remainingMs(env, NOW)).toBe(1000);
    expect(isExpired(env, NOW + 999)).toBe(false);
    expect(isExpired(env, NOW + 1000)).toBe(true);
    expect(remainingMs(env, NOW + 5000)).toBe(0);
    expect(isExpired({}, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(remainingMs({}, NOW)).toBe(Number.POSITIVE_INFINITY);
  });

  it('caps a deadline by a hard end', () => {
    expect(deadlineFrom(NOW, 60_000)).toBe(NOW + 60_000);
    expect(deadlineFrom(NOW, 60_000, NOW + 10_000)).toBe(NOW + 10_000);
    expect(deadlineFrom(NOW, -5)).toBe(NOW);
  });

  it('follows an injected clock', () => {
    let now = NOW;
    const reg = createEventRegistry({ clock: () => now });
    const env = reg.create(DeviceLocation, { key: 'd-1', source, data: fix, ttlMs: 100 });
    now += 50;
    expect(remainingMs(env, now)).toBe(50);
    now += 50;
    expect(isExpired(env, now)).toBe(true);
  });
});

describe('topic catalogue', () => {
  it('lists every pipeline topic once, compacted where the design says', () => {
    const names = topicCatalogue(['eu', 'us']).map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of [
      'hx.locations',
      'hx.clicks',
      'hx.geo-events',
      'hx.offers',
      'hx.receipts',
      'hx.payments',
    ]) {
      expect(names).toContain(name);
    }
    expect(names).toContain('hx.deliveries.eu');
    expect(TOPICS.models.compacted).toBe(true);
    expect(TOPICS.campaigns.compacted).toBe(true);
    expect(TOPICS.locations.compacted).toBe(false);
    expect(topicByName('hx.deliveries.us').partitions).toBeGreaterThan(0);
  });

  it('rejects bad region names and unknown topics', () => {
    expect(codeOf(() => deliveriesTopic('../etc'))).toBe('HX_TOPIC_REGION_INVALID');
    expect(codeOf(() => topicByName('hx.nope'))).toBe('HX_TOPIC_UNKNOWN');
  });
});
