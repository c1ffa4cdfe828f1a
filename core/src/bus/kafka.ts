import type { ConnectionOptions } from 'node:tls';
import {
  Kafka,
  type KafkaConfig,
  logLevel as KafkaLogLevel,
  type logCreator,
  type SASLOptions,
} from 'kafkajs';
import { type HexcastConfig, readPem } from '../config/index.js';
import { HexcastError, isHexcastError } from '../errors/index.js';
import type { SaslMechanism } from '../kafka-protocol/index.js';
import type { Logger } from '../observability/index.js';

export interface KafkaFactoryOptions {
  config: Readonly<HexcastConfig>;
  logger: Logger;
  /** The embedded broker's bootstrap address, used when KAFKA_BROKERS is unset. */
  embeddedBootstrap?: string;
  /** TLS and SASL, when the caller has read them already (`busSecurity`); else read from `config`. */
  security?: BusSecurity;
  clientId?: string;
}

/** Routes kafkajs's own log lines into the injected pino logger. */
function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...rest } = log;
      if (level <= KafkaLogLevel.ERROR) logger.error(rest, message);
      else if (level === KafkaLogLevel.WARN) logger.warn(rest, message);
      else logger.debug(rest, message);
    };
}

/** The bootstrap brokers: `KAFKA_BROKERS` when set, else the embedded broker. */
export function kafkaBrokers(options: Pick<KafkaFactoryOptions, 'config' | 'embeddedBootstrap'>): string[] {
  const brokers =
    options.config.kafka.brokers ?? (options.embeddedBootstrap ? [options.embeddedBootstrap] : undefined);
  if (brokers === undefined) {
    throw new HexcastError(
      'HX_BUS_CONNECT_FAILED',
      'no Kafka brokers: set KAFKA_BROKERS or start the embedded broker',
    );
  }
  return brokers;
}

/** How clients reach the brokers: TLS options and SASL credentials, from `KAFKA_SSL*` and `KAFKA_SASL_*`. */
export interface BusSecurity {
  tls?: ConnectionOptions;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

export function busSecurity(config: Readonly<HexcastConfig>): BusSecurity {
  const { ssl, sasl } = config.kafka;
  const out: BusSecurity = {};
  if (ssl.enabled) {
    out.tls = {
      ...(ssl.ca === undefined ? {} : { ca: readPem(ssl.ca, 'KAFKA_SSL_CA') }),
      ...(ssl.cert === undefined ? {} : { cert: readPem(ssl.cert, 'KAFKA_SSL_CERT') }),
      ...(ssl.key === undefined ? {} : { key: readPem(ssl.key, 'KAFKA_SSL_KEY') }),
    };
  }
  if (sasl.mechanism !== undefined) {
    out.sasl = {
      mechanism: sasl.mechanism.toUpperCase() as SaslMechanism,
      username: sasl.username!,
      password: sasl.password!,
    };
  }
  return out;
}

/**
 * kafkajs' connection failures as coded errors that name the cause: refused credentials, a TLS
 * handshake that failed, or brokers that closed the connection (the usual sign of a listener that
 * wants TLS or SASL the client does not speak).
 */
export function busConnectError(error: unknown, brokers: readonly string[]): unknown {
  if (isHexcastError(error)) return error;
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    cause?: { code?: string; message?: string };
  };
  const where = brokers.join(', ');
  if (e.name === 'KafkaJSSASLAuthenticationError')
    return new HexcastError(
      'HX_BUS_AUTH_FAILED',
      `the brokers (${where}) refused our SASL credentials: ${e.message}`,
      {
        cause: error,
      },
    );
  const tlsCode = [e.code, e.cause?.code].find((c) => c !== undefined && TLS_ERROR.test(c));
  if (tlsCode !== undefined)
    return new HexcastError(
      'HX_BUS_TLS_FAILED',
      `TLS to the brokers (${where}) failed (${tlsCode}): ${e.message}`,
      {
        cause: error,
      },
    );
  if (
    e.name === 'KafkaJSConnectionError' ||
    e.name === 'KafkaJSConnectionClosedError' ||
    e.name === 'KafkaJSNumberOfRetriesExceeded'
  )
    return new HexcastError(
      'HX_BUS_CONNECT_FAILED',
      `cannot talk to the brokers (${where}): ${e.message}; a listener that requires TLS or SASL closes plaintext or unauthenticated clients (KAFKA_SSL, KAFKA_SASL_MECHANISM)`,
      { cause: error },
    );
  return error;
}

/** Node's TLS failure codes (certificate checks, handshake, protocol). */
export const TLS_ERROR = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME|ALTNAME/;

/** One kafkajs client for a process (consumers, admin): the embedded broker by default, `KAFKA_BROKERS` when set. */
export function createKafka(options: KafkaFactoryOptions): Kafka {
  const brokers = kafkaBrokers(options);
  const kafkaConfig: KafkaConfig = {
    clientId: options.clientId ?? options.config.kafka.clientId,
    brokers,
    logLevel: KafkaLogLevel.WARN,
    logCreator: pinoLogCreator(options.logger.child({ component: 'kafkajs' })),
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 10_000 },
  };
  const { tls, sasl } = options.security ?? busSecurity(options.config);
  if (tls !== undefined) kafkaConfig.ssl = tls;
  if (sasl !== undefined)
    kafkaConfig.sasl = {
      mechanism: sasl.mechanism.toLowerCase(),
      username: sasl.username,
      password: sasl.password,
    } as SASLOptions;
  return new Kafka(kafkaConfig);
}
