import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { prettyLogs } from '@hexcast/core';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../helpers/shared-data.js';

const run = promisify(execFile);
const bin = new URL('../../../core/bin/hexcast.js', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL('../../../core/package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('hexcast CLI', () => {
  it('stops hexcast dev on a busy API port with one coded line naming the port and its variable, exit non-zero', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as { port: number };
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-cli-busy-'));
    try {
      const env = {
        ...process.env,
        HX_DATA_DIR: dataDir,
        HX_HTTP_PORT: String(port),
        HX_BROKER_PORT: '0',
        HX_GATEWAY_MQTT_PORT: '0',
        HX_GATEWAY_HTTP_PORT: '0',
        HX_DEV_SEED_CITY: 'none',
        HX_LOG_LEVEL: 'fatal',
        KAFKA_BROKERS: '',
      };
      // execFile's own timeout would kill a hanging process and fail here: it must exit by itself.
      const result = (await run(process.execPath, [bin, 'dev'], { env, timeout: 60_000 }).catch(
        (e: unknown) => e,
      )) as { code: number | null; killed?: boolean; stderr: string };
      expect(result.killed).toBeFalsy();
      expect(result.code).toBe(1);
      const line = result.stderr.split('\n').find((l) => l.startsWith('HX_LISTEN_FAILED'));
      expect(line).toContain(String(port));
      expect(line).toContain('HX_HTTP_PORT');
    } finally {
      busy.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('logs readable lines when asked (HX_LOG_FORMAT=pretty, or auto on a terminal) and JSON lines otherwise', async () => {
    const firstLines = (format: string) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [bin, 'broker', '--port', '0', '--in-memory'], {
          env: { ...process.env, HX_LOG_FORMAT: format, HX_HTTP_PORT: '0', KAFKA_BROKERS: '' },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('broker listening')) child.kill('SIGTERM');
        });
        child.on('exit', () => resolve(out));
        child.on('error', reject);
      });
    const pretty = (await firstLines('pretty')).split('\n').find((l) => l.includes('broker listening'))!;
    expect(pretty.startsWith('{')).toBe(false);
    expect(pretty).toMatch(/^\S*\[\d{2}:\d{2}:\d{2}\.\d{3}\]\S* \S*INFO/);
    // Under a pipe, auto is JSON: what log shippers (and these tests' helpers) read.
    const auto = (await firstLines('auto')).split('\n').find((l) => l.includes('broker listening'))!;
    expect(JSON.parse(auto)).toMatchObject({ level: 30, msg: 'broker listening' });
    // And auto on a terminal is readable.
    expect([prettyLogs('auto', true), prettyLogs('auto', false), prettyLogs('json', true)]).toEqual([
      true,
      false,
      false,
    ]);
  }, 60_000);

  it('prints its version', async () => {
    const { stdout } = await run(process.execPath, [bin, '--version']);
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('lists its commands in --help', async () => {
    const { stdout } = await run(process.execPath, [bin, '--help']);
    expect(stdout).toContain('Usage: hexcast');
    for (const command of ['dev', 'worker', 'model', 'simulate', 'gateway', 'replay'])
      expect(stdout).toContain(command);
  });

  it('refuses bad simulate and worker invocations with a coded error, not a stack trace', async () => {
    const env = { ...process.env, KAFKA_BROKERS: '' };
    const bogus = (await run(process.execPath, [bin, 'simulate', '--mode', 'warp'], { env }).catch(
      (e: unknown) => e,
    )) as { code: number; stderr: string };
    expect(bogus.code).not.toBe(0);
    expect(bogus.stderr).toContain('HX_CLI_USAGE');
    const city = (await run(process.execPath, [bin, 'simulate', '--city', '/nonexistent.json'], {
      env,
    }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(city.stderr).toContain('HX_CLI_USAGE');
    const worker = (await run(process.execPath, [bin, 'worker', 'offers'], {
      env: { ...process.env, KAFKA_BROKERS: 'localhost:1', DATABASE_URL: '' },
    }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(worker.code).not.toBe(0);
    expect(worker.stderr).toContain('DATABASE_URL');
  });

  it('trains, writes and evaluates a propensity model from the command line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hx-cli-model-'));
    try {
      const trained = await run(process.execPath, [
        bin,
        'model',
        'train',
        '--out',
        dir,
        '--users',
        '400',
        '--offers',
        '5',
        '--epochs',
        '2',
      ]);
      expect(trained.stdout).toMatch(/propensity-\d{8}T\d{6}Z-[0-9a-f]{8}/);
      expect(trained.stdout).toContain('heuristic-v1');
      expect(existsSync(path.join(dir, 'model.json'))).toBe(true);
      expect(existsSync(path.join(dir, 'weights.bin'))).toBe(true);
      const evaluated = await run(process.execPath, [bin, 'model', 'evaluate', dir, '--users', '200']);
      expect(evaluated.stdout).toMatch(/AUC/);
      const publish = (await run(process.execPath, [bin, 'model', 'publish', dir], {
        env: { ...process.env, KAFKA_BROKERS: '' },
      }).catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(publish.stderr).toContain('HX_CLI_USAGE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('evaluates sentiment on two labelled files (VADER, TF-IDF logistic regression, hexcast), as JSON too, and trains a sentiment model', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hx-cli-sentiment-'));
    try {
      const lines = readFileSync(sharedData('sentiment/tweets_dev.tsv'), 'utf8').split('\n');
      const train = path.join(dir, 'train.tsv');
      const test = path.join(dir, 'test.tsv');
      writeFileSync(train, lines.slice(0, 800).join('\n'));
      writeFileSync(test, lines.slice(800, 1100).join('\n'));
      const json = await run(
        process.execPath,
        [bin, 'model', 'evaluate', 'sentiment', '--train', train, '--test', test, '--json'],
        {
          timeout: 120_000,
        },
      );
      const scores = JSON.parse(json.stdout) as Record<
        string,
        { accuracy: number; macro_f1: number; weighted_f1: number; r: number }
      >;
      expect(Object.keys(scores)).toEqual(['vader', 'tfidf-logreg', 'hexcast']);
      for (const s of Object.values(scores)) {
        expect(s.accuracy).toBeGreaterThan(0.5);
        expect(s.weighted_f1).toBeGreaterThan(0.4);
        expect(s.r).toBeGreaterThan(0.3);
      }
      const bad = (await run(process.execPath, [
        bin,
        'model',
        'evaluate',
        'sentiment',
        '--train',
        train,
      ]).catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('HX_CLI_USAGE');
      const out = path.join(dir, 'model');
      const trained = await run(
        process.execPath,
        [bin, 'model', 'train', 'sentiment', '--data', train, '--out', out, '--folds', '1', '--epochs', '2'],
        { timeout: 120_000 },
      );
      expect(trained.stdout).toContain('trained on 800 posts');
      expect(
        JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8')).userDefinedMetadata.hexcast.format,
      ).toBe('hexcast-sentiment/1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('evaluates recommendations on two session files (popular, item-kNN, V-SKNN, hexcast), as JSON too, and trains a model it will not publish without a bus', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hx-cli-recs-'));
    try {
      const lines = readFileSync(sharedData('sessions/rsc15_train_tr.tsv'), 'utf8').split('\n');
      const train = path.join(dir, 'train.tsv');
      const test = path.join(dir, 'test.tsv');
      writeFileSync(train, lines.slice(0, 12_000).join('\n'));
      writeFileSync(test, [lines[0], ...lines.slice(12_000, 15_000)].join('\n'));
      const json = await run(
        process.execPath,
        [bin, 'recs', 'evaluate', '--train', train, '--test', test, '--json', '--epochs', '0'],
        {
          timeout: 120_000,
        },
      );
      const scores = JSON.parse(json.stdout) as Record<string, { 'hr@20': number; 'mrr@20': number }>;
      expect(Object.keys(scores)).toEqual(['popular', 'item-knn', 'v-sknn', 'hexcast']);
      for (const s of Object.values(scores)) {
        expect(Object.keys(s)).toEqual(['hr@20', 'mrr@20']);
        expect(s['hr@20']).toBeGreaterThan(0);
        expect(s['mrr@20']).toBeLessThanOrEqual(s['hr@20']);
      }
      expect(scores['v-sknn']!['hr@20']).toBeGreaterThan(scores.popular!['hr@20']);
      const bad = (await run(process.execPath, [
        bin,
        'recs',
        'evaluate',
        '--train',
        path.join(dir, 'none.tsv'),
        '--test',
        test,
      ]).catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('HX_CLI_USAGE');
      const out = path.join(dir, 'model');
      const trained = await run(
        process.execPath,
        [bin, 'recs', 'train', '--data', train, '--out', out, '--epochs', '1'],
        {
          timeout: 120_000,
        },
      );
      expect(trained.stdout).toMatch(/trained recs-\S+: \d+ items/);
      expect(JSON.parse(readFileSync(path.join(out, 'recs.json'), 'utf8')).format).toBe('hexcast-recs/1');
      const publish = (await run(process.execPath, [bin, 'recs', 'publish', out], {
        env: { ...process.env, KAFKA_BROKERS: '' },
      }).catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(publish.stderr).toContain('HX_CLI_USAGE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('exits non-zero on an unknown command', async () => {
    const error = (await run(process.execPath, [bin, 'teleport']).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(error.code).not.toBe(0);
    expect(error.stderr).toContain("unknown command 'teleport'");
  });
});
