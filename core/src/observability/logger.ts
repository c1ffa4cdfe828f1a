import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import pretty from 'pino-pretty';

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
  '*.sessionSecret',
  '*.careWebhookSecret',
  '*.codeSecret',
];

/** Whether a process's logs should be readable lines: `pretty`, or `auto` on a terminal. */
export function prettyLogs(
  format: 'auto' | 'json' | 'pretty',
  isTty = process.stdout.isTTY === true,
): boolean {
  return format === 'pretty' || (format === 'auto' && isTty);
}

/**
 * A long-running command's logger: JSON lines (what log shippers and the test helpers read), or
 * with `pretty` one readable, coloured line each (pino-pretty, synchronous: nothing is lost on exit).
 */
export function processLogger(options: LoggerOptions & { pretty: boolean }): Logger {
  const { pretty: readable, ...rest } = options;
  return createLogger(
    rest,
    readable
      ? pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
      : undefined,
  );
}

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
