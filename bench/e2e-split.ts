import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PgRecords } from '@hexcast/core';
import { Redis } from 'ioredis';
import { spawnBroker } from './broker-process.js';
import { freePort, type ServiceProcess, spawnHexcast } from './processes.js';

/** One process of a stack, for its CPU and memory. */
export interface StackProcess {
  name: string;
  cpuMs(): number;
  rssBytes(): number;
  /** The main thread's time on a core and waiting for one so far, ms (`mainThreadMs`). */
  mainThreadMs(): { runMs: number; waitMs: number };
}

/** A deployment the e2e ladder drives: where devices and the API reach it, and its processes. */
export interface Stack {
  mode: 'embedded' | 'split';
  apiUrl: string;
  gatewayUrl: string;
  apiKey: string;
  processes: StackProcess[];
  /** HTTP ports whose /metrics hold the pipeline's stages. */
  stagePorts: number[];
  stop(): Promise<void>;
}

/**
 * `hexcast broker`, `api`, `worker geo`, `worker offers` and `gateway`, each in its own process,
 * over a fresh PostgreSQL database and a Redis database of the bench's own (BENCH_E2E_REDIS_URL,
 * default db 7 on the local Redis, emptied first). The broker keeps its log on disk as in dev.
 * Null (with the reason) when PostgreSQL or Redis cannot be reached; a service that fails to start
 * throws.
 */
export async function startSplitStack(
  progress: (m: string) => void,
): Promise<(Stack & { geoPort: number }) | null> {
  const pgAdminUrl = process.env.BENCH_E2E_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.BENCH_E2E_REDIS_URL ?? 'redis://127.0.0.1:6379/7';
  const database = `hx_bench_e2e_${process.pid}_${Date.now()}`;
  const admin = new PgRecords(pgAdminUrl, { max: 1 });
  const redis = new Redis(redisUrl, { lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined); // reported through the failed connect below
  try {
    await redis.connect();
    await redis.flushdb();
    await admin.query(`CREATE DATABASE ${database}`);
  } catch (error) {
    await admin.close();
    progress(`split processes: not run, PostgreSQL or Redis unreachable (${(error as Error).message})`);
    return null;
  } finally {
    redis.disconnect();
  }
  const databaseUrl = Object.assign(new URL(pgAdminUrl), { pathname: `/${database}` }).toString();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-bench-e2e-split-'));
  const started: Array<{
    name: string;
    service: Pick<ServiceProcess<unknown>, 'cpuMs' | 'rssBytes' | 'mainThreadMs' | 'stop'>;
  }> = [];
  const stop = async () => {
    for (const { service } of started.reverse()) await service.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const broker = await spawnBroker(['--port', '0', '--data-dir', path.join(dataDir, 'broker')]);
    started.push({ name: 'broker', service: broker });
    const env = {
      KAFKA_BROKERS: broker.bootstrap,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      HX_DATA_DIR: dataDir,
      HX_DEVICE_TOKEN_SECRET: randomBytes(32).toString('hex'),
      HX_OFFERS_CODE_SECRET: randomBytes(32).toString('hex'),
      // The load generator registers thousands of devices in seconds.
      HX_API_RATE_LIMIT_PER_MINUTE: '10000000',
    };
    const [apiPort, geoPort, offersPort, mqttPort, gatewayPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    // The API first: it migrates the database and writes the first admin key.
    const api = await spawnHexcast(['api'], 'api listening', { ...env, HX_HTTP_PORT: String(apiPort) });
    started.push({ name: 'api', service: api });
    const geo = await spawnHexcast(['worker', 'geo'], 'consumer-geo","msg":"started', {
      ...env,
      HX_HTTP_PORT: String(geoPort),
    });
    started.push({ name: 'worker geo', service: geo });
    const offers = await spawnHexcast(['worker', 'offers'], 'consumer-offers","msg":"started', {
      ...env,
      HX_HTTP_PORT: String(offersPort),
    });
    started.push({ name: 'worker offers', service: offers });
    const gateway = await spawnHexcast(['gateway'], 'gateway listening', {
      ...env,
      HX_GATEWAY_MQTT_PORT: String(mqttPort),
      HX_GATEWAY_HTTP_PORT: String(gatewayPort),
    });
    started.push({ name: 'gateway', service: gateway });
    progress(
      `split stack up: broker ${broker.bootstrap}, api :${apiPort}, geo :${geoPort}, offers :${offersPort}, gateway :${mqttPort}`,
    );
    return {
      mode: 'split',
      apiUrl: `http://127.0.0.1:${apiPort}`,
      gatewayUrl: `mqtt://127.0.0.1:${mqttPort}`,
      apiKey: readFileSync(path.join(dataDir, 'admin.key'), 'utf8').trim(),
      processes: started.map(({ name, service }) => ({
        name,
        cpuMs: service.cpuMs,
        rssBytes: service.rssBytes,
        mainThreadMs: service.mainThreadMs,
      })),
      stagePorts: [geoPort, offersPort, gatewayPort],
      geoPort,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
