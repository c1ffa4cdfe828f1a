import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.js';

export const HEXCAST_BIN = fileURLToPath(new URL('../../core/bin/hexcast.js', import.meta.url));

export interface DevProcess {
  child: ChildProcess;
  dataDir: string;
  bootstrap: string;
  api: string;
  mqtt: string;
  /** Every stdout line so far (JSON log lines and the banner). */
  lines: string[];
  adminKey(): string;
  /** Sends `signal` and resolves with the exit code; removes the data dir. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * `hexcast dev` in its own process on ephemeral ports and a fresh data dir; resolves once the
 * banner says everything is up (the seeded demo city included when `HX_DEV_SEED_CITY` asks for one).
 */
export async function startDev(env: Record<string, string> = {}): Promise<DevProcess> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-e2e-dev-'));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', HEXCAST_BIN, 'dev'], {
    env: {
      ...process.env,
      HX_DATA_DIR: dataDir,
      HX_BROKER_PORT: '0',
      HX_HTTP_PORT: '0',
      HX_GATEWAY_MQTT_PORT: '0',
      HX_GATEWAY_HTTP_PORT: '0',
      HX_LOG_LEVEL: 'info',
      HX_DEV_SEED_CITY: 'none',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const seen: { bootstrap?: string; api?: string; mqtt?: string; up?: boolean } = {};
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      // Errors from the stack show in the test's output.
      if (/"level":(50|60)/.test(line)) process.stderr.write(`[dev] ${line.slice(0, 800)}\n`);
      if (line.includes('broker listening')) seen.bootstrap = JSON.parse(line).bootstrap;
      if (line.includes('api listening')) seen.api = JSON.parse(line).address;
      if (line.includes('gateway listening')) seen.mqtt = JSON.parse(line).mqtt;
      if (line.includes('Hexcast dev is up')) seen.up = true;
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(() => seen.up && seen.bootstrap && seen.api && seen.mqtt, {
    timeoutMs: 90_000,
    message: 'hexcast dev started',
  });
  return {
    child,
    dataDir,
    bootstrap: seen.bootstrap!,
    api: seen.api!,
    mqtt: seen.mqtt!,
    lines,
    adminKey: () => readFileSync(path.join(dataDir, 'admin.key'), 'utf8').trim(),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
