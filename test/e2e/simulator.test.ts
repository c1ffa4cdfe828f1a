import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatReport, loadCity, Simulator } from '@hexcast/simulator';
import { afterAll, describe, expect, it } from 'vitest';
import { type DevProcess, HEXCAST_BIN, startDev } from '../helpers/dev.js';

describe('the simulator against the embedded stack (hexcast dev with the seeded Paris demo)', () => {
  let dev: DevProcess | undefined;
  afterAll(async () => {
    await dev?.stop();
  });

  it('40 devices on the real SDK: coupons flow, 0 duplicates, 0 lost, every coupon in exactly one terminal state; the same through hexcast simulate', async () => {
    dev = await startDev({ HX_DEV_SEED_CITY: 'paris' });
    const dataDir = dev.dataDir;
    const seeded = dev.lines.find((l) => l.includes('seeded demo campaigns'));
    expect(seeded === undefined ? undefined : JSON.parse(seeded).campaigns).toBe(
      loadCity('paris').pois.length,
    );

    const sim = new Simulator({
      apiUrl: dev.api,
      gatewayUrl: dev.mqtt,
      apiKey: dev.adminKey(),
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
    const { api, mqtt } = dev;
    const simulate = (...args: string[]) =>
      runSimulate(['--api', api, '--gateway', mqtt, ...args], { ...process.env, HX_DATA_DIR: dataDir });
    const {
      code: cliCode,
      out,
      err,
    } = await simulate(
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
      '--report',
      reportFile,
    );
    expect(cliCode).toBe(0);
    expect(out).toContain('lost (must be 0)');
    // Not a terminal: a plain table; and it said which key it used.
    expect(out).not.toContain('\u001b[');
    expect(err).toContain(`using the admin API key from ${path.join(dataDir, 'admin.key')}`);
    const fromCli = JSON.parse(readFileSync(reportFile, 'utf8')) as typeof report;
    expect(fromCli).toMatchObject({
      devices: 10,
      city: 'paris',
      duplicates: 0,
      lost: 0,
      terminalConsistent: true,
    });
    expect(fromCli.fixesGenerated).toBeGreaterThan(10 * 5);

    // A key the API refuses: one coded line, exit 1, no stack trace.
    const refused = await simulate('--devices', '1', '--duration', '1s', '--key', 'hx_000000000000_stale');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('using the admin API key from --key');
    expect(refused.err).toMatch(/^HX_SIMULATE_KEY_REFUSED: /m);
    expect(refused.err).not.toMatch(/\n\s+at /);

    expect(await dev.stop('SIGINT')).toBe(0);
  }, 240_000);
});

/** `hexcast simulate` in its own process: exit code, stdout and stderr. */
function runSimulate(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', HEXCAST_BIN, 'simulate', ...args],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out, err })));
}
