import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../core/bin/hexcast.js', import.meta.url));

export interface ServiceProcess<T> {
  /** The parsed log line that said the service is up. */
  ready: T;
  child: ChildProcess;
  /** Resident set size now, bytes (Linux /proc). */
  rssBytes(): number;
  /** CPU time used so far (user + system), ms (Linux /proc). */
  cpuMs(): number;
  /** Its main thread's time on a core and waiting for one so far, ms (see `mainThreadMs`). */
  mainThreadMs(): { runMs: number; waitMs: number };
  stop(): Promise<void>;
}

/**
 * Runs a script (TypeScript, through tsx) in its own process and resolves with the first JSON
 * log line containing `readyMessage`.
 */
export async function spawnService<T>(
  script: string,
  args: string[],
  readyMessage: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess<T>> {
  // BENCH_PROFILE_DIR=<dir>: every service process writes a V8 CPU profile there on exit.
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  // BENCH_NODE_ARGS: extra V8/Node flags for every service process (e.g. --max-semi-space-size=64).
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return spawnProcess<T>(
    process.execPath,
    [...profile, ...extra, '--conditions=source', '--import', 'tsx', script, ...args],
    readyMessage,
    { HX_LOG_LEVEL: 'info', ...env },
    (line) => JSON.parse(line) as T,
  );
}

/**
 * Runs a program in its own process and resolves once a line of its standard output contains
 * `readyMessage` (`ready` is that line, parsed by `parse`).
 */
export async function spawnProcess<T>(
  command: string,
  args: string[],
  readyMessage: string,
  env: Record<string, string>,
  parse: (line: string) => T,
): Promise<ServiceProcess<T>> {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<T>((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      for (const line of text.split('\n')) {
        if (!line.includes(readyMessage)) continue;
        child.stdout?.off('data', onData);
        // BENCH_CHILD_OUT=<dir>: what the process writes after it is ready is kept there, in
        // <pid>.out (with BENCH_NODE_ARGS=--trace-gc, its collections); otherwise it is dropped.
        const keep = process.env.BENCH_CHILD_OUT;
        if (keep) child.stdout?.pipe(createWriteStream(path.join(keep, `${child.pid}.out`)));
        else child.stdout?.resume();
        resolve(parse(line));
        return;
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`${[command, ...args].join(' ')} exited with ${code} before "${readyMessage}"`)),
    );
  });
  return {
    ready,
    child,
    rssBytes: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb * 1024;
    },
    cpuMs: () => {
      // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100/s).
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    mainThreadMs: () => mainThreadMs(child.pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** `hexcast <args>` in its own process. */
export function spawnHexcast<T>(args: string[], readyMessage: string, env: Record<string, string> = {}) {
  return spawnService<T>(BIN, args, readyMessage, { HX_HTTP_PORT: '0', HX_BROKER_OPS_PORT: '0', ...env });
}

/** A TCP port free on 127.0.0.1 right now (for a child process told where to listen). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export interface BenchDev {
  dev: ServiceProcess<unknown>;
  dataDir: string;
  /** `127.0.0.1:<broker port>` and `http://127.0.0.1:<api port>`. */
  bootstrap: string;
  api: string;
  /** Stops the process and removes its data directory. */
  stop(): Promise<void>;
}

/** `hexcast dev` in its own process on free ports and a fresh data directory, without the demo city. */
export async function startBenchDev(name: string, env: Record<string, string> = {}): Promise<BenchDev> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `hx-bench-${name}-`));
  const [brokerPort, httpPort] = [await freePort(), await freePort()];
  const dev = await spawnHexcast(['dev'], 'api listening', {
    HX_DATA_DIR: dataDir,
    HX_DEV_SEED_CITY: 'none',
    HX_BROKER_PORT: String(brokerPort),
    HX_HTTP_PORT: String(httpPort),
    HX_GATEWAY_MQTT_PORT: '0',
    HX_GATEWAY_HTTP_PORT: '0',
    ...env,
  });
  return {
    dev,
    dataDir,
    bootstrap: `127.0.0.1:${brokerPort}`,
    api: `http://127.0.0.1:${httpPort}`,
    stop: async () => {
      await dev.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** What `bench/get-load.ts` measured: each answered request's latency (ms) and its own loop's stalls. */
export interface GetLoadResult {
  latencies: number[];
  failed: number;
  seconds: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

/** Runs an open-loop GET load (`bench/get-load.ts`) in a process of its own and waits for its figures. */
export async function getLoad(job: {
  base: string;
  urls: string[];
  rate: number;
  seconds: number;
  headers: Record<string, string>;
}): Promise<GetLoadResult> {
  const script = fileURLToPath(new URL('./get-load.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  child.stdin!.end(JSON.stringify(job));
  const [out, code] = await Promise.all([text(child.stdout!), exited]);
  if (code !== 0) throw new Error(`get-load exited with ${code}`);
  return JSON.parse(out) as GetLoadResult;
}

/**
 * A process's main thread (the event loop, for Node) as Linux's scheduler counts it
 * (`/proc/<pid>/schedstat`), ms so far: `runMs` on a core, `waitMs` runnable but waiting for one
 * (the run queue). Two readings give the share of a second the loop ran and the share it was
 * ready and did not: on a machine whose cores are shared by more busy threads than it has, that
 * wait is part of every latency crossing the process. NaN where the kernel does not keep them or
 * the process is gone.
 */
export function mainThreadMs(pid: number | undefined): { runMs: number; waitMs: number } {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ');
    return { runMs: Number(run) / 1e6, waitMs: Number(wait) / 1e6 };
  } catch {
    return { runMs: Number.NaN, waitMs: Number.NaN };
  }
}

/**
 * The machine's busy CPU time so far (ms), from /proc/stat's first line (every core, in clock ticks
 * of 10 ms): everything but idle and iowait. Two readings give the cores busy between them,
 * whoever used them (the stack, the load generator, PostgreSQL, anything else running).
 */
export function machineCpuMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return (total - (fields[3] ?? 0) - (fields[4] ?? 0)) * 10;
}
