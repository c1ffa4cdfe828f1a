import type * as Tf from '@tensorflow/tfjs';
import { quantizeUint8 } from '../artifact.js';
import { seededRandom, shuffle } from '../random.js';
import { loadTf } from '../tf.js';
import { clickCounts } from './baselines.js';
import { ItemScores, type NextClickRecommender } from './scores.js';
import type { SessionCorpus } from './sessions.js';

/** Clicks the network reads, the last first; older ones are left out. */
const WINDOW = 10;

/** The mean's weights of a session's last `length` clicks, oldest first: exp(−d/λ) normalised, d back from the last. */
function recencyWeights(length: number, decay: number): number[] {
  const w = Array.from({ length }, (_, i) => Math.exp(-(length - 1 - i) / decay));
  const sum = w.reduce((a, c) => a + c, 0);
  return w.map((x) => x / sum);
}

/**
 * A session network's weights: learnt item embeddings (tied between input and output), and the
 * encoder that turns a session into one vector: h = tanh(W · [recency-weighted mean of the
 * clicks' embeddings ; the last click's embedding] + b). An item's score is h · e(item) + bias(item).
 * The tensors (`embeddings` [items, dim], `encoder` [2·dim, dim], `encoderBias` [dim], `itemBias`
 * [items]) travel in TF.js's weight-manifest form, quantised to 8 bits (`quantizeUint8`).
 */
export interface SessionNetWeights {
  dim: number;
  items: number;
  /** exp(−d/λ) weighs the click d back from the last in the mean. */
  decay: number;
  weightSpecs: Tf.io.WeightsManifestEntry[];
  /** base64 */
  weightData: string;
}

const TENSORS = ['embeddings', 'encoder', 'encoderBias', 'itemBias'] as const;

/** The four tensors back as float32 (dequantised), checked against their shapes. */
function unpack(weights: SessionNetWeights): Record<(typeof TENSORS)[number], Float32Array> {
  const data = Buffer.from(weights.weightData, 'base64');
  const out: Partial<Record<(typeof TENSORS)[number], Float32Array>> = {};
  let offset = 0;
  for (const spec of weights.weightSpecs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization;
    let values: Float32Array;
    if (q?.dtype === 'uint8') {
      values = Float32Array.from(data.subarray(offset, offset + size), (v) => q.min! + v * q.scale!);
      offset += size;
    } else {
      values = new Float32Array(
        data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + size * 4),
      );
      offset += size * 4;
    }
    if (values.length !== size) throw new Error(`session network weights: ${spec.name} is short`);
    out[spec.name as (typeof TENSORS)[number]] = values;
  }
  const d = weights.dim;
  const shapes = {
    embeddings: weights.items * d,
    encoder: 2 * d * d,
    encoderBias: d,
    itemBias: weights.items,
  };
  for (const name of TENSORS)
    if (out[name]?.length !== shapes[name])
      throw new Error('session network weights do not match their shapes');
  return out as Record<(typeof TENSORS)[number], Float32Array>;
}

