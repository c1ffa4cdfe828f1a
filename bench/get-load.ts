/**
 * An open-loop GET load in a process of its own (a small heap: the bench's data and models stay in
 * the parent, so their garbage collections do not stall this client). Reads a job from stdin —
 * `{ base, urls, rate, seconds, headers }` — requests `urls` in turn at `rate`/s for `seconds` after a one-second warm-up, and
 * writes `{ latencies, failed, seconds, loopDelayP99Ms, loopDelayMaxMs }` to stdout.
 */
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { text } from 'node:stream/consumers';

interface Job {
  base: string;
  urls: string[];
  rate: number;
  seconds: number;
  headers: Record<string, string>;
}

const job = JSON.parse(await text(process.stdin)) as Job;
// node:http with keep-alive: lighter than fetch, so the client's own loop stalls less (fetch here: p99 13.6 ms, loop delay max 22 ms; node:http: 2.4 ms, 5 ms).
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const base = new URL(job.base);
function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: base.hostname, port: base.port, path: url, headers: job.headers },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** `count` requests at the rate, from url `from` on; latencies of those answered, and failures. */
async function run(count: number, from: number): Promise<{ latencies: number[]; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  const gets: Array<Promise<void>> = [];
  const t0 = Date.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + (i / job.rate) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    gets.push(
      get(job.urls[(from + i) % job.urls.length]!).then(
        (status) => {
          if (status !== 200) failed++;
          latencies.push(performance.now() - t);
        },
        () => {
          failed++;
        },
      ),
    );
  }
  await Promise.all(gets);
  return { latencies, failed };
}

// One second at the rate first, not measured: the JIT, and the connection pool grown to the load.
await run(job.rate, 0);
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const t0 = Date.now();
const { latencies, failed } = await run(job.rate * job.seconds, job.rate);
loop.disable();
process.stdout.write(
  JSON.stringify({
    latencies,
    failed,
    seconds: (Date.now() - t0) / 1000,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
  }),
);
