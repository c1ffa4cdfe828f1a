import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BenchCaseResult, type Benchmark, DeviceTokens, quantile } from '@hexcast/core';
import mqtt, { type MqttClient } from 'mqtt';
import { spawnBroker } from './broker-process.js';
import { freePort, type ServiceProcess, spawnHexcast, spawnProcess, spawnService } from './processes.js';

const DEVICES = 100;
/** QoS1 publishes each device keeps in flight in the throughput phase. */
const WINDOW = 8;
const FLOOD_FACTOR = Number(process.env.BENCH_FLOOD_FACTOR ?? 10);
const SECRET = 'bench-ingest-secret-0123456789abcdef012345';
const REGION = 'bench';
const RELAY_SCRIPT = new URL('./ingest-relay.ts', import.meta.url).pathname;
const MOSQUITTO = process.env.BENCH_MOSQUITTO ?? '/usr/sbin/mosquitto';

interface Server {
  url: string;
  /** The process whose memory the flood phase watches. */
  front: ServiceProcess<unknown>;
  /** The hexcast gateway's broker: its CPU counts with the gateway's (a relay has none). */
  broker?: { cpuMs(): number };
  stop(): Promise<void>;
}

/** One location fix per message, a device walking. */
function payload(device: number, seq: number): string {
  const fix = { lat: 48.8 + device * 1e-3 + seq * 1e-6, lng: 2.3 + seq * 1e-6, accuracy: 10, ts: Date.now() };
  return JSON.stringify({ fixes: [fix] });
}

async function connectDevices(url: string, auth: boolean): Promise<MqttClient[]> {
  const tokens = new DeviceTokens(SECRET, 3600);
  return Promise.all(
    Array.from({ length: DEVICES }, async (_, i) => {
      const id = `bench-dev-${i}`;
      return mqtt.connectAsync(url, {
        clientId: id,
        username: id,
        ...(auth ? { password: (await tokens.issue(id, REGION)).token } : {}),
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
    }),
  );
}

/** Closed loop: every device keeps WINDOW publishes in flight for `seconds`. */
async function throughput(clients: MqttClient[], seconds: number) {
  const latencies: number[] = [];
  let acked = 0;
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    clients.map(
      (client, device) =>
        new Promise<void>((resolve) => {
          let seq = 0;
          let inFlight = 0;
          const send = () => {
            if (performance.now() >= until) {
              if (inFlight === 0) resolve();
              return;
            }
            inFlight++;
            const t0 = performance.now();
            client.publish(
              `hx/d/${client.options.clientId}/loc`,
              payload(device, seq++),
              { qos: 1 },
              (error) => {
                inFlight--;
                if (error) errors++;
                else {
                  acked++;
                  latencies.push(performance.now() - t0);
                }
                send();
              },
            );
          };
          for (let i = 0; i < WINDOW; i++) send();
        }),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    msgs_per_s: acked / elapsed,
    p50_ms: quantile(latencies, 0.5),
    p99_ms: quantile(latencies, 0.99),
    errors,
  };
}

/**
 * Open loop: FLOOD_FACTOR × what the server just sustained, sent without waiting for acks.
 * Watches the server process's memory, then waits until every message is acknowledged.
 */
async function flood(clients: MqttClient[], server: Server, sustainedPerSecond: number, seconds: number) {
  const total = Math.round(sustainedPerSecond * FLOOD_FACTOR * seconds);
  const before = server.front.rssBytes();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, server.front.rssBytes());
  }, 50);
  let acked = 0;
  const started = performance.now();
  let crashed = 0;
  const died = new Promise<void>((resolve) => {
    if (server.front.child.exitCode !== null) return resolve();
    server.front.child.once('exit', () => {
      crashed = 1;
      resolve();
    });
  });
  const all = new Promise<void>((resolve) => {
    let sent = 0;
    const burst = () => {
      const until = Math.min(total, sent + 2000);
      for (; sent < until; sent++) {
        const device = sent % clients.length;
        const client = clients[device]!;
        client.publish(`hx/d/${client.options.clientId}/loc`, payload(device, sent), { qos: 1 }, () => {
          if (++acked === total) resolve();
        });
      }
      if (sent < total) setImmediate(burst);
    };
    burst();
  });
  const gaveUp = new Promise<void>((resolve) => setTimeout(resolve, 120_000).unref());
  await Promise.race([all, died, gaveUp]);
  clearInterval(sampler);
  return {
    flood_msgs: total,
    flood_unacked: total - acked,
    server_crashed: crashed,
    rss_before_mb: before / 2 ** 20,
    rss_peak_mb: peak / 2 ** 20,
    flood_drain_s: (performance.now() - started) / 1000,
  };
}

