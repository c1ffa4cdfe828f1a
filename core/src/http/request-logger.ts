import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type Log = (...args: unknown[]) => void;

/**
 * A request's logger that becomes a real child of the server's logger (with the request id bound)
 * the first time something logs through it. Fastify makes a child per request; with request
 * logging off, nearly none of them ever logs, and pino's child applies the redaction paths to its
 * bindings as it is made: 4.3 KB allocated and 1.5 µs a request for nothing, against 0.36 KB and
 * 0.1–0.3 µs for this one (Fastify's check of a custom factory's logger included). The API, ops and
 * gateway servers take it as `childLoggerFactory`.
 */
class RequestLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    readonly parent: FastifyBaseLogger,
    readonly bindings: Bindings,
    readonly options: ChildLoggerOptions,
  ) {}

  /** The real child: made on first use. */
  made(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.made().level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.made().child(bindings, options);
  }
}

// The log methods: each makes the child on first use and passes the call on.
for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const)
  Object.defineProperty(RequestLogger.prototype, level, {
    value(this: RequestLogger, ...args: unknown[]) {
      (this.made()[level] as Log)(...args);
    },
  });

/** Fastify's `childLoggerFactory`: the request's child logger, made when first used. */
export function lazyRequestLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new RequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
