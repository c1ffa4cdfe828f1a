import { readFileSync } from 'node:fs';
import {
  compareRecs,
  evaluateNextClick,
  ItemScores,
  ItemVocabulary,
  loadTf,
  parseSessionsTsv,
  RecsModel,
  SessionKnn,
  SessionNet,
  sessionCorpus,
  trainRecs,
  trainSessionNet,
} from '@hexcast/models';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../helpers/shared-data.js';

const at = (t: number, ...items: string[]) => ({ items, times: items.map((_, i) => t + i) });

describe('session recommenders', () => {
  it('read the session-rec TSV (header, rows of a session in order) and refuse a row that is not one', () => {
    const sessions = parseSessionsTsv('SessionId\tItemId\tTime\n1\ta\t10.5\n2\tb\t11\n1\tc\t12\n');
    expect(sessions).toEqual([
      { id: '1', items: ['a', 'c'], times: [10.5, 12] },
      { id: '2', items: ['b'], times: [11] },
    ]);
    expect(() => parseSessionsTsv('SessionId\tItemId\tTime\n1\ta\n')).toThrow(/not a SessionId/);
  });

  it('rank the best n, best first, skipping what they are told to', () => {
    const scores = new ItemScores(6);
    for (const [item, s] of [
      [3, 0.5],
      [1, 2],
      [5, 2],
      [0, 1],
    ] as const)
      scores.add(item, s);
    expect(scores.top(3)).toEqual([1, 5, 0]); // a tie goes to the lower item number
    expect(scores.top(10, (i) => i === 5)).toEqual([1, 0, 3]);
    scores.reset();
    expect(scores.top(3)).toEqual([]);
  });

  it('rank as a full sort would, for any scores, ties, n and skips; best(n) holds the same items (property)', () => {
    const scores = new ItemScores(64);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(63), fc.integer({ min: -2, max: 6 })), { maxLength: 120, size: 'max' }),
        fc.integer({ min: 1, max: 70 }),
        fc.nat(7),
        (adds, n, skipEvery) => {
          scores.reset();
          for (const [item, s] of adds) scores.add(item, s / 2);
          const skip = skipEvery === 0 ? undefined : (i: number) => i % (skipEvery + 1) === 0;
          const expected = Array.from({ length: 64 }, (_, i) => i)
            .filter((i) => scores.values[i]! > 0 && !skip?.(i))
            .sort((a, b) => scores.values[b]! - scores.values[a]! || a - b)
            .slice(0, n);
          expect(scores.top(n, skip)).toEqual(expected);
          // best(n): top(n)'s items in any order, also from a new instance (its first call sizes
          // the buffer it answers in).
          const fresh = new ItemScores(64);
          for (const [item, s] of adds) fresh.add(item, s / 2);
          const top = scores.top(n);
          for (const from of [scores, fresh])
            expect([...from.best(n)].sort((a, b) => a - b)).toEqual(top.sort((a, b) => a - b));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("V-SKNN weighs the current session's clicks 1, 0.9, 0.8 … from the last and votes with neighbour similarity", () => {
    const corpus = sessionCorpus([
      { id: 'n1', ...at(0, 'a', 'x') }, // shares a (weight 0.9 in [a, b]): votes 0.9 for a, x
      { id: 'n2', ...at(10, 'b', 'y') }, // shares b (weight 1): votes 1 for b, y
      { id: 'n3', ...at(20, 'c', 'z') }, // shares nothing
    ]);
    const v = corpus.vocabulary;
    const scores = new ItemScores(v.size);
    new SessionKnn(corpus).score([v.numberOf('a')!, v.numberOf('b')!], scores);
    const byId = Object.fromEntries(v.ids.map((id, i) => [id, scores.values[i]]));
    expect(byId).toMatchObject({ a: 0.9, x: 0.9, b: 1, y: 1, c: 0, z: 0 });
    // Only the k most similar vote.
    scores.reset();
    new SessionKnn(corpus, { k: 1 }).score([v.numberOf('a')!, v.numberOf('b')!], scores);
    expect(scores.values[v.numberOf('x')!]).toBe(0);
    // Replayed click by click: after [b], b and y tie and b's lower number ranks y second: a hit at rank 2.
    const report = evaluateNextClick(
      new SessionKnn(corpus),
      [Int32Array.of(v.numberOf('b')!, v.numberOf('y')!)],
      v.size,
    );
    expect(report).toEqual({ 'hr@20': 1, 'mrr@20': 0.5, predictions: 1 });
  });

  it('a trained model survives its artifact, answers for unknown items with nothing, and refuses a damaged one', async () => {
    const sessions = Array.from({ length: 60 }, (_, i) => ({
      id: String(i),
      ...at(i * 100, `p${i % 5}`, `p${(i + 1) % 5}`, `p${(i + 2) % 5}`),
    }));
    const artifact = await trainRecs(sessions, { now: Date.UTC(2026, 11, 1), netEpochs: 0 });
    expect(artifact.version).toBe('recs-20261201T000000');
    const model = new RecsModel(JSON.parse(JSON.stringify(artifact)));
    expect(model.forSession(['p1'], 2).map((r) => r.item)).toContain('p2');
    expect(model.forSession(['nope'], 5)).toEqual([]);
    expect(model.similarItems('p1', 5, (id) => id === 'p2').map((r) => r.item)).not.toContain('p2');
    expect(model.popular(5).length).toBe(5);
    // With a session network its scores join the kNN blend's, at the artifact's share.
    const net = await trainSessionNet(sessionCorpus(sessions, ItemVocabulary.of(artifact.items)), {
      epochs: 2,
      dim: 8,
    });
    const withNet = new RecsModel({ ...artifact, net, netWeight: 0.5 });
    const plain = model.forSession(['p1', 'p2'], 5);
    const mixed = withNet.forSession(['p1', 'p2'], 5);
    expect(mixed.map((r) => r.item).sort()).toEqual(plain.map((r) => r.item).sort()); // the same candidates
    expect(mixed.map((r) => r.score)).not.toEqual(plain.map((r) => r.score));
    expect(new RecsModel({ ...artifact, net, netWeight: 0 }).forSession(['p1', 'p2'], 5)).toEqual(plain);
    expect(() => new RecsModel({ ...artifact, net: { ...net, items: 4 }, netWeight: 0.5 })).toThrow(
      /another item list/,
    );
    expect(() => new RecsModel({ ...artifact, format: 'other' } as never)).toThrow(/not a hexcast-recs/);
    expect(() => new RecsModel({ ...artifact, items: ['p0'] })).toThrow(/out of range/);
  });
});

describe('the TF.js session network', () => {
  it('learns which item follows which, survives its 8-bit artifact, mixes with its source, and refuses weights of the wrong shape', async () => {
    // Ten items in a ring: after i comes i + 1. The source proposes every item alike.
    const sessions = Array.from({ length: 300 }, (_, n) => ({
      id: String(n),
      ...at(n * 100, ...Array.from({ length: 4 }, (_, k) => `i${(n + k) % 10}`)),
    }));
    const corpus = sessionCorpus(sessions);
    const v = corpus.vocabulary;
    const weights = await trainSessionNet(corpus, {
      epochs: 30,
      dim: 8,
      negatives: 5,
      batchSize: 64,
      seed: 3,
    });
    expect(weights.weightSpecs.map((s) => s.quantization?.dtype)).toEqual([
      'uint8',
      'uint8',
      'uint8',
      'uint8',
    ]);
    const everything = {
      name: 'all',
      score: (_: ArrayLike<number>, into: ItemScores) => {
        for (let i = 0; i < v.size; i++) into.add(i, 1);
      },
    };
    const net = new SessionNet(JSON.parse(JSON.stringify(weights)), everything);
    const next = (clicks: string[]) => {
      const scores = new ItemScores(v.size);
      net.score(
        clicks.map((c) => v.numberOf(c)!),
        scores,
      );
      return v.ids[scores.top(1)[0]!];
    };
    expect(next(['i3'])).toBe('i4');
    expect(next(['i6', 'i7'])).toBe('i8');
    // The served network (plain JS, each item's embedding projected through the encoder once)
    // scores as TF.js's forward pass over the same 8-bit weights: h = tanh([mean ; last]·W + b),
    // logit = h·e + bias, each item's score exp(logit − max) when the source scores all alike.
    const tf = await loadTf();
    // A small Buffer lives inside Node's shared pool: its own bytes start at byteOffset.
    const raw = Buffer.from(weights.weightData, 'base64');
    const t = tf.io.decodeWeights(
      raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer,
      weights.weightSpecs,
    ) as Record<string, import('@tensorflow/tfjs').Tensor>;
    for (const clicks of [['i3'], ['i6', 'i7'], ['i1', 'i2', 'i1', 'i9', 'i0']]) {
      const numbers = clicks.map((c) => v.numberOf(c)!);
      const raw = numbers.map((_, i) => Math.exp(-(numbers.length - 1 - i) / weights.decay));
      const sum = raw.reduce((a, b) => a + b, 0);
      const rows = tf.gather(t.embeddings!, tf.tensor1d(numbers, 'int32'));
      const mean = tf.matMul(tf.tensor2d([raw.map((w) => w / sum)]), rows);
      const last = tf.gather(t.embeddings!, tf.tensor1d([numbers[numbers.length - 1]!], 'int32'));
      const h = tf.tanh(tf.add(tf.matMul(tf.concat([mean, last], 1), t.encoder!), t.encoderBias!));
      const logits = tf.add(tf.matMul(h, t.embeddings!, false, true), t.itemBias!);
      const expected = tf.exp(tf.sub(logits, tf.max(logits))).dataSync();
      const scores = new ItemScores(v.size);
      net.score(numbers, scores);
      for (let i = 0; i < v.size; i++) expect(scores.values[i]).toBeCloseTo(expected[i]!, 5);
    }
    // Mixed at 0 it is its source alone.
    net.mix = 0;
    const flat = new ItemScores(v.size);
    net.score([v.numberOf('i3')!], flat);
    expect(new Set(v.ids.map((_, i) => flat.values[i]))).toEqual(new Set([1]));
    expect(() => new SessionNet({ ...weights, items: 11 }, everything)).toThrow(/shapes/);
  }, 120_000);
});

describe('on the YOOCHOOSE sample (rsc15_train_tr → rsc15_train_valid)', () => {
  it("Hexcast's kNN blend beats V-SKNN on HR@20 and MRR@20; the baselines land where the literature has them", async () => {
    const read = (f: string) => parseSessionsTsv(readFileSync(sharedData(`sessions/${f}`), 'utf8'));
    // The session network is left out here (minutes of training: the bench measures it).
    const r = await compareRecs(read('rsc15_train_tr.tsv'), read('rsc15_train_valid.tsv'), { netEpochs: 0 });
    expect(r.hexcast.predictions).toBe(r['v-sknn'].predictions);
    expect(r['item-knn']['hr@20']).toBeCloseTo(0.34, 2);
    expect(r['item-knn']['mrr@20']).toBeCloseTo(0.16, 2);
    expect(r['v-sknn']['hr@20']).toBeGreaterThan(0.6);
    expect(r['v-sknn']['mrr@20']).toBeGreaterThan(0.3);
    expect(r.popular['hr@20']).toBeLessThan(r['item-knn']['hr@20']);
    // Measured 0.6557 / 0.3574 against 0.6214 / 0.3250.
    expect(r.hexcast['hr@20']).toBeGreaterThan(r['v-sknn']['hr@20'] + 0.02);
    expect(r.hexcast['mrr@20']).toBeGreaterThan(r['v-sknn']['mrr@20'] + 0.02);
    expect(r.hexcast['mrr@20']).toBeGreaterThan(0.35);
  }, 180_000);
});
