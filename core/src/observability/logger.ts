import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/** Field paths that never reach a log line. */
const REDACT = [
  'password',
  'token',
  'apiKey',
  'authorization',
  '*.password',
  '*.token',
  '*.apiKey',
  '*.authorization',
  'req.headers.authorization',
  'databaseUrl',
  'redisUrl',
  'deviceTokenSecret',
  '*.deviceTokenSecret',
];

export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings: LoggerOptions = {
    level: 'info',
    ...options,
    redact: { paths: REDACT, censor: '[redacted]' },
  };
  return destination === undefined ? pino(settings) : pino(settings, destination);
}

/** A logger that writes nothing, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
