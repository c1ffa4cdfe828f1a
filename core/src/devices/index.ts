export { type Device, DeviceRepository } from './device-repository.js';
export {
  DEVICE_TOKEN_AUDIENCE,
  DEVICE_TOKEN_ISSUER,
  type DeviceClaims,
  DeviceTokens,
} from './device-tokens.js';