export interface SessionNetOptions {
  dim?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  decay?: number;
  seed?: number;
  /** Sampled negatives per batch (512), besides the batch's own next clicks. */
  negatives?: number;
  /** Quantise the weights to 8 bits (true). */
  quantize?: boolean;
  /** Called after each epoch with its mean loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

/**
 * Trains the session network with TF.js on every prefix → next click of the corpus (softmax over
 * all items, Adam). Learnt embeddings with a session encoder: the "or learnt item
 * embeddings with a session encoder", chosen over a GRU because it trains in minutes on the
 * pure-JS CPU backend and serves in microseconds.
 */
export async function trainSessionNet(
  corpus: SessionCorpus,
  options: SessionNetOptions = {},
): Promise<SessionNetWeights> {
  const tf = await loadTf();
  const dim = options.dim ?? 48;
  const decay = options.decay ?? 2;
  const items = corpus.vocabulary.size;
  const examples: Array<{ prefix: number[]; next: number }> = [];
  for (const s of corpus.sessions)
    for (let p = 1; p < s.length; p++)
      examples.push({ prefix: Array.from(s.subarray(Math.max(0, p - WINDOW), p)), next: s[p]! });
  const random = seededRandom(options.seed ?? 7);
  const scale = 0.05;
  const E = tf.variable(tf.randomUniform([items, dim], -scale, scale, 'float32', options.seed ?? 7));
  const W = tf.variable(
    tf.randomUniform(
      [2 * dim, dim],
      -Math.sqrt(3 / dim),
      Math.sqrt(3 / dim),
      'float32',
      (options.seed ?? 7) + 1,
    ),
  );
  const b = tf.variable(tf.zeros([dim]));
  const bias = tf.variable(tf.zeros([items]));
  const optimizer = tf.train.adam(options.learningRate ?? 0.005);
  const batchSize = options.batchSize ?? 256;
  const negatives = options.negatives ?? 512;
  // Rows of a [rows, dim] variable by index. TF.js's own gather has a gradient (a segment sum)
  // that costs seconds a batch on the CPU backend; this one scatters the rows' gradients back
  // in a plain loop.
  const lookup = (table: Tf.Variable, indices: Int32Array) =>
    tf.customGrad((t) => {
      const rows = tf.gather(t as Tf.Tensor2D, tf.tensor1d(indices, 'int32'));
      return {
        value: rows,
        gradFunc: (dy) => {
          const g = new Float32Array(items * dim);
          const d = (dy as Tf.Tensor).dataSync() as Float32Array;
          for (let r = 0; r < indices.length; r++) {
            const to = indices[r]! * dim;
            for (let k = 0; k < dim; k++) g[to + k]! += d[r * dim + k]!;
          }
          return tf.tensor2d(g, [items, dim]);
        },
      };
    })(table) as Tf.Tensor2D;
  // Negatives for the sampled softmax: drawn by click count^0.75 (word2vec's unigram^0.75).
  const counts = clickCounts(corpus);
  const cumulative = new Float64Array(items);
  let acc = 0;
  for (let i = 0; i < items; i++) cumulative[i] = acc += counts[i]! ** 0.75;
  const draw = () => {
    const x = random() * acc;
    let lo = 0;
    let hi = items - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (let epoch = 0; epoch < (options.epochs ?? 6); epoch++) {
    shuffle(examples, random);
    let total = 0;
    let batches = 0;
    for (let start = 0; start < examples.length; start += batchSize) {
      const batch = examples.slice(start, start + batchSize);
      const n = batch.length;
      const idx = new Int32Array(n * WINDOW);
      const wts = new Float32Array(n * WINDOW);
      const last = new Int32Array(n);
      // The candidates: the batch's next clicks, then sampled negatives; each row's label is its own.
      const column = new Map<number, number>();
      const label = new Int32Array(n);
      batch.forEach((e, r) => {
        const w = recencyWeights(e.prefix.length, decay);
        e.prefix.forEach((item, k) => {
          idx[r * WINDOW + k] = item;
          wts[r * WINDOW + k] = w[k]!;
        });
        last[r] = e.prefix[e.prefix.length - 1]!;
        if (!column.has(e.next)) column.set(e.next, column.size);
        label[r] = column.get(e.next)!;
      });
      for (let k = 0; k < negatives; k++) {
        const item = draw();
        if (!column.has(item)) column.set(item, column.size);
      }
      const candidates = Int32Array.from(column.keys());
      const loss = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const clicks = lookup(E, idx).reshape([n, WINDOW, dim]);
            const mean = tf.sum(tf.mul(clicks, tf.tensor3d(wts, [n, WINDOW, 1])), 1);
            const h = tf.tanh(tf.add(tf.matMul(tf.concat([mean, lookup(E, last)], 1), W), b));
            const out = lookup(E, candidates);
            const logits = tf.add(
              tf.matMul(h, out, false, true),
              tf.gather(bias, tf.tensor1d(candidates, 'int32')),
            );
            return tf.losses.softmaxCrossEntropy(
              tf.oneHot(tf.tensor1d(label, 'int32'), candidates.length),
              logits,
            ) as Tf.Scalar;
          }),
        true,
      );
      total += (await loss!.data())[0]!;
      loss!.dispose();
      batches++;
    }
    options.onEpoch?.(epoch, total / Math.max(batches, 1));
  }
  const tensors = [E, W, b, bias];
  const arrays = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
  const specs = tensors.map((t, i) => ({ name: TENSORS[i]!, shape: t.shape, dtype: 'float32' as const }));
  const raw = Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
  const packed =
    options.quantize === false ? { weightSpecs: specs, weightData: raw } : quantizeUint8(specs, raw);
  const weights: SessionNetWeights = {
    dim,
    items,
    decay,
    weightSpecs: packed.weightSpecs,
    weightData: packed.weightData.toString('base64'),
  };
  for (const v of [E, W, b, bias]) v.dispose();
  optimizer.dispose();
  return weights;
}

/**
 * The trained network served in plain JS (no TF.js at inference), mixed with another recommender
 * (the kNN blend) over the source's top `candidates`: their source scores scaled to a best of 1
 * count `1 − mix`, and the network's softmax over them (relative to its best) counts `mix`. Scoring every
 * item would cost `items × dim` multiply-adds a click; the candidates cost `candidates × dim`.
 */
