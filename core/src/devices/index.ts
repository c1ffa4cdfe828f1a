export { devices } from './capability.js';
export { type Device, DeviceRepository } from './device-repository.js';
export {
  DEVICE_TOKEN_AUDIENCE,
  DEVICE_TOKEN_ISSUER,
  type DeviceClaims,
  DeviceTokens,
  deviceTokenSecret,
} from './device-tokens.js';
export { type DeviceRoutesDeps, deviceRoutes } from './routes.js';
