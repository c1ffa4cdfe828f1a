import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatReport, loadCity, Simulator } from '@hexcast/simulator';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';

const BIN = fileURLToPath(new URL('../../core/bin/hexcast.js', import.meta.url));

describe('the simulator against the embedded stack (hexcast dev with the seeded Paris demo)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-e2e-sim-'));
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('40 devices on the real SDK: coupons flow, 0 duplicates, 0 lost, every coupon in exactly one terminal state; the same through hexcast simulate', async () => {
    child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', BIN, 'dev'], {
      env: {
        ...process.env,
        HX_DATA_DIR: dataDir,
        HX_BROKER_PORT: '0',
        HX_HTTP_PORT: '0',
        HX_GATEWAY_MQTT_PORT: '0',
        HX_GATEWAY_HTTP_PORT: '0',
        HX_LOG_LEVEL: 'info',
        HX_DEV_SEED_CITY: 'paris',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const seen: { api?: string; mqtt?: string; seeded?: number; banner?: boolean } = {};
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('api listening')) seen.api = JSON.parse(line).address;
        if (line.includes('gateway listening')) seen.mqtt = JSON.parse(line).mqtt;
        if (line.includes('seeded demo campaigns')) seen.seeded = JSON.parse(line).campaigns;
        if (line.includes('Hexcast dev is up')) seen.banner = true;
      }
    });
    await waitFor(() => seen.api && seen.mqtt && seen.seeded && seen.banner, {
      timeoutMs: 90_000,
      message: 'dev started and seeded',
    });
    expect(seen.seeded).toBe(loadCity('paris').pois.length);

    const sim = new Simulator({
      apiUrl: seen.api!,
      gatewayUrl: seen.mqtt!,
      apiKey: readFileSync(path.join(dataDir, 'admin.key'), 'utf8').trim(),
      devices: 40,
      city: loadCity('paris'),
      durationMs: 25_000,
      seed: 3,
      settleMs: 20_000,
    });
    const report = await sim.run();
    console.log(formatReport(report));
    // Something happened: devices moved, the gateway acked, fences were crossed, coupons flowed.
    expect(report.fixesGenerated).toBeGreaterThan(40 * 15);
    expect(report.messagesAcked).toBeGreaterThan(0);
    expect(report.geoEvents).toBeGreaterThan(0);
    expect(report.coupons.issued).toBeGreaterThan(0);
    // The invariants.
    expect(report.duplicates).toBe(0);
    expect(report.lost).toBe(0);
    expect(report.terminalConsistent).toBe(true);
    expect(report.coupons.pending).toBe(0);
    expect(report.coupons.delivered + report.coupons.expired.total + report.coupons.rejected.total).toBe(
      report.coupons.issued,
    );
    expect(report.coupons.receivedOnDevices).toBe(report.coupons.delivered);
    expect(report.latencyMs.count).toBe(report.coupons.receivedOnDevices);
    expect(report.coupons.redeemFailures).toBe(0);
    expect(report.errors).toEqual({});

    // The same through the command line: `hexcast simulate` reads the admin key from the data
    // dir, writes its JSON report, prints the table, and exits 0 when the invariants hold.
    const reportFile = path.join(dataDir, 'cli-report.json');
    const cli = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        BIN,
        'simulate',
        '--devices',
        '10',
        '--city',
        'paris',
        '--duration',
        '8s',
        '--settle',
        '10s',
        '--seed',
        '9',
        '--api',
        seen.api!,
        '--gateway',
        seen.mqtt!,
        '--report',
        reportFile,
      ],
      { env: { ...process.env, HX_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    cli.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    cli.stderr!.resume();
    const cliCode = await new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    expect(cliCode).toBe(0);
    expect(out).toContain('lost (must be 0)');
    const fromCli = JSON.parse(readFileSync(reportFile, 'utf8')) as typeof report;
    expect(fromCli).toMatchObject({
      devices: 10,
      city: 'paris',
      duplicates: 0,
      lost: 0,
      terminalConsistent: true,
    });
    expect(fromCli.fixesGenerated).toBeGreaterThan(10 * 5);

    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child!.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 240_000);
});
