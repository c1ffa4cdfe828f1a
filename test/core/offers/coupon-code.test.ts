import { couponCode, normaliseCode } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

describe('coupon codes', () => {
  const secret = 'a-secret-of-at-least-thirty-two-bytes!!';
  it('PREFIX-XXXX-XXXX-XXXX in Crockford base32, the same for the same decision, different otherwise', () => {
    const a = couponCode(secret, 'decision-1', 'camp-1', 'SHOE');
    expect(a).toMatch(/^SHOE-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(couponCode(secret, 'decision-1', 'camp-1', 'SHOE')).toBe(a);
    expect(couponCode(secret, 'decision-2', 'camp-1', 'SHOE')).not.toBe(a);
    expect(couponCode(secret, 'decision-1', 'camp-2', 'SHOE')).not.toBe(a);
    expect(couponCode(`${secret}x`, 'decision-1', 'camp-1', 'SHOE')).not.toBe(a);
  });

  it('10,000 decisions give 10,000 distinct codes', () => {
    const codes = new Set(Array.from({ length: 10_000 }, (_, i) => couponCode(secret, `d-${i}`, 'c', 'HX')));
    expect(codes.size).toBe(10_000);
  });

  it('reads codes as typed at a till: case, spaces, O for 0, I and L for 1', () => {
    const code = couponCode(secret, 'decision-1', 'camp-1', 'HX');
    expect(normaliseCode(` ${code.toLowerCase()} `)).toBe(code);
    expect(normaliseCode('hx-0o1i-l000-abcd')).toBe('HX-0011-1000-ABCD');
  });
});