/** A relay process and the QoS1 subscriber it relays to, in a third process. */
async function withSink(relay: ServiceProcess<unknown>, url: string, cleanup = () => {}): Promise<Server> {
  const sink = await spawnService(RELAY_SCRIPT, ['sink', url], 'sink subscribed');
  return {
    url,
    front: relay,
    stop: async () => {
      await sink.stop();
      await relay.stop();
      cleanup();
    },
  };
}

async function bareRelay(): Promise<Server> {
  const relay = await spawnService<{ url: string }>(RELAY_SCRIPT, ['relay'], 'relay listening');
  return withSink(relay, relay.ready.url);
}

/**
 * Mosquitto (C), the broker a user would pick for a plain MQTT relay: its own process on a free
 * port, anonymous, no persistence, no limit on the subscriber's queue (its default of 1,000 would
 * drop what the flood phase sends beyond it, and a dropped message costs less than one relayed),
 * relaying to the same QoS1 subscriber in a third process.
 */
async function mosquittoRelay(): Promise<Server> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hx-bench-mosquitto-'));
  const port = await freePort();
  const config = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_queued_messages 0',
      'log_dest stdout',
      'log_type information',
    ].join('\n'),
  );
  // Through stdbuf (which execs it: the same pid): Mosquitto's stdout to a pipe is block-buffered,
  // and its "running" line would come only at exit.
  const relay = await spawnProcess('stdbuf', ['-oL', MOSQUITTO, '-c', config], 'running', {}, (line) => line);
  return withSink(relay, `mqtt://127.0.0.1:${port}`, () => rmSync(dir, { recursive: true, force: true }));
}

