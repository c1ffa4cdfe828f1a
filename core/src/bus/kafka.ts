import { Kafka, type KafkaConfig, logLevel as KafkaLogLevel, type logCreator } from 'kafkajs';
import type { HexcastConfig } from '../config/index.js';
import { HexcastError } from '../errors/index.js';
import type { Logger } from '../observability/index.js';

export interface KafkaFactoryOptions {
  config: Readonly<HexcastConfig>;
  logger: Logger;
  /** The embedded broker's bootstrap address, used when KAFKA_BROKERS is unset. */
  embeddedBootstrap?: string;
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
  return new Kafka(kafkaConfig);
}
