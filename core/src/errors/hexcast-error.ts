import { ERROR_CODES, type ErrorCode } from './codes.js';

export interface HexcastErrorOptions {
  cause?: unknown;
  /** Structured, non-secret context (a variable name, a field path, a limit). */
  details?: Record<string, unknown>;
  /** Overrides the code's default retriability (e.g. a connect error known to be permanent). */
  retriable?: boolean;
}

/** The one error type Hexcast throws on purpose: a stable code, an HTTP status and a retry hint. */
export class HexcastError extends Error {
  override readonly name = 'HexcastError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retriable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: HexcastErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const spec = ERROR_CODES[code];
    this.code = code;
    this.status = spec.status;
    this.retriable = options.retriable ?? spec.retriable;
    this.details = Object.freeze({ ...options.details });
  }

  toJSON(): { code: ErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isHexcastError(value: unknown, code?: ErrorCode): value is HexcastError {
  return value instanceof HexcastError && (code === undefined || value.code === code);
}

/** Wraps anything thrown into a HexcastError with the given code, keeping the original as `cause`. */
export function toHexcastError(value: unknown, code: ErrorCode, message?: string): HexcastError {
  if (value instanceof HexcastError) return value;
  const text = message ?? (value instanceof Error ? value.message : String(value));
  return new HexcastError(code, text, { cause: value });
}
