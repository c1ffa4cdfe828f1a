import { checkTimeZone, inQuietHours, localTime } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

const at = (iso: string) => Date.parse(iso);

describe('quiet hours in the device’s local time', () => {
  it('reads the local date, minute and weekday in a time zone', () => {
    // 2026-11-26 is a Thursday: already Friday in Paris.
    expect(localTime(at('2026-11-26T23:30:00Z'), 'Europe/Paris')).toEqual({
      date: '2026-11-27',
      minute: 30,
      dow: 5,
    });
    expect(localTime(at('2026-11-26T23:30:00Z'), 'America/New_York')).toEqual({
      date: '2026-11-26',
      dow: 4,
      minute: 18 * 60 + 30,
    });
  });

  it('handles a window across midnight (start inclusive, end exclusive)', () => {
    const quiet = { start: '22:00', end: '07:00' };
    const paris = (iso: string) => inQuietHours(at(iso), 'Europe/Paris', quiet);
    expect(paris('2026-11-26T20:59:00Z')).toBe(false); // 21:59 local
    expect(paris('2026-11-26T21:00:00Z')).toBe(true); // 22:00
    expect(paris('2026-11-27T02:00:00Z')).toBe(true); // 03:00
    expect(paris('2026-11-27T05:59:00Z')).toBe(true); // 06:59
    expect(paris('2026-11-27T06:00:00Z')).toBe(false); // 07:00
  });

  it('a same-day window, none, and an empty one', () => {
    expect(inQuietHours(at('2026-11-26T12:30:00Z'), 'UTC', { start: '12:00', end: '14:00' })).toBe(true);
    expect(inQuietHours(at('2026-11-26T14:00:00Z'), 'UTC', { start: '12:00', end: '14:00' })).toBe(false);
    expect(inQuietHours(at('2026-11-26T12:30:00Z'), 'UTC', undefined)).toBe(false);
    expect(inQuietHours(at('2026-11-26T12:30:00Z'), 'UTC', { start: '09:00', end: '09:00' })).toBe(false);
  });

  it('follows DST changes: the same UTC instant-of-day is quiet on one side of the switch only', () => {
    const quiet = { start: '22:00', end: '07:00' };
    // Paris springs forward on 2026-03-29 (02:00 CET → 03:00 CEST) and falls back on 2026-10-25.
    expect(inQuietHours(at('2026-03-28T05:30:00Z'), 'Europe/Paris', quiet)).toBe(true); // 06:30 CET
    expect(inQuietHours(at('2026-03-30T05:30:00Z'), 'Europe/Paris', quiet)).toBe(false); // 07:30 CEST
    expect(inQuietHours(at('2026-10-24T20:30:00Z'), 'Europe/Paris', quiet)).toBe(true); // 22:30 CEST
    expect(inQuietHours(at('2026-10-26T20:30:00Z'), 'Europe/Paris', quiet)).toBe(false); // 21:30 CET
  });
});

describe('checkTimeZone', () => {
  it('accepts a zone the runtime knows, again and again, and still refuses an unknown one with its code', () => {
    for (let i = 0; i < 3; i++)
      expect(() => checkTimeZone('Europe/Paris', 'HX_DEVICE_INVALID')).not.toThrow();
    for (let i = 0; i < 2; i++)
      expect(() => checkTimeZone('Mars/Olympus', 'HX_CAMPAIGN_INVALID')).toThrow(
        expect.objectContaining({ code: 'HX_CAMPAIGN_INVALID' }),
      );
  });
});
