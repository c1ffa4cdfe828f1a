import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ERROR_RESPONSES as errors, type RouteOptions } from '../api/index.js';
import { HexcastError } from '../errors/index.js';
import { checkTimeZone } from '../local-time/index.js';
import type { DeviceRepository } from './device-repository.js';
import type { DeviceTokens } from './device-tokens.js';

export interface DeviceRoutesDeps {
  devices: DeviceRepository;
  tokens: DeviceTokens;
  /** Regions with a gateway; registering a device anywhere else is refused. */
  regions: readonly string[];
}

/** Device registration by an app's backend (merchant): a device token for the gateway. */
export function deviceRoutes(deps: DeviceRoutesDeps): FastifyPluginAsyncTypebox<RouteOptions> {
  return async (app, { limited }) => {
    app.post('/v1/devices', {
      config: { ...limited, roles: ['merchant'] as const },
      schema: {
        summary:
          "Register a device (your app's backend): its region, platform, time zone and tags; returns a device token (15 min) for the gateway",
        tags: ['devices'],
        body: Type.Object(
          {
            deviceId: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }),
            region: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }),
            platform: Type.Union([
              Type.Literal('ios'),
              Type.Literal('android'),
              Type.Literal('web'),
              Type.Literal('node'),
            ]),
            /** IANA zone for quiet hours and daily caps (else the campaign's). */
            timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            tags: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32, uniqueItems: true }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ deviceId: Type.String(), token: Type.String(), expiresAt: Type.Integer() }),
          ...errors,
        },
      },
      handler: async (request, reply) => {
        const { deviceId, region, platform, timezone, tags } = request.body;
        if (!deps.regions.includes(region))
          throw new HexcastError(
            'HX_DEVICE_REGION_UNKNOWN',
            `no gateway serves region ${region}; known regions: ${deps.regions.join(', ')}`,
            { details: { region, known: deps.regions } },
          );
        if (timezone !== undefined) checkTimeZone(timezone, 'HX_DEVICE_INVALID');
        const device = await deps.devices.register(
          { id: deviceId, region, platform, timezone: timezone ?? null, tags: tags ?? [] },
          request.identity!.id,
        );
        const { token, expiresAt } = await deps.tokens.issue(device.id, device.region);
        return reply.code(201).send({ deviceId: device.id, token, expiresAt });
      },
    });
  };
}
