import { CompiledPolicy, CompiledRule, type HexcastError, type Payment, RULE_NAMES } from '@hexcast/core';
import { describe, expect, it } from 'vitest';

const names = new Set(['a', 'b', 'country']);
const rule = (when: string) => new CompiledRule({ id: 'r', when, action: 'review' }, names);
const code = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (error) {
    return (error as HexcastError).code;
  }
};

describe('merchant rules: a small safe expression language', () => {
  it('evaluates arithmetic, comparisons, logic, lists and the allowed functions', () => {
    expect(rule('a >= 3 && b < 5').test({ a: 3, b: 4 })).toBe(true);
    expect(rule('a >= 3 && b < 5').test({ a: 2, b: 4 })).toBe(false);
    expect(rule('a * 2 + 1 > b || !(a == 1)').test({ a: 1, b: 10 })).toBe(false);
    expect(rule('country in ["NG", "BR"]').test({ country: 'BR' })).toBe(true);
    expect(rule('country in ["NG", "BR"]').test({ country: 'FR' })).toBe(false);
    expect(rule('max(a, b) - min(a, b) >= 2 && abs(-a) == a').test({ a: 1, b: 3 })).toBe(true);
    expect(rule('a / 0 == 0').test({ a: 5 })).toBe(true);
    expect(rule('a > 1 ? b > 1 : false').test({ a: 2, b: 2 })).toBe(true);
  });

  it('refuses anything else at definition time, with a coded error naming the rule', () => {
    for (const bad of [
      'unknownName > 1',
      'a.constructor',
      'a = 1',
      'this',
      'eval("1")',
      'a > 1; b > 2',
      '(() => 1)()',
      'a >',
      'country in "NG"',
      'a[0]',
      '/x/.test(country)',
    ])
      expect([bad, code(() => rule(bad))]).toEqual([bad, 'HX_FRAUD_RULE_INVALID']);
  });
});

const payment: Payment = {
  paymentId: 'p1',
  merchantId: 'm1',
  amount: 120,
  currency: 'EUR',
  card: { fingerprint: 'card_fp_1', binCountry: 'FR' },
  customer: { id: 'u1', emailHash: 'hash_of_email' },
  deviceId: 'dev-1',
  createdAt: Date.UTC(2026, 10, 2),
};
const features = Object.fromEntries([...RULE_NAMES].map((n) => [n, 0])) as never;

describe('merchant policy', () => {
  const policy = new CompiledPolicy('m1', {
    name: 'shop',
    currencies: ['EUR'],
    reviewAt: 0.5,
    declineAt: 0.9,
    block: { devices: ['dev-bad'] },
    allow: { customers: ['vip'] },
    rules: [
      {
        id: 'big',
        when: 'amount > 100 && score > 0.2',
        action: 'review',
        reason: 'large and somewhat risky',
      },
      { id: 'tiny-trusted', when: 'amount < 5', action: 'approve' },
    ],
  });
  const explain = () => [{ feature: 'amountLog' as const, delta: 0.3, words: 'a large amount' }];

  it('block list declines, allow list approves, before anything else', () => {
    expect(policy.decide({ ...payment, deviceId: 'dev-bad' }, features, 0.01, explain)).toMatchObject({
      action: 'decline',
      reasons: ['device on the block list'],
    });
    expect(
      policy.decide({ ...payment, customer: { ...payment.customer, id: 'vip' } }, features, 0.99, explain),
    ).toMatchObject({
      action: 'approve',
      reasons: ['customer on the allow list'],
    });
  });

  it('the stronger of rules and model wins, with rule hits and model features as reasons', () => {
    expect(policy.decide(payment, features, 0.1, explain)).toMatchObject({ action: 'approve', ruleHits: [] });
    const reviewed = policy.decide(payment, features, 0.3, explain);
    expect(reviewed.action).toBe('review');
    expect(reviewed.ruleHits.map((h) => h.rule)).toEqual(['big']);
    expect(reviewed.reasons).toEqual(['large and somewhat risky', 'a large amount']);
    expect(policy.decide(payment, features, 0.95, explain).action).toBe('decline');
    // An approve rule lowers the model's review when no other rule fires.
    expect(policy.decide({ ...payment, amount: 3 }, features, 0.6, explain).action).toBe('approve');
  });
});
