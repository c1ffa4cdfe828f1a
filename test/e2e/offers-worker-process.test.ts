import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Broker,
  BusProducer,
  CAMPAIGN_EVENTS,
  type Campaign,
  CampaignChanged,
  createEventRegistry,
  DELIVERY_EVENTS,
  DeviceRepository,
  deliveriesTopic,
  ensureTopics,
  GEO_EVENTS,
  GeoEnter,
  Metrics,
  migrate,
  OFFER_EVENTS,
  PgRecords,
  TOPICS,
  topicCatalogue,
} from '@hexcast/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { offerSettings } from '../fixtures/offers.js';
import { kafkaFor, startBroker } from '../helpers/broker.js';
import { collectTopic } from '../helpers/gateway.js';
import { hasService, type PostgresFixture, usePostgres } from '../helpers/services.js';
import { waitFor } from '../helpers/wait-for.js';

const BIN = fileURLToPath(new URL('../../core/bin/hexcast.js', import.meta.url));
const CENTRE: [number, number] = [2.2945, 48.8584];

describe.skipIf(!hasService('redis') || !hasService('postgres'))(
  'hexcast worker offers (its own process, distributed engines: the broker over TCP, Redis, PostgreSQL)',
  () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-e2e-offers-worker-'));
    let broker: Broker;
    let pg: PostgresFixture;
    let records: PgRecords;
    let child: ChildProcess | undefined;
    const campaignId = `c-${Date.now()}`;
    const deviceId = `worker-dev-${Date.now()}`;
    beforeAll(async () => {
      broker = await startBroker();
      pg = await usePostgres();
      records = new PgRecords(pg.url, { schema: pg.schema, max: 2 });
      await migrate(records);
      await new DeviceRepository(records).register(
        { id: deviceId, region: 'eu', platform: 'ios', timezone: 'Europe/Paris', tags: [] },
        'test',
      );
    });
    afterAll(async () => {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      const redis = new Redis(inject('services').redis.url);
      await redis.del(`hx:offer:{hx-offers}:spent:${campaignId}`, `hx:prof:{${deviceId}}`);
      redis.disconnect();
      await records.close();
      await pg.cleanup();
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('decides from hx.geo-events, writes the ledger to PostgreSQL and the budget to Redis, never twice on a replay; stops cleanly', async () => {
      const kafka = kafkaFor(broker);
      await ensureTopics(kafka, topicCatalogue(['eu']));
      const registry = createEventRegistry();
      for (const e of [...GEO_EVENTS, ...CAMPAIGN_EVENTS, ...OFFER_EVENTS, ...DELIVERY_EVENTS])
        registry.register(e);
      const producer = new BusProducer({ brokers: [broker.bootstrap], registry, metrics: new Metrics() });
      await producer.start();
      const campaign: Campaign = {
        id: campaignId,
        version: 1,
        name: 'Tour Eiffel',
        status: 'active',
        fence: { type: 'Circle', center: CENTRE, radiusM: 200 },
        dwellSeconds: 60,
        exitDebounceSeconds: 60,
        startsAt: '2020-01-01T00:00:00Z',
        endsAt: '2099-01-01T00:00:00Z',
        timezone: 'Europe/Paris',
        offer: offerSettings({ title: 'Crêpe offerte', codePrefix: 'TOUR', ttlSeconds: 900, budget: 5 }),
        updatedAt: '2020-01-01T00:00:00Z',
      };
      await producer.send(
        TOPICS.campaigns,
        registry.create(CampaignChanged, {
          key: campaignId,
          source: { kind: 'api', id: 'test' },
          data: { campaign, deleted: false },
        }),
      );
      // The schema travels in the URL, as an operator would set it.
      const databaseUrl = `${pg.url}${pg.url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${pg.schema}`)}`;
      child = spawn(process.execPath, [BIN, 'worker', 'offers'], {
        env: {
          ...process.env,
          KAFKA_BROKERS: broker.bootstrap,
          DATABASE_URL: databaseUrl,
          REDIS_URL: inject('services').redis.url,
          HX_DATA_DIR: dataDir,
          HX_OFFERS_CODE_SECRET: 'worker-process-secret-0123456789abcdef',
          HX_HTTP_PORT: '0',
          HX_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let ready = false;
      let ops: string | undefined;
      let buffered = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (line.includes('"component":"consumer-offers","msg":"started"')) ready = true;
          if (line.includes('ops server listening')) ops = JSON.parse(line).address;
        }
      });
      await waitFor(() => ready && ops, { timeoutMs: 60_000, message: 'worker started' });
      const decisions = async () => {
        const text = await (await fetch(`${ops}/metrics`)).text();
        return text
          .split('\n')
          .filter((l) => l.startsWith('hexcast_offers_decisions_total'))
          .reduce((a, l) => a + Number(l.split(' ').at(-1)), 0);
      };
      const offers = await collectTopic(kafka, registry, TOPICS.offers.name);
      const deliveries = await collectTopic(kafka, registry, deliveriesTopic('eu').name);

      const enter = (ts: number) =>
        registry.create(GeoEnter, {
          key: deviceId,
          ts,
          source: { kind: 'processor', id: 'geo' },
          data: {
            deviceId,
            fenceId: campaignId,
            campaignId,
            lat: CENTRE[1],
            lng: CENTRE[0],
            h3: '',
            accuracy: 5,
            visitStartedAt: ts,
            impossibleTravel: false,
          },
        });
      // The campaign reaches the worker's catalogue within a second: send fresh enters until a coupon comes.
      const sent: ReturnType<typeof enter>[] = [];
      await waitFor(
        async () => {
          const e = enter(Date.now());
          sent.push(e);
          await producer.send(TOPICS.geoEvents, e);
          return offers.envelopes.length > 0;
        },
        { timeoutMs: 30_000, intervalMs: 500, message: 'an offer' },
      );
      const offer = offers.envelopes[0]!;
      const data = offer.data as { code: string; campaignId: string; deviceId: string; decisionId: string };
      expect(data).toMatchObject({ campaignId, deviceId });
      expect(data.code).toMatch(/^TOUR-/);
      await waitFor(() => deliveries.envelopes.some((d) => d.id === offer.id), { message: 'delivery item' });

      // Replay every enter sent so far (same ids, same event times): the same coupon at most, no new spend.
      for (const e of sent) await producer.send(TOPICS.geoEvents, e);
      const ledgerRows = async () =>
        records.query<{ id: string; code: string; status: string }>(
          'SELECT id, code, status FROM offers WHERE campaign_id = $1',
          [campaignId],
        );
      await waitFor(async () => (await ledgerRows()).length === 1, {
        message: 'the ledger row in PostgreSQL',
      });
      // Every enter was decided twice (first run and replay): wait for the worker to have seen all.
      await waitFor(async () => (await decisions()) >= 2 * sent.length, {
        timeoutMs: 20_000,
        message: 'replays decided',
      });
      expect(await ledgerRows()).toEqual([{ id: offer.id, code: data.code, status: 'issued' }]);
      expect(new Set(offers.envelopes.map((o) => o.id))).toEqual(new Set([offer.id]));
      const redis = new Redis(inject('services').redis.url);
      expect(await redis.get(`hx:offer:{hx-offers}:spent:${campaignId}`)).toBe('1');
      redis.disconnect();

      await offers.close();
      await deliveries.close();
      await producer.close();
      const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
      child!.kill('SIGTERM');
      expect(await exited).toBe(0);
    }, 120_000);
  },
);
