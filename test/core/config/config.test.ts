import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HexcastError, loadConfig } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

function expectConfigError(fn: () => unknown, code: string, source?: string): HexcastError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HexcastError);
    const hx = error as HexcastError;
    expect(hx.code).toBe(code);
    if (source !== undefined) {
      expect(hx.message).toContain(source);
      expect(hx.details.source).toBe(source);
    }
    return hx;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies defaults with an empty environment and freezes the result', () => {
    const config = loadConfig({ env: {} });
    expect(config.env).toBe('development');
    expect(config.kafka.brokers).toBeUndefined();
    expect(config.broker.port).toBe(9092);
    expect(config.broker.autoCreateTopics).toBe(true);
    expect(config.http.port).toBe(8080);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.broker)).toBe(true);
    expect(() => {
      (config.broker as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('reads the distributed-mode variables', () => {
    const config = loadConfig({
      env: {
        KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
        REDIS_URL: 'redis://cache:6379',
        DATABASE_URL: 'postgres://db/hexcast',
        HX_BROKER_AUTO_CREATE_TOPICS: 'false',
        HX_HTTP_PORT: '0',
      },
    });
    expect(config.kafka.brokers).toEqual(['kafka-1:9092', 'kafka-2:9092']);
    expect(config.redisUrl).toBe('redis://cache:6379');
    expect(config.databaseUrl).toBe('postgres://db/hexcast');
    expect(config.broker.autoCreateTopics).toBe(false);
    expect(config.http.port).toBe(0);
    expect(loadConfig({ env: { HX_GEO_MAX_SPEED_MPS: '55.5' } }).geo.maxSpeedMps).toBe(55.5);
  });

  it.each([
    ['HX_BROKER_PORT', 'ninety'],
    ['HX_BROKER_PORT', '70000'],
    ['HX_BROKER_PORT', '1.5'],
    ['HX_BROKER_IN_MEMORY', 'maybe'],
    ['HX_LOG_LEVEL', 'loud'],
    ['HX_ENV', 'staging'],
    ['KAFKA_BROKERS', 'no-port-here'],
    ['REDIS_URL', 'http://not-redis'],
    ['DATABASE_URL', 'mysql://x'],
    ['HX_REGION', 'EU West'],
    ['HX_BROKER_FLUSH', 'sometimes'],
    ['HX_GEO_MAX_SPEED_MPS', 'fast'],
    ['HX_DEVICE_TOKEN_SECRET', 'too-short'],
    ['HX_DEMO_DEVICES', 'lots'],
    ['HX_DEMO_DEVICES', '-5'],
  ])('rejects %s=%s with a coded error naming the variable', (variable, value) => {
    expectConfigError(() => loadConfig({ env: { [variable]: value } }), 'HX_CONFIG_INVALID', variable);
  });

  it('layers file < env < overrides', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hx-config-'));
    const file = path.join(dir, 'hexcast.json');
    writeFileSync(file, JSON.stringify({ region: 'eu-west', broker: { defaultPartitions: 6, port: 9999 } }));
    const config = loadConfig({
      env: { HX_CONFIG_FILE: file, HX_BROKER_PORT: '9100' },
      overrides: { region: 'us' },
    });
    expect(config.broker.defaultPartitions).toBe(6);
    expect(config.broker.port).toBe(9100);
    expect(config.region).toBe('us');
  });

  it('names the file key when a file value is invalid', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hx-config-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ broker: { defaultPartitions: 0 } }));
    const error = expectConfigError(() => loadConfig({ env: {}, file }), 'HX_CONFIG_INVALID');
    expect(error.message).toContain('broker.defaultPartitions');
  });

  it('rejects unknown keys, unreadable and non-object files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hx-config-'));
    const unknown = path.join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ colour: 'blue' }));
    expectConfigError(() => loadConfig({ env: {}, file: unknown }), 'HX_CONFIG_INVALID');
    expectConfigError(
      () => loadConfig({ env: {}, file: path.join(dir, 'missing.json') }),
      'HX_CONFIG_FILE_UNREADABLE',
    );
    const array = path.join(dir, 'array.json');
    writeFileSync(array, '[1,2]');
    expectConfigError(() => loadConfig({ env: {}, file: array }), 'HX_CONFIG_FILE_UNREADABLE');
  });

  it('rejects inconsistent session timeout bounds', () => {
    expectConfigError(
      () =>
        loadConfig({
          env: {},
          overrides: { broker: { minSessionTimeoutMs: 5000, maxSessionTimeoutMs: 10 } },
        }),
      'HX_CONFIG_INVALID',
    );
  });
});
