import { HexcastError } from '../errors/index.js';

/** A daily window in the device's local time, `HH:MM`–`HH:MM`; it may cross midnight. */
export interface QuietHours {
  start: string;
  end: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * Local wall-clock date (`YYYY-MM-DD`), minute of the day and day of the week (0 = Sunday) at
 * `now` in an IANA time zone (DST-aware).
 */
export function localTime(now: number, timeZone: string): { date: string; minute: number; dow: number } {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(now))
      .map((p) => [p.type, p.value]),
  );
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  return {
    date,
    minute: Number(parts.hour) * 60 + Number(parts.minute),
    dow: new Date(`${date}T00:00:00Z`).getUTCDay(),
  };
}

function minuteOf(hhmm: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (match === null) throw new RangeError(`not a HH:MM time: ${hhmm}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** True when `now`, in the device's time zone, falls in the window (start inclusive, end exclusive). */
export function inQuietHours(now: number, timeZone: string, quiet: QuietHours | undefined): boolean {
  if (quiet === undefined) return false;
  const start = minuteOf(quiet.start);
  const end = minuteOf(quiet.end);
  if (start === end) return false;
  const { minute } = localTime(now, timeZone);
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/** Zones found valid: building a formatter to ask costs ~55 µs, and every device registration asks. */
const knownZones = new Set<string>();

/** Throws `code` unless `timeZone` is an IANA zone this runtime knows. */
export function checkTimeZone(timeZone: string, code: 'HX_CAMPAIGN_INVALID' | 'HX_DEVICE_INVALID'): void {
  if (knownZones.has(timeZone)) return;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new HexcastError(code, `unknown time zone ${timeZone}`, { details: { timeZone } });
  }
  knownZones.add(timeZone);
}
