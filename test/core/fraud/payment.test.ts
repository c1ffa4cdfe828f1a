import { assertNoPan, HexcastError, looksLikePan, Payment } from '@hexcast/core';
import { generatePayments } from '@hexcast/models';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';

describe('card numbers are refused', () => {
  it('finds Luhn-valid 13–19-digit runs, with spaces or dashes, anywhere in the payment', () => {
    expect(looksLikePan('4111111111111111')).toBe(true); // Visa test number
    expect(looksLikePan('4111 1111 1111 1111')).toBe(true);
    expect(looksLikePan('card: 5500-0000-0000-0004 exp 12/29')).toBe(true);
    expect(looksLikePan('378282246310005')).toBe(true); // Amex, 15 digits
    expect(looksLikePan('4111111111111112')).toBe(false); // Luhn fails
    expect(looksLikePan('411111111111')).toBe(false); // 12 digits
    expect(looksLikePan('41111111111111111111')).toBe(false); // 20 digits
    expect(looksLikePan('fp_8c1d2e3f4a5b6c7d')).toBe(false);
    // A hash whose digit run passes Luhn is still a hash: the run touches its letters.
    expect(looksLikePan('ab4111111111111111cd')).toBe(false);
    expect(looksLikePan('order 4111111111111111.')).toBe(true);

    const refused = (value: unknown) => {
      try {
        assertNoPan(value);
        return null;
      } catch (error) {
        expect(error).toBeInstanceOf(HexcastError);
        expect((error as HexcastError).code).toBe('HX_PAYMENT_PAN_REFUSED');
        expect((error as HexcastError).message).not.toContain('4111');
        return (error as HexcastError).details;
      }
    };
    expect(refused({ card: { fingerprint: '4111111111111111' } })).toEqual({ path: '/card/fingerprint' });
    expect(refused({ items: [{ sku: 'x' }, { sku: '4111-1111-1111-1111' }] })).toEqual({
      path: '/items/1/sku',
    });
    expect(refused({ pan: 4111111111111111 })).toEqual({ path: '/pan' });
    expect(refused({ '4111111111111111': true })).toEqual({ path: '/(a key)' });
    // Epoch-ms times are 13-digit integers, not card numbers.
    expect(refused({ createdAt: 1764547200000, customer: { accountCreatedAt: 1700000000017 } })).toBeNull();
  });

  it("the generator's payments are valid payments with no card number", () => {
    const check = TypeCompiler.Compile(Payment);
    const payments = generatePayments({ customers: 5000, days: 3, seed: 5 });
    expect(payments.length).toBeGreaterThan(100);
    for (const { payment } of payments) {
      expect([...check.Errors(payment)].map((e) => `${e.path} ${e.message}`)).toEqual([]);
      assertNoPan(payment);
    }
  });
});