export class SessionNet implements NextClickRecommender {
  readonly name = 'session-net';
  readonly #w: {
    dim: number;
    decay: number;
    E: Float32Array;
    W: Float32Array;
    b: Float32Array;
    bias: Float32Array;
  };
  readonly #source: NextClickRecommender;
  readonly #candidates: number;
  /** The network's share of the score (settable: the trainer sweeps it on validation sessions). */
  mix: number;
  readonly #scratch: ItemScores;
  /** The session's pre-activation, for the call in hand. */
  readonly #x: Float64Array;
  readonly #h: Float64Array;
  /** Per item, its embedding through the encoder (`#projection`), and whether it is computed yet. */
  readonly #projections: Float64Array;
  readonly #projected: Uint8Array;
  /** recencyWeights(length, decay) by length, computed once each. */
  readonly #recency: number[][] = [];
  /** The network's logit per candidate, for the call in hand. */
  readonly #logits: Float64Array;

  constructor(
    weights: SessionNetWeights,
    source: NextClickRecommender,
    options: { mix?: number; candidates?: number } = {},
  ) {
    const t = unpack(weights);
    this.#w = {
      dim: weights.dim,
      decay: weights.decay,
      E: t.embeddings,
      W: t.encoder,
      b: t.encoderBias,
      bias: t.itemBias,
    };
    this.#source = source;
    this.#candidates = options.candidates ?? 100;
    this.mix = options.mix ?? 1;
    this.#scratch = new ItemScores(weights.items);
    this.#x = new Float64Array(weights.dim);
    this.#projections = new Float64Array(weights.items * 2 * weights.dim);
    this.#projected = new Uint8Array(weights.items);
    this.#h = new Float64Array(weights.dim);
    this.#logits = new Float64Array(this.#candidates);
  }

  /**
   * Item `item`'s embedding through the encoder's two halves, computed on first use and kept:
   * `[Wmeanᵀ·e ; Wlastᵀ·e]`. The mean is linear, so Wmeanᵀ·(Σ w·e) = Σ w·(Wmeanᵀ·e): a session's
   * pre-activation is a weighted sum of its clicks' projections, `dim` multiply-adds a click
   * instead of `2·dim²` a session.
   */
  #projection(item: number): number {
    const { dim, E, W } = this.#w;
    const at = item * 2 * dim;
    if (this.#projected[item] === 1) return at;
    const p = this.#projections;
    const row = item * dim;
    for (let j = 0; j < 2 * dim; j++) p[at + j] = 0;
    for (let i = 0; i < dim; i++) {
      const e = E[row + i]!;
      const mean = i * dim; // W's row i: the mean's input i
      const last = (dim + i) * dim; // W's row dim + i: the last click's input i
      for (let j = 0; j < dim; j++) {
        p[at + j]! += e * W[mean + j]!;
        p[at + dim + j]! += e * W[last + j]!;
      }
    }
    this.#projected[item] = 1;
    return at;
  }

  /** The session's vector h = tanh(Wᵀ·[recency-weighted mean ; last] + b), into `#h`. */
  #encode(session: ArrayLike<number>): void {
    const { dim, decay, b } = this.#w;
    const p = this.#projections;
    const s = this.#x;
    for (let j = 0; j < dim; j++) s[j] = b[j]!;
    const from = Math.max(0, session.length - WINDOW);
    const length = session.length - from;
    this.#recency[length] ??= recencyWeights(length, decay);
    const weights = this.#recency[length];
    for (let q = from; q < session.length; q++) {
      const w = weights[q - from]!;
      const at = this.#projection(session[q]!);
      for (let j = 0; j < dim; j++) s[j]! += w * p[at + j]!;
    }
    const last = this.#projection(session[session.length - 1]!) + dim;
    for (let j = 0; j < dim; j++) this.#h[j] = Math.tanh(s[j]! + p[last + j]!);
  }

  score(session: ArrayLike<number>, into: ItemScores): void {
    if (session.length === 0) return;
    const scratch = this.#scratch;
    scratch.reset();
    this.#source.score(session, scratch);
    // Only the source's top candidates are scored: an item below them has a lower source score
    // than each of them and no network score, so it cannot rank above them (exact for lists of up
    // to `candidates`).
    const candidates = scratch.best(this.#candidates);
    if (candidates.length === 0) return;
    const best = scratch.max(); // the best item is among the candidates
    const mix = this.mix;
    if (mix <= 0) {
      for (const c of candidates) into.add(c, ((1 - mix) * scratch.values[c]!) / best);
      return;
    }
    const { dim, E, bias } = this.#w;
    const h = this.#h;
    this.#encode(session);
    const logits = this.#logits;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      const row = c * dim;
      // Four running sums: the adds of one sum wait on each other, four sums' do not.
      let s0 = bias[c]!;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k + 3 < dim; k += 4) {
        s0 += h[k]! * E[row + k]!;
        s1 += h[k + 1]! * E[row + k + 1]!;
        s2 += h[k + 2]! * E[row + k + 2]!;
        s3 += h[k + 3]! * E[row + k + 3]!;
      }
      for (; k < dim; k++) s0 += h[k]! * E[row + k]!;
      const s = s0 + s1 + s2 + s3;
      logits[i] = s;
      if (s > max) max = s;
    }
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      into.add(c, ((1 - mix) * scratch.values[c]!) / best + mix * Math.exp(logits[i]! - max));
    }
  }
}
