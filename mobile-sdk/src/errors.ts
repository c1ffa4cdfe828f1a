/** Error codes the SDK reports on its `error` event (documented in docs/errors.md). */
export const SDK_ERROR_CODES = [
  /** The gateway refused the token (CONNACK 4) even after asking `getToken()` for a fresh one. */
  'HX_SDK_AUTH_FAILED',
  /** The gateway refused this device for good (client id or region: CONNACK 2 or 5). */
  'HX_SDK_NOT_AUTHORIZED',
  /** The connection failed or dropped; the SDK reconnects with backoff. */
  'HX_SDK_CONNECTION_LOST',
  /** The gateway dropped a message and said why (`reason` carries its HX_GATEWAY_* code). */
  'HX_SDK_REJECTED',
  /** The gateway closed the connection with a reason (`reason` carries its code). */
  'HX_SDK_DISCONNECTED_BY_GATEWAY',
  /** `getToken()` threw. */
  'HX_SDK_TOKEN_UNAVAILABLE',
  /** Push registration failed. */
  'HX_SDK_PUSH_REGISTRATION_FAILED',
  /** `connect()` saw no connection within `connectTimeoutMs` (`reason`: the first failure's code). */
  'HX_SDK_CONNECT_TIMEOUT',
  /** `startTracking` was given a mode with a number out of range (thrown, not an event). */
  'HX_SDK_INVALID_MODE',
] as const;
export type SdkErrorCode = (typeof SDK_ERROR_CODES)[number];

export class SdkError extends Error {
  constructor(
    readonly code: SdkErrorCode,
    message: string,
    /** The gateway's own code, when it gave one. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'SdkError';
  }
}
