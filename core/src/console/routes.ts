import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import { type ApiRoutes, ERROR_RESPONSES as errors } from '../api/index.js';
import type { Role } from '../auth/index.js';
import type { Envelope } from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import { lastEventId, openEventStream } from '../http/index.js';
import type { Metrics } from '../observability/index.js';
import type { DeadLetters } from './dead-letters.js';
import { DENSITY_RES, type LiveEvent, type LiveHub, mayReceive } from './live-hub.js';
import type { OpsStatus } from './ops-status.js';

export interface ConsoleRoutesDeps {
  hub: LiveHub;
  deadLetters: DeadLetters;
  ops: OpsStatus;
  metrics: Metrics;
  /** The built console; absent or missing: `/console` explains how to build it. */
  dir: string;
  settings: { tileUrl?: string; tileAttribution?: string; region: string };
  send: (topic: string, envelope: Envelope) => Promise<void>;
}

const CONSOLE_ROLES = ['marketer', 'care', 'reviewer', 'merchant'] as const;
/** A stream whose client reads slower than this many buffered bytes is closed; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1 << 20;
const KEEP_ALIVE_MS = 15_000;

/** `/console` (the built web app), `/v1/live` (its Server-Sent Events) and the operator's `/v1/ops/*`. */
export function consoleRoutes(deps: ConsoleRoutesDeps): ApiRoutes {
  return async (app, { limited }) => {
    if (existsSync(path.join(deps.dir, 'index.html'))) {
      await app.register(fastifyStatic, {
        root: deps.dir,
        prefix: '/console/',
        cacheControl: false,
        // Hashed asset names: cache forever; index.html: always revalidate.
        setHeaders: (res, file) =>
          res.setHeader(
            'cache-control',
            file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
          ),
      });
      app.get('/console', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console/'));
    } else {
      app.get('/console*', { schema: { hide: true } }, () => {
        throw new HexcastError(
          'HX_CONSOLE_NOT_BUILT',
          `the console is not built: run npm run build -w console (looked in ${deps.dir})`,
        );
      });
    }

    app.get('/v1/console/settings', {
      config: { ...limited, roles: CONSOLE_ROLES },
      schema: {
        tags: ['console'],
        summary:
          "The console's map settings (basemap tile URL when one is configured) and this process's region",
        response: {
          200: Type.Object({
            tileUrl: Type.Union([Type.String(), Type.Null()]),
            tileAttribution: Type.Union([Type.String(), Type.Null()]),
            region: Type.String(),
          }),
          ...errors,
        },
      },
      handler: async () => ({
        tileUrl: deps.settings.tileUrl ?? null,
        tileAttribution: deps.settings.tileAttribution ?? null,
        region: deps.settings.region,
      }),
    });

    app.get('/v1/live', {
      config: { ...limited, roles: CONSOLE_ROLES },
      schema: {
        tags: ['console'],
        summary:
          'Server-Sent Events for the console: cells, geo, campaigns, alert, review, dead-letter — each only to the roles that may see it. Reconnect with Last-Event-ID to receive what was missed; a `reset` event says some was no longer held (refetch).',
        querystring: Type.Object({ lastEventId: Type.Optional(Type.Integer({ minimum: 0 })) }),
      },
      handler: async (request, reply) => {
        const role = request.identity!.role as Role;
        const lastId = lastEventId(request) || (request.query.lastEventId ?? 0);
        const stream = openEventStream(request, reply, {
          keepAliveMs: KEEP_ALIVE_MS,
          maxBufferedBytes: MAX_BUFFERED_BYTES,
          retryMs: 2000,
        });
        const write = (event: LiveEvent) => {
          if (mayReceive(role, event.type)) stream.send(event.type, event.data, event.id);
        };
        if (lastId > 0) {
          const { events, complete } = deps.hub.since(lastId);
          if (!complete) stream.send('reset', {}, deps.hub.lastId);
          for (const e of events) write(e);
        } else {
          // Where this stream starts: a reconnect resumes after it.
          stream.send('hello', {}, deps.hub.lastId);
        }
        stream.onClose(deps.hub.subscribe(write, role));
      },
    });

    app.get('/v1/live/density', {
      config: { ...limited, roles: ['marketer'] },
      schema: {
        tags: ['console'],
        summary:
          'Devices per H3 cell now (devices heard from in the last 5 minutes, by their last fix); `cells` events on /v1/live carry the changes',
        response: {
          200: Type.Object({
            resolution: Type.Integer(),
            lastEventId: Type.Integer(),
            cells: Type.Array(Type.Tuple([Type.String(), Type.Integer()])),
          }),
          ...errors,
        },
      },
      handler: async () => ({
        resolution: DENSITY_RES,
        lastEventId: deps.hub.lastId,
        cells: deps.hub.density(),
      }),
    });

    app.get('/v1/ops/status', {
      config: { ...limited, roles: [] },
      schema: {
        tags: ['ops'],
        summary:
          "This process's health and readiness, consumer lag per group and partition, throughput per topic, gateway connections per region",
        response: { 200: Type.Unknown(), ...errors },
      },
      handler: async () => {
        const [ready, bus] = await Promise.all([
          app.inject({ method: 'GET', url: '/readyz' }),
          deps.ops.read(),
        ]);
        const connected = deps.metrics.registry.getSingleMetric('hexcast_gateway_connected_devices');
        const gateways =
          connected === undefined
            ? []
            : [
                {
                  region: deps.settings.region,
                  connections: ((await connected.get()).values[0]?.value as number | undefined) ?? 0,
                },
              ];
        return {
          process: {
            pid: process.pid,
            uptimeSeconds: Math.round(process.uptime()),
            // It answers this request: it is live (what /healthz says).
            healthy: true,
            ready: ready.statusCode === 200,
            readiness: ready.json(),
          },
          gateways,
          ...bus,
        };
      },
    });

    app.get('/v1/ops/dead-letters', {
      config: { ...limited, roles: [] },
      schema: {
        tags: ['ops'],
        summary:
          'The newest records on hx.dlq: where they came from, the reason code, whether they were replayed',
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) }),
        response: { 200: Type.Unknown(), ...errors },
      },
      handler: async (request) => deps.deadLetters.list(request.query.limit),
    });

    app.post('/v1/ops/dead-letters/:partition/:offset/replay', {
      config: { ...limited, roles: [] },
      schema: {
        tags: ['ops'],
        summary: "Sends a dead letter's original envelope back to its topic (once)",
        params: Type.Object({
          partition: Type.Integer({ minimum: 0 }),
          offset: Type.String({ pattern: '^[0-9]{1,19}$' }),
        }),
        response: { 200: Type.Unknown(), ...errors },
      },
      handler: async (request) => {
        const { partition, offset } = request.params;
        const view = await deps.deadLetters.replay(partition, offset, request.identity!.id, deps.send);
        deps.hub.emit('dead-letter', { kind: 'replayed', partition, offset, by: request.identity!.id });
        request.log.info(
          { partition, offset, topic: view.topic, by: request.identity!.id },
          'dead letter replayed',
        );
        return view;
      },
    });
  };
}
