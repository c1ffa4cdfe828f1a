import type { Capability } from '../runtime/index.js';
import { DeviceRepository } from './device-repository.js';
import { DeviceTokens, deviceTokenSecret } from './device-tokens.js';
import { deviceRoutes } from './routes.js';

export const devices: Capability = {
  name: 'devices',
  routes: (ctx) => async (app, options) =>
    deviceRoutes({
      devices: new DeviceRepository(await ctx.records()),
      tokens: new DeviceTokens(deviceTokenSecret(ctx.config), ctx.config.auth.deviceTokenTtlSeconds),
      regions: ctx.config.regions ?? [ctx.config.region],
    })(app, options),
};
