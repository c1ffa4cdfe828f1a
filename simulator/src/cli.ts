import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CampaignPublisher,
  CampaignRepository,
  type CliPlugin,
  type Component,
  type HexcastConfig,
  HexcastError,
  loadConfig,
  ProductUpserted,
  type ServiceContext,
  TOPICS,
} from '@hexcast/core';
import type { TrackingModeName } from '@hexcast/mobile-sdk';
import type { Command } from 'commander';
import type { SessionBrowsing } from './browsing.js';
import type { City } from './city.js';
import { DEMO_PRODUCTS_PER_CATEGORY, demoCampaign, demoProduct } from './demo.js';
import type { Progress, SimulationReport, Simulator } from './simulator.js';

/**
 * The simulator's modules (the SDK and mqtt.js among them) load only when a simulation runs or
 * the demo city is seeded: every other `hexcast` command loads this plugin too.
 */
async function simulatorModules() {
  const [city, report, simulator] = await Promise.all([
    import('./city.js'),
    import('./report.js'),
    import('./simulator.js'),
  ]);
  return {
    loadCity: city.loadCity,
    formatReport: report.formatReport,
    Simulator: simulator.Simulator,
    fixesPerMessageError: simulator.fixesPerMessageError,
  };
}

/** `90`, `90s`, `5m`, `1h` → ms. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (m === null) throw new HexcastError('HX_CLI_USAGE', `not a duration: ${value} (try 60s, 5m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** The admin key and where it came from (said before it is used: a stale key file is a common trap). */
function adminKey(config: Readonly<HexcastConfig>, given?: string): { key: string; from: string } {
  if (given !== undefined) return { key: given, from: '--key' };
  if (config.apiKey !== undefined) return { key: config.apiKey, from: 'HX_API_KEY' };
  const file = path.resolve(config.dataDir, 'admin.key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), from: file };
  throw new HexcastError('HX_CLI_USAGE', `no API key: pass --key, set HX_API_KEY, or run next to ${file}`);
}

async function progressBar(): Promise<{ update(p: Progress): void; stop(): void }> {
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      format:
        '{phase} [{bar}] {percentage}% | {elapsed}s | online {online} | fixes {fixes} | coupons on devices {coupons}',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const total = Math.max(1, Math.round(p.durationMs / 1000));
      const value = Math.min(total, Math.round(p.elapsedMs / 1000));
      const payload = {
        phase: p.phase.padEnd(11),
        online: p.online,
        fixes: p.fixes,
        coupons: p.coupons,
        elapsed: value,
      };
      if (!started) {
        bar.start(total, value, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(value, payload);
      }
    },
    stop: () => bar.stop(),
  };
}

