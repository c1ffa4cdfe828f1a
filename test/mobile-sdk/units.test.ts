import {
  backoffDelay,
  createClient,
  distanceM,
  ModeFilter,
  memoryStorage,
  TRACKING_MODES,
} from '@hexcast/mobile-sdk';
import { describe, expect, it } from 'vitest';

describe('SDK pieces', () => {
  it('modes: continuous keeps every fix a second apart; responsive needs movement or a heartbeat', () => {
    const continuous = new ModeFilter(TRACKING_MODES.continuous);
    expect(continuous.keep({ lat: 48.85, lng: 2.35, ts: 0 })).toBe(true);
    expect(continuous.keep({ lat: 48.85, lng: 2.35, ts: 500 })).toBe(false);
    expect(continuous.keep({ lat: 48.85, lng: 2.35, ts: 1000 })).toBe(true);

    const responsive = new ModeFilter(TRACKING_MODES.responsive);
    expect(responsive.keep({ lat: 48.85, lng: 2.35, ts: 0 })).toBe(true);
    expect(responsive.keep({ lat: 48.8501, lng: 2.35, ts: 20_000 })).toBe(false); // 11 m: not far enough
    expect(responsive.keep({ lat: 48.8505, lng: 2.35, ts: 20_000 })).toBe(true); // 55 m
    expect(responsive.keep({ lat: 48.8505, lng: 2.35, ts: 20_000 + 300_000 })).toBe(true); // heartbeat
  });

  it('distance and backoff', () => {
    expect(distanceM({ lat: 0, lng: 0 }, { lat: 0, lng: 1 })).toBeCloseTo(111_195, -2);
    const delays = Array.from({ length: 12 }, (_, a) => backoffDelay(a, 500, 30_000, () => 1));
    expect(delays.slice(0, 3)).toEqual([500, 1000, 2000]);
    expect(Math.max(...delays)).toBe(30_000);
    expect(backoffDelay(3, 500, 30_000, () => 0)).toBe(2000); // jitter: between half and all of the ceiling
  });

  it('drops inaccurate fixes and the oldest buffered message on overflow, counting both; persists the buffer', async () => {
    const storage = memoryStorage();
    const client = createClient({
      gatewayUrl: 'mqtt://127.0.0.1:1',
      deviceId: 'unit-1',
      getToken: async () => 'never-used',
      storage,
      bufferLimit: 3,
      maxAccuracyM: 50,
    });
    await client.trackLocation({ lat: 1, lng: 1, accuracy: 500, ts: 1 });
    for (let i = 0; i < 5; i++)
      await client.trackLocation({ lat: 1, lng: 1 + i / 1000, accuracy: 10, ts: 10 + i });
    expect(client.stats()).toMatchObject({ lowAccuracyDropped: 1, bufferDropped: 2, buffered: 3 });
    const saved = JSON.parse((await storage.getItem('hexcast:unit-1:outbox')) ?? '[]') as Array<{
      payload: string;
    }>;
    expect(saved.map((e) => JSON.parse(e.payload).fixes[0].ts)).toEqual([12, 13, 14]);
    // A new client on the same storage picks the buffer up.
    const again = createClient({
      gatewayUrl: 'mqtt://127.0.0.1:1',
      deviceId: 'unit-1',
      getToken: async () => 'x',
      storage,
    });
    await again.track({ productId: 'p1', action: 'view' });
    expect(again.stats().buffered).toBe(4);
  });

  it("an app's own mode: batches of its size, each announced with its fixes' times; a number out of range is HX_SDK_INVALID_MODE", async () => {
    const storage = memoryStorage();
    let now = 5_000;
    const client = createClient({
      gatewayUrl: 'mqtt://127.0.0.1:1',
      deviceId: 'unit-3',
      getToken: async () => 'x',
      storage,
      clock: () => now,
    });
    const batches: Array<{ fixes: number; firstTs: number; lastTs: number; at: number }> = [];
    client.on('locationBatch', (b) => batches.push(b));
    let onFix: ((fix: { lat: number; lng: number; accuracy: number; ts: number }) => void) | null = null;
    const provider = { start: (f: typeof onFix) => (onFix = f), stop: () => (onFix = null) };
    const own = {
      distanceFilterM: 0,
      minIntervalMs: 0,
      heartbeatMs: 0,
      batchSize: 3,
      maxBatchDelayMs: 60_000,
    };
    for (const wrong of [
      { batchSize: 0 },
      { batchSize: 101 },
      { batchSize: 2.5 },
      { minIntervalMs: -1 },
      { heartbeatMs: Number.NaN },
    ])
      expect(() => client.startTracking(provider, { ...own, ...wrong })).toThrow(
        expect.objectContaining({ code: 'HX_SDK_INVALID_MODE' }),
      );
    expect(onFix).toBeNull(); // nothing started
    client.startTracking(provider, own);
    for (let i = 0; i < 7; i++) {
      now = 10_000 + i * 1000;
      onFix!({ lat: 48.85, lng: 2.35 + i / 10_000, accuracy: 5, ts: now });
    }
    await client.close(); // the partial batch goes out too
    expect(batches).toEqual([
      { fixes: 3, firstTs: 10_000, lastTs: 12_000, at: 12_000 },
      { fixes: 3, firstTs: 13_000, lastTs: 15_000, at: 15_000 },
      { fixes: 1, firstTs: 16_000, lastTs: 16_000, at: 16_000 },
    ]);
    const saved = JSON.parse((await storage.getItem('hexcast:unit-3:outbox')) ?? '[]') as Array<{
      payload: string;
    }>;
    expect(saved.map((e) => JSON.parse(e.payload).fixes.length)).toEqual([3, 3, 1]);
  });

  it('rolls the clickstream session after inactivity', async () => {
    let now = 1_000_000;
    const client = createClient({
      gatewayUrl: 'mqtt://127.0.0.1:1',
      deviceId: 'unit-2',
      getToken: async () => 'x',
      clock: () => now,
      sessionTimeoutMs: 60_000,
    });
    await client.track({ productId: 'p1', action: 'view' });
    const first = client.sessionId;
    now += 59_000;
    await client.track({ productId: 'p2', action: 'click' });
    expect(client.sessionId).toBe(first);
    now += 61_000;
    await client.track({ productId: 'p3', action: 'cart' });
    expect(client.sessionId).not.toBe(first);
  });
});