/** `flush`: the broker's flush policy, `interval` (its default) or `batch` (fsync before acking). */
async function hexcastGateway(flush: 'interval' | 'batch'): Promise<Server> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-bench-ingest-'));
  const broker = await spawnBroker(['--port', '0'], {
    HX_DATA_DIR: path.join(dataDir, 'broker'),
    HX_BROKER_FLUSH: flush,
  });
  const gateway = await spawnHexcast<{ mqtt: string }>(['gateway', '--region', REGION], 'gateway listening', {
    KAFKA_BROKERS: broker.bootstrap,
    HX_DATA_DIR: path.join(dataDir, 'gateway'),
    HX_DEVICE_TOKEN_SECRET: SECRET,
    HX_GATEWAY_MQTT_PORT: '0',
    HX_GATEWAY_HTTP_PORT: '0',
    // The bench measures throughput, not the per-device limit.
    HX_GATEWAY_RATE_PER_SECOND: '1000000',
    HX_GATEWAY_RATE_BURST: '1000000',
  });
  return {
    url: gateway.ready.mqtt,
    front: gateway,
    broker,
    stop: async () => {
      await gateway.stop();
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const bench: Benchmark = {
  name: 'ingest',
  description: `${DEVICES} devices × ${WINDOW} QoS1 location publishes in flight, over TCP, server in its own process; then a ${FLOOD_FACTOR}× open-loop flood`,
  baseline: 'bare aedes relay',
  primary: { metric: 'msgs_per_s', higherIsBetter: true },
  async run(context) {
    const seconds = context.quick ? 3 : 10;
    const floodSeconds = context.quick ? 1 : 2;
    const rounds = context.quick ? 1 : 3;
    const results: BenchCaseResult[] = [];
    const cases: Array<[string, () => Promise<Server>, boolean, string]> = [
      [
        'bare aedes relay',
        bareRelay,
        false,
        'aedes defaults, no auth/validation; PUBACK before relaying to one QoS1 subscriber in a third process',
      ],
      [
        'mosquitto relay (C)',
        mosquittoRelay,
        false,
        'Mosquitto 2 in its own process, anonymous, no persistence, unlimited subscriber queue; PUBACK before relaying to one QoS1 subscriber in a third process',
      ],
      [
        'hexcast gateway',
        () => hexcastGateway('interval'),
        true,
        'JWT auth, ACL, schema + sanity checks, rate limit, H3 cell, envelope, PUBACK after the broker (own process, disk log, fsync every 200 ms as Kafka by default) acked',
      ],
      [
        'hexcast gateway, fsync before ack',
        () => hexcastGateway('batch'),
        true,
        'the same with HX_BROKER_FLUSH=batch: the broker acks a produce only once it is fsynced (group commit); not part of the ratio target',
      ],
    ];
    type Sample = Awaited<ReturnType<typeof throughput>> &
      Awaited<ReturnType<typeof flood>> & {
        cpu_us_per_msg: number;
        broker_cpu_us_per_msg: number;
        stack_cpu_us_per_msg: number;
      };
    // BENCH_ONLY: a case's exact name, else every case whose name contains it.
    const only = process.env.BENCH_ONLY;
    const exact = cases.filter(([name]) => name === only);
    const chosen =
      exact.length > 0 ? exact : cases.filter(([name]) => only === undefined || name.includes(only));
    const samplesOf = new Map<string, Sample[]>(chosen.map(([name]) => [name, []]));
    // Rounds interleave the cases (relay, gateway, relay, …): this machine's speed drifts by tens
    // of percent over minutes, and a drift should hit both sides of the ratio alike.
    for (let round = 0; round < rounds; round++) {
      for (const [name, start, auth] of chosen) {
        context.progress(`${name}: round ${round + 1}/${rounds}`);
        const server = await start();
        const clients = await connectDevices(server.url, auth);
        await throughput(clients, 1); // warm-up: JIT, producer batches, metadata
        const cpuBefore = server.front.cpuMs();
        const brokerBefore = server.broker?.cpuMs() ?? 0;
        const steadyRun = await throughput(clients, seconds);
        // CPU the server process (and the gateway's broker) spent per acknowledged message (user + system).
        const acked = steadyRun.msgs_per_s * seconds;
        const cpu_us_per_msg = ((server.front.cpuMs() - cpuBefore) * 1000) / acked;
        const broker_cpu_us_per_msg = (((server.broker?.cpuMs() ?? 0) - brokerBefore) * 1000) / acked;
        // What accepting a message costs the whole server side: a relay is one process, the gateway
        // two (the gateway and the broker it produces to).
        const stack_cpu_us_per_msg = cpu_us_per_msg + broker_cpu_us_per_msg;
        const steady = { ...steadyRun, cpu_us_per_msg, broker_cpu_us_per_msg, stack_cpu_us_per_msg };
        context.progress(
          `${name}: ${Math.round(steady.msgs_per_s)} msgs/s, ${Math.round(cpu_us_per_msg)} µs server CPU per msg (+ ${Math.round(broker_cpu_us_per_msg)} µs broker); flooding`,
        );
        const flooded = await flood(clients, server, steady.msgs_per_s, floodSeconds);
        samplesOf.get(name)!.push({ ...steady, ...flooded });
        if (flooded.server_crashed) context.progress(`${name}: the server process died during the flood`);
        await Promise.all(clients.map((c) => c.endAsync(true)));
        await server.stop();
      }
    }
    for (const [name, , , notes] of chosen) {
      const samples = samplesOf.get(name)!;
      const med = (key: keyof (typeof samples)[number]) =>
        quantile(
          samples.map((s) => s[key]),
          0.5,
        );
      results.push({
        case: name,
        metrics: {
          msgs_per_s: med('msgs_per_s'),
          p50_ack_ms: med('p50_ms'),
          p99_ack_ms: med('p99_ms'),
          server_cpu_us_per_msg: med('cpu_us_per_msg'),
          broker_cpu_us_per_msg: med('broker_cpu_us_per_msg'),
          stack_cpu_us_per_msg: med('stack_cpu_us_per_msg'),
          errors: med('errors'),
          flood_msgs: med('flood_msgs'),
          rss_before_mb: med('rss_before_mb'),
          rss_flood_peak_mb: med('rss_peak_mb'),
          flood_drain_s: med('flood_drain_s'),
          flood_unacked: med('flood_unacked'),
          crashed_rounds: samples.reduce((n, s) => n + s.server_crashed, 0),
        },
        rounds: samples.map((s) => s.msgs_per_s),
        notes,
      });
    }
    return results;
  },
};

export default bench;