/** Resolves on Ctrl-C or SIGTERM (the simulation stops early and reports); `release` stops listening. */
function untilSignal(): { stopped: Promise<void>; release(): void } {
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    stopped,
    release: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

function registerSimulate(program: Command): void {
  // Options after `payments` are the subcommand's (both take --rate, --duration, --api, --key, --seed).
  const simulate = program.command('simulate').enablePositionalOptions();
  simulate
    .command('social')
    .description(
      "play labelled airline tweets through an X API stand-in at a set rate, with bursts of one brand's complaints: start hexcast with HX_X_API_URL=http://127.0.0.1:<port> HX_X_BEARER_TOKEN=<token> (docs/sentiment.md)",
    )
    .option('--rate <n>', 'posts per second', (v) => Number.parseInt(v, 10), 20)
    .option('--duration <time>', 'how long (30s, 5m)', '2m')
    .option('--port <n>', "the X stand-in's port", (v) => Number.parseInt(v, 10), 8090)
    .option('--token <token>', 'the bearer token the stand-in accepts', 'hexcast-sim')
    .option('--data <file>', 'labelled posts (default: the airline tweets of shared/data)')
    .option('--burst-every <time>', 'a burst of complaints every (0: none)', '60s')
    .option('--seed <n>', 'seed', (v) => Number.parseInt(v, 10), 1)
    .action(
      async (o: {
        rate: number;
        duration: string;
        port: number;
        token: string;
        data?: string;
        burstEvery: string;
        seed: number;
      }) => {
        if (!Number.isInteger(o.rate) || o.rate < 1)
          throw new HexcastError('HX_CLI_USAGE', '--rate must be a positive integer');
        const { simulateSocial } = await import('./social.js');
        const { stopped, release } = untilSignal();
        try {
          const report = await simulateSocial({
            dataFile:
              o.data ??
              new URL('../../../shared/data/sentiment/airline/airline_tweets_dev.csv', import.meta.url),
            rate: o.rate,
            durationMs: parseDuration(o.duration),
            port: o.port,
            bearerToken: o.token,
            burstEveryMs: o.burstEvery === '0' ? 0 : parseDuration(o.burstEvery),
            seed: o.seed,
            stop: stopped,
            onListening: (url) =>
              process.stderr.write(
                `X stand-in at ${url}: waiting for hexcast (HX_X_API_URL=${url} HX_X_BEARER_TOKEN=${o.token})\n`,
              ),
            onProgress: (p) => {
              if (p.elapsedMs % 5000 < 50)
                process.stderr.write(
                  `${(p.elapsedMs / 1000).toFixed(0)}s: ${p.sent} posts, ${p.bursts} bursts${p.connected ? '' : ' (hexcast not connected)'}\n`,
                );
            },
          });
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          if (report.undelivered > 0) process.exitCode = 1;
        } finally {
          release();
        }
      },
    );
  simulate
    .command('payments')
    .description(
      'drive the fraud pipeline with generated payments (attacks included) through POST /v1/payments; prints decisions by kind of payment',
    )
    .option('--rate <n>', 'payments per second', (v) => Number.parseInt(v, 10), 50)
    .option('--duration <time>', 'how long (30s, 5m)', '30s')
    .option('--customers <n>', 'customers in the generated population', (v) => Number.parseInt(v, 10), 5_000)
    .option('--api <url>', 'the REST API (default http://127.0.0.1:HX_HTTP_PORT)')
    .option('--key <key>', 'an admin API key (default HX_API_KEY, or <data dir>/admin.key)')
    .option('--seed <n>', 'generator seed', (v) => Number.parseInt(v, 10), 1)
    .action(
      async (o: {
        rate: number;
        duration: string;
        customers: number;
        api?: string;
        key?: string;
        seed: number;
      }) => {
        if (!Number.isInteger(o.rate) || o.rate < 1)
          throw new HexcastError('HX_CLI_USAGE', '--rate must be a positive integer');
        const config = loadConfig();
        const key = adminKey(config, o.key);
        process.stderr.write(`using the admin API key from ${key.from}\n`);
        const { simulatePayments } = await import('./payments.js');
        const { formatPaymentReport } = await import('./report.js');
        const { stopped, release } = untilSignal();
        try {
          const report = await simulatePayments({
            apiUrl: o.api ?? `http://127.0.0.1:${config.http.port}`,
            adminKey: key.key,
            rate: o.rate,
            durationMs: parseDuration(o.duration),
            seed: o.seed,
            customers: o.customers,
            stop: stopped,
            onProgress: (p) =>
              process.stderr.write(
                `${(p.elapsedMs / 1000).toFixed(0)}s: ${p.sent} sent, ${p.answered} answered\n`,
              ),
          });
          process.stdout.write(`${formatPaymentReport(report, process.stdout.isTTY === true)}\n`);
          if (Object.keys(report.errors).length > 0) process.exitCode = 1;
        } finally {
          release();
        }
      },
    );
  simulate
    .description('drive a deployment with virtual devices on the real SDK; prints a report (table + JSON)')
    .option('--devices <n>', 'virtual devices', (v) => Number.parseInt(v, 10), 200)
    .option('--city <preset|file>', 'paris, new-york, or a city JSON file (simulator/README.md)', 'paris')
    .option('--duration <time>', 'how long devices move (60s, 5m)', '60s')
    .option(
      '--rate <fixes/s>',
      'location fixes per second over all devices (default: 1 per device per second)',
    )
    .option('--mode <mode>', 'SDK tracking mode: continuous, responsive, efficient', 'continuous')
    .option(
      '--fixes-per-message <n>',
      'continuous mode: fixes a device sends in one message, as the batched modes do (1 to 100)',
      (v) => Number(v),
      1,
    )
    .option('--gateway <url>', 'the region gateway (default mqtt://127.0.0.1:HX_GATEWAY_MQTT_PORT)')
    .option('--api <url>', 'the REST API (default http://127.0.0.1:HX_HTTP_PORT)')
    .option('--key <key>', 'an admin API key (default HX_API_KEY, or <data dir>/admin.key)')
    .option('--region <name>', 'the devices’ region (default HX_REGION)')
    .option('--seed <n>', 'random seed (device ids and behaviour)', (v) => Number.parseInt(v, 10), 1)
    .option('--create-campaigns', 'first create one campaign per point of interest through the API')
    .option('--ttl <seconds>', 'coupon TTL of created campaigns', (v) => Number.parseInt(v, 10), 600)
    .option('--warmup <time>', 'before the measured duration, how long the devices run unmeasured', '0s')
    .option(
      '--browse <sessions.tsv>',
      "browse along a click log's sessions (TSV SessionId ItemId Time, as shared/data/sessions/), its items put in the catalogue first",
    )
    .option('--settle <time>', 'after the run, how long to wait for coupons on their way', '20s')
    .option(
      '--report <file>',
      'where the JSON report goes (default <data dir>/reports/simulation-<time>.json)',
    )
    .action(
      async (o: {
        devices: number;
        city: string;
        duration: string;
        rate?: string;
        mode: string;
        fixesPerMessage: number;
        gateway?: string;
        api?: string;
        key?: string;
        region?: string;
        seed: number;
        createCampaigns?: boolean;
        ttl: number;
        settle: string;
        warmup: string;
        browse?: string;
        report?: string;
      }) => {
        const config = loadConfig();
        const { loadCity, formatReport, Simulator, fixesPerMessageError } = await simulatorModules();
        if (!['continuous', 'responsive', 'efficient'].includes(o.mode))
          throw new HexcastError('HX_CLI_USAGE', `unknown mode ${o.mode}`);
        if (!Number.isInteger(o.devices) || o.devices < 1)
          throw new HexcastError('HX_CLI_USAGE', '--devices must be a positive integer');
        const perMessage = fixesPerMessageError(o.fixesPerMessage, o.mode as TrackingModeName);
        if (perMessage !== null) throw new HexcastError('HX_CLI_USAGE', `--fixes-per-message: ${perMessage}`);
        let city: City;
        try {
          city = loadCity(o.city, o.seed);
        } catch (cause) {
          throw new HexcastError('HX_CLI_USAGE', (cause as Error).message, { cause });
        }
        let browsing: SessionBrowsing | undefined;
        if (o.browse !== undefined) {
          try {
            const [{ SessionBrowsing }, { parseSessionsTsv }] = await Promise.all([
              import('./browsing.js'),
              import('@hexcast/models'),
            ]);
            browsing = SessionBrowsing.fromSessions(parseSessionsTsv(await readFile(o.browse, 'utf8')));
          } catch (cause) {
            throw new HexcastError('HX_CLI_USAGE', `--browse ${o.browse}: ${(cause as Error).message}`, {
              cause,
            });
          }
        }
        const key = adminKey(config, o.key);
        process.stderr.write(`using the admin API key from ${key.from}\n`);
        const bar = await progressBar();
        const sim = new Simulator({
          apiUrl: o.api ?? `http://127.0.0.1:${config.http.port}`,
          gatewayUrl: o.gateway ?? `mqtt://127.0.0.1:${config.gateway.mqttPort}`,
          apiKey: key.key,
          devices: o.devices,
          city,
          durationMs: parseDuration(o.duration),
          ...(o.rate === undefined ? {} : { rate: Number(o.rate) }),
          mode: o.mode as TrackingModeName,
          fixesPerMessage: o.fixesPerMessage,
          region: o.region ?? config.region,
          seed: o.seed,
          settleMs: parseDuration(o.settle),
          warmupMs: parseDuration(o.warmup),
          campaigns: o.createCampaigns ? { ttlSeconds: o.ttl, budget: 1_000_000 } : false,
          ...(browsing === undefined ? {} : { browsing }),
          onProgress: (p) => bar.update(p),
        });
        const onSignal = () => sim.stop();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        let report: SimulationReport;
        try {
          report = await sim.run();
        } finally {
          bar.stop();
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        const file =
          o.report ??
          path.resolve(
            config.dataDir,
            'reports',
            `simulation-${new Date().toISOString().replaceAll(':', '-')}.json`,
          );
        await mkdir(path.dirname(path.resolve(file)), { recursive: true });
        await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
        process.stdout.write(`${formatReport(report, process.stdout.isTTY === true)}\nwrote ${file}\n`);
        if (report.duplicates > 0 || report.lost > 0 || !report.terminalConsistent) process.exitCode = 1;
      },
    );
}

/**
 * `hexcast dev` seeds a demo city (`HX_DEV_SEED_CITY`, default `paris`; `none` to skip) when it has
 * no campaign yet: one live campaign with a coupon per point of interest.
 */
function seedComponent(ctx: ServiceContext): Component {
  return {
    name: 'demo-seed',
    start: async () => {
      const cityName = ctx.config.dev.seedCity;
      if (cityName === 'none') return;
      const records = await ctx.records();
      const repository = new CampaignRepository(records);
      if ((await repository.list()).length > 0) return;
      const { loadCity } = await simulatorModules();
      const city = loadCity(cityName);
      const publisher = new CampaignPublisher(ctx.registry, ctx.producer);
      const now = Date.now();
      for (const poi of city.pois) {
        const campaign = await repository.create(demoCampaign(poi, city, now), 'demo-seed');
        await publisher.publish(campaign);
      }
      // The catalogue the simulated devices browse: recommendations work from the first click.
      const { CATEGORY_NAMES } = await import('./city.js');
      for (const name of CATEGORY_NAMES)
        for (let k = 0; k < DEMO_PRODUCTS_PER_CATEGORY; k++) {
          const productId = demoProduct(name, k);
          await ctx.producer.send(
            TOPICS.products,
            ctx.registry.create(ProductUpserted, {
              key: productId,
              source: { kind: 'cli', id: 'demo-seed' },
              data: { productId, category: name, available: true },
            }),
          );
        }
      ctx.logger.info(
        {
          city: city.name,
          campaigns: city.pois.length,
          products: CATEGORY_NAMES.length * DEMO_PRODUCTS_PER_CATEGORY,
        },
        'seeded demo campaigns and catalogue',
      );
    },
    close: async () => undefined,
  };
}

/** `npm run demo`: with `HX_DEMO_DEVICES`, `hexcast dev` also runs that many simulated devices against itself. */
function demoComponent(ctx: ServiceContext, devices: number): Component {
  let sim: Simulator | undefined;
  let running: Promise<SimulationReport> | undefined;
  let report: ((r: SimulationReport) => string) | undefined;
  return {
    name: 'demo-simulator',
    start: async () => {
      const api = ctx.addresses.get('api');
      const mqtt = ctx.addresses.get('mqtt');
      if (api === undefined || mqtt === undefined) throw new Error('the demo needs the API and the gateway');
      const { loadCity, formatReport, Simulator } = await simulatorModules();
      report = formatReport;
      const bar = await progressBar();
      sim = new Simulator({
        apiUrl: api,
        gatewayUrl: mqtt,
        apiKey: adminKey(ctx.config).key,
        devices,
        city: loadCity(ctx.config.dev.seedCity === 'none' ? 'paris' : ctx.config.dev.seedCity),
        durationMs: 24 * 3_600_000,
        region: ctx.config.region,
        settleMs: 3000,
        onProgress: (p) => bar.update(p),
      });
      running = sim.run().finally(() => bar.stop());
      running.catch((err: unknown) => ctx.logger.error({ err }, 'demo simulator failed'));
    },
    close: async () => {
      sim?.stop();
      const result = await running?.catch(() => undefined);
      if (result !== undefined && report !== undefined) process.stdout.write(`\n${report(result)}\n`);
    },
  };
}

/**
 * `npm run demo`: with `HX_DEMO_SOCIAL_RATE`, airline tweets played through an X stand-in on the
 * port of `HX_X_API_URL`, which this process's X connector reads (it retries until the stand-in
 * listens): posts, alerts and the live summary flow as from X.
 */
function demoSocialComponent(ctx: ServiceContext, rate: number): Component {
  let release: () => void = () => undefined;
  let running: Promise<unknown> | undefined;
  return {
    name: 'demo-social',
    start: async () => {
      const { xApiUrl, xBearerToken } = ctx.config.sentiment;
      const url = new URL(xApiUrl);
      if (xBearerToken === undefined || !['127.0.0.1', 'localhost'].includes(url.hostname) || url.port === '')
        throw new HexcastError(
          'HX_CONFIG_INVALID',
          'invalid configuration at HX_DEMO_SOCIAL_RATE: needs HX_X_API_URL=http://127.0.0.1:<port> and HX_X_BEARER_TOKEN (npm run demo sets both)',
          { details: { source: 'HX_DEMO_SOCIAL_RATE' } },
        );
      // The shared data is kept outside the repository (its terms): without it the demo runs without posts.
      const dataFile =
        ctx.config.dev.demoSocialData ??
        fileURLToPath(
          new URL('../../../shared/data/sentiment/airline/airline_tweets_dev.csv', import.meta.url),
        );
      if (!existsSync(dataFile)) {
        ctx.logger.warn(
          { code: 'HX_DEMO_DATA_MISSING', looked: dataFile },
          'no demo tweets: set HX_DEMO_SOCIAL_DATA to the airline CSV of shared/data; the demo runs without social posts',
        );
        return;
      }
      const { simulateSocial } = await import('./social.js');
      const stop = new Promise<void>((resolve) => {
        release = resolve;
      });
      running = simulateSocial({
        dataFile,
        rate,
        durationMs: 24 * 3_600_000,
        port: Number(url.port),
        bearerToken: xBearerToken,
        stop,
        onListening: (at) => ctx.logger.info({ at, rate }, 'demo tweets through the X stand-in'),
      }).catch((err: unknown) => ctx.logger.error({ err }, 'demo social simulation failed'));
    },
    close: async () => {
      release();
      await running;
    },
  };
}

export const plugin: CliPlugin = {
  name: 'simulator',
  commands: [registerSimulate],
  devComponents: (ctx) => {
    const { demoDevices, demoSocialRate } = ctx.config.dev;
    return [
      seedComponent(ctx),
      ...(demoDevices > 0 ? [demoComponent(ctx, demoDevices)] : []),
      ...(demoSocialRate > 0 ? [demoSocialComponent(ctx, demoSocialRate)] : []),
    ];
  },
};
