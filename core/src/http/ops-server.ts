import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { HexcastConfig } from '../config/index.js';
import type { Component } from '../lifecycle/index.js';
import { healthPlugin, type Logger, type Metrics, type Readiness } from '../observability/index.js';
import { listenOn } from './listen.js';
import { lazyRequestLogger } from './request-logger.js';

export interface OpsServerOptions {
  config: Readonly<HexcastConfig>;
  logger: Logger;
  metrics: Metrics;
  name: string;
  readiness?: Readiness;
  port?: number;
  /** The variable that sets `port` (named when it cannot be bound). */
  portVariable?: string;
}

/** The HTTP surface every service has: health, readiness and Prometheus metrics. */
export class OpsServer implements Component {
  readonly name: string;
  readonly app: FastifyInstance;
  readonly #options: OpsServerOptions;
  #address: string | undefined;

  constructor(options: OpsServerOptions) {
    this.#options = options;
    this.name = `${options.name}-http`;
    this.app = Fastify({
      loggerInstance: options.logger.child({ component: this.name }) as FastifyBaseLogger,
      // Probes and scrapes arrive every few seconds; logging each would drown the rest.
      logController: new LogController({ disableRequestLogging: true }),
      childLoggerFactory: lazyRequestLogger,
    });
    this.app.register(healthPlugin, {
      metrics: options.metrics,
      ...(options.readiness ? { readiness: options.readiness } : {}),
    });
  }

  get address(): string | undefined {
    return this.#address;
  }

  async start(): Promise<void> {
    const port = this.#options.port ?? this.#options.config.http.port;
    this.#address = await listenOn(port, this.#options.portVariable ?? 'HX_HTTP_PORT', () =>
      this.app.listen({ host: this.#options.config.http.host, port }),
    );
    this.#options.logger.info(
      { address: this.#address, service: this.#options.name },
      'ops server listening',
    );
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

export function createOpsServer(options: OpsServerOptions): OpsServer {
  return new OpsServer(options);
}
