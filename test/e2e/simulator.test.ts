import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatReport, loadCity, Simulator } from '@hexcast/simulator';
import { connectAsync as mqttConnect } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { type DevProcess, HEXCAST_BIN, startDev } from '../helpers/dev.js';
import { sharedData } from '../helpers/shared-data.js';
import { waitFor } from '../helpers/wait-for.js';

describe('the simulator against the embedded stack (hexcast dev with the seeded Paris demo)', () => {
  let dev: DevProcess | undefined;
  afterAll(async () => {
    await dev?.stop();
  });

  it('40 devices on the real SDK: coupons flow, 0 duplicates, 0 lost, every coupon in exactly one terminal state; the same through hexcast simulate', async () => {
    dev = await startDev({ HX_DEV_SEED_CITY: 'paris' });
    const dataDir = dev.dataDir;
    // The seed logs before the banner, but a log line and the banner reach the pipe by different
    // writers and may arrive in either order (seen once under CI load): waited for, not assumed.
    const lines = dev.lines;
    const seeded = await waitFor(() => lines.find((l) => l.includes('seeded demo campaigns')), {
      timeoutMs: 30_000,
      message: 'the demo seed logged',
    });
    expect(JSON.parse(seeded).campaigns).toBe(loadCity('paris').pois.length);

    const sim = new Simulator({
      apiUrl: dev.api,
      gatewayUrl: dev.mqtt,
      apiKey: dev.adminKey(),
      devices: 40,
      city: loadCity('paris'),
      durationMs: 20_000,
      warmupMs: 5_000,
      seed: 3,
      settleMs: 20_000,
      // Two fixes a message, as a batched SDK mode sends them (the CLI runs below send one each).
      fixesPerMessage: 2,
    });
    const report = await sim.run();
    console.log(formatReport(report));
    // Something happened: devices moved, the gateway acked, fences were crossed, coupons flowed.
    expect(report.fixesGenerated).toBeGreaterThan(40 * 12);
    expect(report.warmup?.fixes).toBeGreaterThan(40 * 3);
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
    // Every coupon a device got is in exactly one of the two: the warm-up's or the measured seconds'.
    expect(report.latencyMs.count + report.warmup!.latencyMs.count).toBe(report.coupons.receivedOnDevices);
    expect(report.coupons.redeemFailures).toBe(0);
    // Two fixes a message: half as many location messages as fixes (plus each client's last,
    // partial batch when it closes), and a coupon's latency from its message leaves out its fix's
    // wait in the batch: nothing for a batch's second fix, a tick (1 s) for its first.
    const locationMessages = report.messagesSent - report.clicks;
    const allFixes = report.fixesGenerated + report.warmup!.fixes;
    expect(locationMessages).toBeLessThanOrEqual(allFixes / 2 + 2 * 40);
    expect(locationMessages).toBeGreaterThanOrEqual(allFixes / 2 - 40);
    expect(report.batchWaitMs.max).toBeGreaterThanOrEqual(900);
    expect(report.batchWaitMs.max).toBeLessThan(5_000);
    expect(report.sentLatencyMs.p99).toBeLessThanOrEqual(report.latencyMs.p99);
    expect(report.errors).toEqual({});

    // The same through the command line: `hexcast simulate` reads the admin key from the data
    // dir, writes its JSON report, prints the table, and exits 0 when the invariants hold.
    const reportFile = path.join(dataDir, 'cli-report.json');
    const { api, mqtt } = dev;
    const simulate = (...args: string[]) =>
      runSimulate(['--api', api, '--gateway', mqtt, ...args], { ...process.env, HX_DATA_DIR: dataDir });
    const tenDevicesSixSeconds = ['--devices', '10', '--city', 'paris', '--duration', '6s'];
    const {
      code: cliCode,
      out,
      err,
    } = await simulate(
      ...tenDevicesSixSeconds,
      '--warmup',
      '2s',
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
    expect(fromCli.fixesGenerated).toBeGreaterThan(10 * 4);
    expect(fromCli.warmup?.durationS).toBeGreaterThanOrEqual(2);
    // Continuous mode: a message per fix (and per click); the warm-up's are counted too.
    expect(fromCli.messagesSent - fromCli.clicks).toBeGreaterThanOrEqual(0.9 * fromCli.fixesGenerated);

    // The app's SDK mode decides what is sent: in responsive mode the SDK keeps a fix every 15 s at
    // most and sends four to a message, so a 6 s run sends a few location messages, not a fix each.
    // This run also browses along a click log (the first sessions of the YOOCHOOSE sample): the
    // simulator puts its items in the catalogue first.
    const responsiveFile = path.join(dataDir, 'cli-report-responsive.json');
    const logFile = path.join(dataDir, 'click-log.tsv');
    const log = readFileSync(sharedData('sessions/rsc15_train_valid.tsv'), 'utf8').split('\n').slice(0, 301);
    writeFileSync(logFile, `${log.join('\n')}\n`);
    const logItem = log[1]!.split('\t')[1]!;
    const responsive = await simulate(
      '--browse',
      logFile,
      ...tenDevicesSixSeconds,
      '--settle',
      '5s',
      '--seed',
      '11',
      '--mode',
      'responsive',
      '--report',
      responsiveFile,
    );
    expect(responsive.code).toBe(0);
    const batched = JSON.parse(readFileSync(responsiveFile, 'utf8')) as typeof report;
    expect(batched.mode).toBe('responsive');
    expect(batched.fixesGenerated).toBeGreaterThan(10 * 4);
    expect(batched.messagesSent - batched.clicks).toBeLessThanOrEqual(batched.fixesGenerated / 3);
    expect(batched.recommendations.browsing).toBe('sessions');
    expect(report.recommendations.browsing).toBe('categories');
    const product = await fetch(`${api}/v1/products/${logItem}`, {
      headers: { authorization: `Bearer ${dev.adminKey()}` },
    });
    expect(product.status).toBe(200);
    expect(await product.json()).toMatchObject({ productId: logItem, available: true });
    // A file that is not a click log is a usage error before anything runs.
    const notALog = await simulate('--browse', path.join(dataDir, 'admin.key'), '--devices', '1');
    expect(notALog.code).not.toBe(0);
    expect(notALog.err).toContain('HX_CLI_USAGE');
    // Fixes go several to a message in continuous mode only: the batched modes batch by themselves.
    const batchedTwice = await simulate('--mode', 'responsive', '--fixes-per-message', '2', '--devices', '1');
    expect(batchedTwice.code).not.toBe(0);
    expect(batchedTwice.err).toContain('HX_CLI_USAGE');
    expect(batchedTwice.err).toContain('--fixes-per-message');

    // A user's own device (no demo tag) walking into a seeded point of interest: the demo
    // campaigns are for simulated devices only, so it is passed over (audience), no coupon.
    const audienceSkips = async () => {
      const text = await (await fetch(`${api}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('hexcast_offers_skipped_total{reason="audience"}'));
      return line === undefined ? 0 : Number(line.split(' ').pop());
    };
    expect(await audienceSkips()).toBe(0);
    const own = await fetch(`${api}/v1/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dev.adminKey()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: 'my-own-phone', region: 'local', platform: 'node' }),
    });
    const ownToken = ((await own.json()) as { token: string }).token;
    const phone = await mqttConnect(mqtt, {
      clientId: 'my-own-phone',
      username: 'my-own-phone',
      password: ownToken,
    });
    const inbox: Array<{ type: string }> = [];
    phone.on('message', (_t, p) => inbox.push(JSON.parse(p.toString())));
    await phone.subscribeAsync('hx/d/my-own-phone/inbox', { qos: 1 });
    const poi = loadCity('paris').pois[0]!;
    // Walks of 300 m in 10 s (30 m/s: no impossible travel), out and back in.
    let ts = Date.now() - 60_000;
    await waitFor(
      async () => {
        if ((await audienceSkips()) > 0) return true;
        ts += 20_000;
        const fixes = [
          { lat: poi.lat + 0.0027, lng: poi.lng, accuracy: 5, ts },
          { lat: poi.lat, lng: poi.lng, accuracy: 5, ts: ts + 10_000 },
        ];
        await phone.publishAsync('hx/d/my-own-phone/loc', JSON.stringify({ fixes }), { qos: 1 });
        return false;
      },
      { timeoutMs: 30_000, intervalMs: 2000, message: 'the demo campaign passed over for audience' },
    );
    expect(inbox.filter((m) => m.type === 'offer')).toEqual([]);
    phone.end(true);

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
