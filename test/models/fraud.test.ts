import {
  averagePrecision,
  generatePayments,
  recallAtFpr,
  seededRandom,
  splitByDay,
  TabularScorer,
  trainTabular,
} from '@hexcast/models';
import { describe, expect, it } from 'vitest';

describe('fraud metrics', () => {
  it('average precision and recall at a false-positive rate, ties as one threshold', () => {
    // Ranked: P N P N → precision at the positives 1/1 and 2/3: AP = (1 + 2/3) / 2.
    expect(averagePrecision([0.9, 0.8, 0.7, 0.1], [true, false, true, false])).toBeCloseTo(5 / 6);
    expect(averagePrecision([0.5, 0.5, 0.5, 0.5], [true, false, true, false])).toBeCloseTo(0.5);
    expect(averagePrecision([1, 0], [false, false])).toBeNaN();
    // 2 of 3 frauds above every good payment; the third only after 1 of 4 good ones.
    const scores = [0.99, 0.95, 0.5, 0.6, 0.4, 0.3, 0.2];
    const labels = [true, true, true, false, false, false, false];
    expect(recallAtFpr(scores, labels, 0)).toBeCloseTo(2 / 3);
    expect(recallAtFpr(scores, labels, 0.25)).toBeCloseTo(1);
  });
});

describe('tabular model', () => {
  it('its plain-JS forward pass gives TF.js predict answers, and it learns a separable rule', async () => {
    const random = seededRandom(11);
    const rows = Array.from({ length: 2000 }, () => [random() * 4, random() * 10, random()]);
    const labels = rows.map((r) => r[0]! + 0.3 * r[1]! > 4.5);
    const artifact = await trainTabular(rows, labels, {
      name: 'toy',
      features: ['a', 'b', 'c'],
      hidden: [8, 4],
      epochs: 40,
      seed: 3,
    });
    const scorer = await TabularScorer.load(artifact, ['a', 'b', 'c']);
    const probe = rows.slice(0, 200);
    const tf = scorer.scoreTf(probe);
    probe.forEach((r, i) => {
      expect(scorer.scoreSync(r)).toBeCloseTo(tf[i]!, 5);
    });
    expect(
      averagePrecision(
        probe.map((r) => scorer.scoreSync(r)),
        labels.slice(0, 200),
      ),
    ).toBeGreaterThan(0.95);
    await expect(TabularScorer.load(artifact, ['a', 'b'])).rejects.toThrow(/features/);
    await expect(TabularScorer.load({ ...artifact, format: 'other' } as never)).rejects.toThrow(/format/);
    scorer.dispose();
  }, 60_000);

  it('is reproducible: the same rows, options and seed give the same weights; another seed does not', async () => {
    const random = seededRandom(5);
    const rows = Array.from({ length: 600 }, () => [random() * 4, random() * 10, random()]);
    const labels = rows.map((r) => r[0]! + 0.3 * r[1]! > 4.5);
    const train = (seed: number) =>
      trainTabular(rows, labels, {
        name: 'toy',
        features: ['a', 'b', 'c'],
        hidden: [8],
        epochs: 5,
        batchSize: 64,
        seed,
      });
    const [a, b, c] = [await train(3), await train(3), await train(4)];
    expect(a.weightData).toBe(b.weightData);
    expect(c.weightData).not.toBe(a.weightData);
  }, 60_000);
});

describe('synthetic payments', () => {
  it('have a realistic base rate, every attack kind, time order, and split by day', () => {
    const payments = generatePayments({ customers: 10_000, days: 14, seed: 2 });
    const rate = payments.filter((p) => p.fraud).length / payments.length;
    expect(rate).toBeGreaterThan(0.002);
    expect(rate).toBeLessThan(0.02);
    expect(new Set(payments.map((p) => p.attack))).toEqual(
      new Set(['none', 'card-testing', 'takeover', 'ring', 'friendly']),
    );
    for (let i = 1; i < payments.length; i++)
      expect(payments[i]!.payment.createdAt).toBeGreaterThanOrEqual(payments[i - 1]!.payment.createdAt);
    const { train, test } = splitByDay(payments, 10);
    expect(train.length + test.length).toBe(payments.length);
    expect(Math.max(...train.map((p) => p.payment.createdAt))).toBeLessThan(
      Math.min(...test.map((p) => p.payment.createdAt)),
    );
    // Same seed, same payments.
    expect(generatePayments({ customers: 10_000, days: 14, seed: 2 })).toEqual(payments);
  });
});
