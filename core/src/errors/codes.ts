/**
 * Every error code Hexcast can raise, listed once. Codes are stable and never reused;
 * `docs/errors.md` documents each one (a test enforces it).
 */
export interface ErrorSpec {
  /** HTTP status when the error crosses an HTTP boundary. */
  readonly status: number;
  /** Whether retrying the same operation may succeed. */
  readonly retriable: boolean;
}

export const ERROR_CODES = {
  HX_CONFIG_INVALID: { status: 500, retriable: false },
  HX_CONFIG_FILE_UNREADABLE: { status: 500, retriable: false },
  HX_ENVELOPE_MALFORMED: { status: 400, retriable: false },
  HX_ENVELOPE_INVALID: { status: 400, retriable: false },
  HX_ENVELOPE_TOO_LARGE: { status: 413, retriable: false },
  HX_ENVELOPE_UNKNOWN_TYPE: { status: 400, retriable: false },
  HX_ENVELOPE_DATA_INVALID: { status: 400, retriable: false },
  HX_ENVELOPE_TYPE_CONFLICT: { status: 500, retriable: false },
  HX_TOPIC_UNKNOWN: { status: 400, retriable: false },
  HX_TOPIC_REGION_INVALID: { status: 400, retriable: false },
  HX_LIFECYCLE_CLOSE_TIMEOUT: { status: 503, retriable: true },
  HX_CLI_USAGE: { status: 400, retriable: false },
  HX_BENCH_UNKNOWN: { status: 400, retriable: false },
  HX_BROKER_FRAME_TOO_LARGE: { status: 413, retriable: false },
  HX_BROKER_MALFORMED_REQUEST: { status: 400, retriable: false },
  HX_BROKER_UNSUPPORTED_VERSION: { status: 400, retriable: false },
  HX_BROKER_CORRUPT_BATCH: { status: 400, retriable: false },
  HX_BROKER_LOG_CORRUPT: { status: 500, retriable: false },
  HX_BROKER_LOG_IO: { status: 500, retriable: true },
  HX_BROKER_LISTEN_FAILED: { status: 500, retriable: true },
  HX_BUS_CONNECT_FAILED: { status: 503, retriable: true },
  HX_BUS_TOPIC_MISMATCH: { status: 500, retriable: false },
  HX_BUS_HANDLER_FAILED: { status: 500, retriable: true },
  HX_BUS_GROUP_NOT_EMPTY: { status: 409, retriable: true },
  HX_BUS_REPLAY_INVALID: { status: 400, retriable: false },
  HX_GEO_COORDINATE_RANGE: { status: 400, retriable: false },
  HX_GEO_RING_NOT_CLOSED: { status: 400, retriable: false },
  HX_GEO_RING_TOO_SHORT: { status: 400, retriable: false },
  HX_GEO_SELF_INTERSECTION: { status: 400, retriable: false },
  HX_GEO_AREA_TOO_LARGE: { status: 400, retriable: false },
  HX_GEO_TOO_MANY_VERTICES: { status: 400, retriable: false },
  HX_GEO_ANTIMERIDIAN: { status: 400, retriable: false },
  HX_GEO_RADIUS_INVALID: { status: 400, retriable: false },
  HX_CAMPAIGN_INVALID: { status: 400, retriable: false },
  HX_CAMPAIGN_NOT_FOUND: { status: 404, retriable: false },
  HX_CAMPAIGN_VERSION_CONFLICT: { status: 409, retriable: true },
  HX_GATEWAY_AUTH_FAILED: { status: 401, retriable: false },
  HX_GATEWAY_CLIENT_ID_MISMATCH: { status: 403, retriable: false },
  HX_GATEWAY_REGION_MISMATCH: { status: 403, retriable: false },
  HX_GATEWAY_TOPIC_FORBIDDEN: { status: 403, retriable: false },
  HX_GATEWAY_PAYLOAD_TOO_LARGE: { status: 413, retriable: false },
  HX_GATEWAY_PAYLOAD_INVALID: { status: 400, retriable: false },
  HX_GATEWAY_COORDINATES_INVALID: { status: 400, retriable: false },
  HX_GATEWAY_TIMESTAMP_INVALID: { status: 400, retriable: false },
  HX_GATEWAY_RATE_LIMITED: { status: 429, retriable: true },
  HX_GATEWAY_ABUSE: { status: 429, retriable: true },
  HX_GATEWAY_BUS_UNAVAILABLE: { status: 503, retriable: true },
  HX_GATEWAY_SHUTTING_DOWN: { status: 503, retriable: true },
  HX_PUSH_SUBSCRIPTION_INVALID: { status: 400, retriable: false },
  HX_PUSH_SEND_FAILED: { status: 502, retriable: true },
  HX_DEVICE_INVALID: { status: 400, retriable: false },
  HX_COUPON_UNKNOWN: { status: 404, retriable: false },
  HX_COUPON_EXPIRED: { status: 410, retriable: false },
  HX_COUPON_ALREADY_REDEEMED: { status: 409, retriable: false },
  HX_COUPON_VOID: { status: 409, retriable: false },
  HX_MODEL_INVALID: { status: 400, retriable: false },
  HX_AUTH_TOKEN_INVALID: { status: 401, retriable: false },
  HX_AUTH_MISSING_KEY: { status: 401, retriable: false },
  HX_AUTH_FORBIDDEN: { status: 403, retriable: false },
  HX_API_VALIDATION: { status: 400, retriable: false },
  HX_API_NOT_FOUND: { status: 404, retriable: false },
  HX_API_RATE_LIMITED: { status: 429, retriable: true },
  HX_API_INTERNAL: { status: 500, retriable: true },
  HX_RECORDS_UNAVAILABLE: { status: 503, retriable: true },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
