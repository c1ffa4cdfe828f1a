import type * as Tf from '@tensorflow/tfjs';
import { loadLayers, type ModelArtifact, packModel, standardisation } from '../artifact.js';
import { seededRandom, shuffle } from '../random.js';
import { loadTf } from '../tf.js';
import { NEGATIVE_REASONS, type NegativeReason, SENTIMENT_CLASSES, type SentimentClass } from './corpus.js';
import {
  buildVocabulary,
  DENSE_FEATURES,
  denseRow,
  Featurizer,
  type SparseRow,
  type Vocabulary,
} from './features.js';
import { type MinedText, mineText } from './text.js';

export const SENTIMENT_FORMAT = 'hexcast-sentiment/1';

/** What travels on `hx.models` for the sentiment model: metadata + a TF.js layers model. */
export interface SentimentMetadata {
  format: typeof SENTIMENT_FORMAT;
  name: string;
  version: string;
  createdAt: string;
  vocabulary: Vocabulary;
  /** Whether VADER's scores and the other dense features follow the n-grams in the input. */
  lexiconFeatures: boolean;
  dense: string[];
  normalization: { mean: number[]; std: number[] };
  /** Width of the hidden layer; 0 is multinomial logistic regression on the input. */
  hidden: number;
  classes: string[];
  reasons: string[];
  /**
   * Whether the rating head was trained (on human ratings, −1 … 1): then it is the compound score
   * and the class is VADER's reading of it; otherwise compound is p(positive) − p(negative).
   */
  intensity: boolean;
  evaluation?: Record<string, number>;
}

export interface SentimentArtifact extends SentimentMetadata {
  modelTopology: unknown;
  weightSpecs: unknown[];
  weightData: string;
}

export interface SentimentExample {
  text: string;
  label: SentimentClass;
  reason?: NegativeReason;
  /** A human rating, −1 … 1, when the data set has one. */
  rating?: number;
}

export interface SentimentTrainOptions {
  name?: string;
  /** Hidden units; 0 trains the TF-IDF logistic-regression baseline. Default 24. */
  hidden?: number;
  /** Read VADER's scores and the other dense features. Default true. */
  lexiconFeatures?: boolean;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** L2 penalty on the input weights a batch touches. */
  l2?: number;
  dropout?: number;
  /** Weight of the reason loss (negative posts with a reason) beside the class loss. */
  reasonWeight?: number;
  minDf?: number;
  maxFeatures?: number;
  seed?: number;
  now?: () => Date;
  /** Mined texts of `examples`, when the caller already has them (the bench mines once for all folds). */
  mined?: readonly MinedText[];
}

export interface SentimentScore {
  /** p(positive) − p(negative): −1 … 1. */
  compound: number;
  label: SentimentClass;
  probabilities: Record<SentimentClass, number>;
  /** For a negative post: the likeliest reason. */
  reason?: NegativeReason;
}

/**
 * Trains the sentiment model: a one-hidden-layer net over the TF-IDF n-grams and the lexicon
 * features, with two softmax heads (class; reason, learnt on negative posts that have one). The
 * input layer is an embedding bag over the sparse row, so training never builds the dense
 * vocabulary-wide matrix. `hidden: 0, lexiconFeatures: false` is the TF-IDF logistic regression.
 */
export async function trainSentiment(
  examples: readonly SentimentExample[],
  options: SentimentTrainOptions = {},
): Promise<SentimentArtifact> {
  if (examples.length === 0) throw new Error('no examples to train on');
  const tf = await loadTf();
  const hidden = options.hidden ?? 24;
  const lexiconFeatures = options.lexiconFeatures ?? true;
  const mined = options.mined ?? examples.map((e) => mineText(e.text));
  const vocabulary = buildVocabulary(mined, options.minDf ?? 2, options.maxFeatures ?? 6000);
  const normalization = lexiconFeatures
    ? standardisation(mined.map(denseRow), DENSE_FEATURES.length)
    : { mean: [], std: [] };
  const featurizer = new Featurizer(vocabulary, normalization, lexiconFeatures);
  const rows = mined.map((m) => featurizer.row(m));
  const classes = examples.map((e) => SENTIMENT_CLASSES.indexOf(e.label));
  const reasons = examples.map((e) => (e.reason === undefined ? -1 : NEGATIVE_REASONS.indexOf(e.reason)));
  const C = SENTIMENT_CLASSES.length;
  const R = NEGATIVE_REASONS.length;
  const F = featurizer.width;
  // The input layer feeds the hidden units and, directly, both heads' logits (a wide-and-deep
  // net: the wide part is the logistic regression, the hidden layer learns what it cannot).
  const K = hidden + C + R + 1;
  const ratings = examples.map((e) => e.rating);
  const intensity = ratings.some((r) => r !== undefined);
  const seed = options.seed ?? 7;
  const random = seededRandom(seed);
  // The input layer lives in plain arrays and is updated sparsely (lazy Adam on the rows a batch
  // touches): TF.js's CPU backend turns a gather's gradient into a vocabulary-wide dense update, so
  // a step would cost the whole vocabulary. TF.js differentiates everything above it.
  const input = new SparseAdam(
    F,
    K,
    options.learningRate ?? (hidden > 0 ? 0.003 : 0.01),
    hidden > 0 ? Math.sqrt(6 / (F + hidden)) : 0,
    random,
    hidden,
  );
  const glorot = (a: number, b: number, s: number) =>
    tf.variable(tf.randomUniform([a, b], -Math.sqrt(6 / (a + b)), Math.sqrt(6 / (a + b)), 'float32', s));
  const heads =
    hidden > 0
      ? {
          Wc: glorot(hidden, C, seed + 1),
          bc: tf.variable(tf.zeros([C])),
          Wr: glorot(hidden, R, seed + 2),
          br: tf.variable(tf.zeros([R])),
          Wi: glorot(hidden, 1, seed + 3),
          bi: tf.variable(tf.zeros([1])),
        }
      : undefined;
  const optimizer = tf.train.adam(options.learningRate ?? 0.003);
  const batchSize = options.batchSize ?? 64;
  const l2 = options.l2 ?? 1e-5;
  const dropout = options.dropout ?? 0.5;
  const reasonWeight = options.reasonWeight ?? 0.5;
  const order = Array.from(rows.keys());
  for (let epoch = 0; epoch < (options.epochs ?? 10); epoch++) {
    shuffle(order, random);
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = order.slice(start, start + batchSize).map((i) => rows[i]!);
      const members = order.slice(start, start + batchSize);
      const B = batch.length;
      const dz = tf.tidy(() => {
        const z = tf.variable(tf.tensor2d(input.forward(batch), [B, K]), true);
        const classT = tf.oneHot(
          tf.tensor1d(
            members.map((i) => classes[i]!),
            'int32',
          ),
          C,
        );
        const reasonT = tf.oneHot(
          tf.tensor1d(
            members.map((i) => Math.max(reasons[i]!, 0)),
            'int32',
          ),
          R,
        );
        const reasonMask = tf.tensor1d(members.map((i) => (reasons[i]! >= 0 ? 1 : 0)));
        const hasReason = members.some((i) => reasons[i]! >= 0);
        const ratingT = tf.tensor2d(
          members.map((i) => ratings[i] ?? 0),
          [B, 1],
        );
        const ratingMask = tf.tensor2d(
          members.map((i) => (ratings[i] === undefined ? 0 : 1)),
          [B, 1],
        );
        const headVars = heads === undefined ? [] : Object.values(heads);
        const { grads } = tf.variableGrads(() => {
          let classLogits = z.slice([0, hidden], [B, C]) as Tf.Tensor2D;
          let reasonLogits = z.slice([0, hidden + C], [B, R]) as Tf.Tensor2D;
          let rating = z.slice([0, hidden + C + R], [B, 1]) as Tf.Tensor2D;
          if (heads !== undefined) {
            const h = tf.dropout(tf.relu(z.slice([0, 0], [B, hidden])), dropout) as Tf.Tensor2D;
            classLogits = classLogits.add(h.matMul(heads.Wc).add(heads.bc));
            reasonLogits = reasonLogits.add(h.matMul(heads.Wr).add(heads.br));
            rating = rating.add(h.matMul(heads.Wi).add(heads.bi));
          }
          let loss = tf.losses.softmaxCrossEntropy(classT, classLogits);
          if (hasReason)
            loss = loss.add(
              tf.losses.softmaxCrossEntropy(reasonT, reasonLogits, reasonMask).mul(reasonWeight),
            );
          if (intensity) loss = loss.add(tf.losses.meanSquaredError(ratingT, tf.tanh(rating), ratingMask));
          return loss as Tf.Scalar;
        }, [z, ...headVars]);
        if (heads !== undefined)
          optimizer.applyGradients(headVars.map((v) => ({ name: v.name, tensor: grads[v.name]! })));
        const out = grads[z.name]!.dataSync() as Float32Array;
        z.dispose();
        return Float32Array.from(out);
      });
      input.step(batch, dz, l2);
    }
  }
  const model = layersModel(tf, F, hidden, C, R);
  const w1 = tf.tensor2d(input.weights, [F, K]);
  const b1 = tf.tensor1d(input.bias);
  const columns = (from: number, width: number) => [
    w1.slice([0, from], [F, width]),
    b1.slice([from], [width]),
  ];
  model.getLayer('wide_sentiment').setWeights(columns(hidden, C));
  model.getLayer('wide_reason').setWeights(columns(hidden + C, R));
  model.getLayer('wide_rating').setWeights(columns(hidden + C + R, 1));
  if (heads !== undefined) {
    model.getLayer('hidden').setWeights(columns(0, hidden));
    model.getLayer('deep_sentiment').setWeights([heads.Wc, heads.bc]);
    model.getLayer('deep_reason').setWeights([heads.Wr, heads.br]);
    model.getLayer('deep_rating').setWeights([heads.Wi, heads.bi]);
  }
  for (const v of [w1, b1, ...Object.values(heads ?? {})]) v.dispose();
  optimizer.dispose();
  const name = options.name ?? 'sentiment';
  const packed = await packModel(tf, model, name, options.now?.(), { quantize: 'uint8' });
  return {
    format: SENTIMENT_FORMAT,
    name,
    vocabulary,
    lexiconFeatures,
    dense: lexiconFeatures ? [...DENSE_FEATURES] : [],
    normalization,
    hidden,
    classes: [...SENTIMENT_CLASSES],
    reasons: [...NEGATIVE_REASONS],
    intensity,
    ...packed,
  };
}

/**
 * A sparse input layer `z = bias + Σ value · W[id]` trained by lazy Adam (Kingma & Ba's update,
 * applied only to the rows a batch touches), with an L2 penalty on those rows.
 */
class SparseAdam {
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  readonly #m: Float32Array;
  readonly #v: Float32Array;
  readonly #mb: Float32Array;
  readonly #vb: Float32Array;
  #t = 0;

  constructor(
    readonly rows: number,
    readonly units: number,
    readonly learningRate: number,
    scale: number,
    random: () => number,
    randomColumns: number,
  ) {
    this.weights = new Float32Array(rows * units);
    for (let i = 0; i < this.weights.length; i++)
      if (i % units < randomColumns) this.weights[i] = (random() * 2 - 1) * scale;
    this.bias = new Float32Array(units);
    this.#m = new Float32Array(rows * units);
    this.#v = new Float32Array(rows * units);
    this.#mb = new Float32Array(units);
    this.#vb = new Float32Array(units);
  }

  forward(batch: readonly SparseRow[]): Float32Array {
    const K = this.units;
    const z = new Float32Array(batch.length * K);
    batch.forEach((row, b) => {
      const o = b * K;
      for (let u = 0; u < K; u++) z[o + u] = this.bias[u]!;
      for (let k = 0; k < row.ids.length; k++) {
        const x = row.values[k]!;
        const w = row.ids[k]! * K;
        for (let u = 0; u < K; u++) z[o + u]! += x * this.weights[w + u]!;
      }
    });
    return z;
  }

  step(batch: readonly SparseRow[], dz: Float32Array, l2: number): void {
    const K = this.units;
    const grad = new Map<number, Float32Array>();
    const biasGrad = new Float32Array(K);
    batch.forEach((row, b) => {
      const o = b * K;
      for (let u = 0; u < K; u++) biasGrad[u]! += dz[o + u]!;
      for (let k = 0; k < row.ids.length; k++) {
        const id = row.ids[k]!;
        let g = grad.get(id);
        if (g === undefined) {
          g = new Float32Array(K);
          grad.set(id, g);
        }
        const x = row.values[k]!;
        for (let u = 0; u < K; u++) g[u]! += x * dz[o + u]!;
      }
    });
    this.#t++;
    const b1 = 0.9;
    const b2 = 0.999;
    const lr = (this.learningRate * Math.sqrt(1 - b2 ** this.#t)) / (1 - b1 ** this.#t);
    const update = (w: Float32Array, m: Float32Array, v: Float32Array, i: number, g: number) => {
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      w[i]! -= (lr * m[i]!) / (Math.sqrt(v[i]!) + 1e-7);
    };
    for (const [id, g] of grad) {
      const o = id * K;
      for (let u = 0; u < K; u++)
        update(this.weights, this.#m, this.#v, o + u, g[u]! + 2 * l2 * this.weights[o + u]!);
    }
    for (let u = 0; u < K; u++) update(this.bias, this.#mb, this.#vb, u, biasGrad[u]!);
  }
}

function layersModel(tf: typeof Tf, F: number, hidden: number, C: number, R: number): Tf.LayersModel {
  const input = tf.input({ shape: [F], name: 'ngrams' });
  const dense = (
    name: string,
    units: number,
    from: Tf.SymbolicTensor,
    activation: 'linear' | 'relu' = 'linear',
  ) => tf.layers.dense({ units, activation, name }).apply(from) as Tf.SymbolicTensor;
  const head = (
    name: string,
    units: number,
    deep: Tf.SymbolicTensor | undefined,
    activation: 'softmax' | 'tanh' = 'softmax',
  ) => {
    const wide = dense(`wide_${name}`, units, input);
    const logits =
      deep === undefined
        ? wide
        : (tf.layers.add().apply([wide, dense(`deep_${name}`, units, deep)]) as Tf.SymbolicTensor);
    return tf.layers.activation({ activation, name }).apply(logits) as Tf.SymbolicTensor;
  };
  const h = hidden > 0 ? dense('hidden', hidden, input, 'relu') : undefined;
  return tf.model({
    inputs: input,
    outputs: [head('sentiment', C, h), head('reason', R, h), head('rating', 1, h, 'tanh')],
  });
}

interface DenseLayer {
  kernel: Float32Array;
  bias: Float32Array;
  inputs: number;
  units: number;
}

/**
 * A loaded sentiment model. `score` mines the text and runs the net in plain JS over the model's
 * own weights — the first layer sparsely, over the few hundred n-grams a post has — so a post
 * costs tens of microseconds; `scoreTf` runs TF.js's `predict` on dense rows, the reference the
 * tests hold the JS path to.
 */
export class SentimentScorer {
  readonly version: string;
  readonly featurizer: Featurizer;
  /** The input layer, all its outputs side by side: hidden units, wide class logits, wide reason logits. */
  readonly #input: DenseLayer;
  readonly #deep?: { sentiment: DenseLayer; reason: DenseLayer; rating: DenseLayer };
  readonly #z: Float32Array;

  private constructor(
    readonly tf: typeof Tf,
    readonly model: Tf.LayersModel,
    readonly metadata: Omit<SentimentArtifact, keyof ModelArtifact> & Pick<ModelArtifact, 'version' | 'name'>,
  ) {
    this.version = metadata.version;
    this.featurizer = new Featurizer(metadata.vocabulary, metadata.normalization, metadata.lexiconFeatures);
    const layer = (name: string): DenseLayer => {
      const [kernel, bias] = model.getLayer(name).getWeights();
      const [inputs, units] = kernel!.shape as [number, number];
      return {
        kernel: kernel!.dataSync() as Float32Array,
        bias: bias!.dataSync() as Float32Array,
        inputs,
        units,
      };
    };
    const parts = [
      ...(metadata.hidden > 0 ? [layer('hidden')] : []),
      layer('wide_sentiment'),
      layer('wide_reason'),
      layer('wide_rating'),
    ];
    const units = parts.reduce((n, p) => n + p.units, 0);
    const inputs = parts[0]!.inputs;
    const kernel = new Float32Array(inputs * units);
    const bias = new Float32Array(units);
    let column = 0;
    for (const p of parts) {
      for (let i = 0; i < inputs; i++)
        kernel.set(p.kernel.subarray(i * p.units, (i + 1) * p.units), i * units + column);
      bias.set(p.bias, column);
      column += p.units;
    }
    this.#input = { kernel, bias, inputs, units };
    if (metadata.hidden > 0)
      this.#deep = {
        sentiment: layer('deep_sentiment'),
        reason: layer('deep_reason'),
        rating: layer('deep_rating'),
      };
    this.#z = new Float32Array(units);
  }

  static async load(artifact: SentimentArtifact): Promise<SentimentScorer> {
    if (artifact?.format !== SENTIMENT_FORMAT)
      throw new Error(`unknown model format ${String(artifact?.format)}`);
    const { tf, model, metadata } = await loadLayers(artifact);
    const scorer = new SentimentScorer(tf, model, {
      ...metadata,
      version: artifact.version,
      name: artifact.name,
    });
    const first = scorer.#input;
    if (first.inputs !== scorer.featurizer.width)
      throw new Error(
        `the model reads ${first.inputs} inputs, its vocabulary makes ${scorer.featurizer.width}`,
      );
    return scorer;
  }

  score(text: string): SentimentScore {
    return this.scoreMined(mineText(text));
  }

  scoreMined(mined: MinedText): SentimentScore {
    return this.scoreRow(this.featurizer.row(mined));
  }

  scoreRow(row: SparseRow): SentimentScore {
    const z = sparseLayer(this.#input, row, this.#z);
    const H = this.metadata.hidden;
    const C = SENTIMENT_CLASSES.length;
    const classes = z.slice(H, H + C);
    const reasons = z.slice(H + C, H + C + NEGATIVE_REASONS.length);
    const rating = z.slice(H + C + NEGATIVE_REASONS.length);
    if (this.#deep !== undefined) {
      const h = z.subarray(0, H);
      for (let i = 0; i < H; i++) if (h[i]! < 0) h[i] = 0;
      addLayer(this.#deep.sentiment, h, classes);
      addLayer(this.#deep.reason, h, reasons);
      addLayer(this.#deep.rating, h, rating);
    }
    softmax(classes);
    const probabilities = { negative: classes[0]!, neutral: classes[1]!, positive: classes[2]! };
    const compound = this.metadata.intensity ? Math.tanh(rating[0]!) : classes[2]! - classes[0]!;
    const label = SENTIMENT_CLASSES[argmax(classes)]!;
    const score: SentimentScore = { compound, label, probabilities };
    if (label === 'negative') score.reason = NEGATIVE_REASONS[argmax(reasons)]!;
    return score;
  }

  /** Class probabilities through TF.js `predict` on dense rows (tests only: the rows are vocabulary-wide). */
  scoreTf(texts: readonly string[]): Float32Array {
    const width = this.featurizer.width;
    const dense = new Float32Array(texts.length * width);
    texts.forEach((text, i) => {
      const row = this.featurizer.row(mineText(text));
      row.ids.forEach((id, k) => {
        dense[i * width + id] = row.values[k]!;
      });
    });
    const tf = this.tf;
    return tf.tidy(() => {
      const [classes] = this.model.predict(tf.tensor2d(dense, [texts.length, width])) as Tf.Tensor[];
      return classes!.dataSync() as Float32Array;
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}

function sparseLayer(layer: DenseLayer, row: SparseRow, out: Float32Array): Float32Array {
  out.set(layer.bias);
  const { kernel, units } = layer;
  const { ids, values } = row;
  let k = 0;
  // Two rows at a time, four units an iteration: half the loads and stores of `out`, fewer loop
  // and bounds checks per multiply-add.
  for (; k + 1 < ids.length; k += 2) {
    const x = values[k]!;
    const y = values[k + 1]!;
    const o = ids[k]! * units;
    const p = ids[k + 1]! * units;
    let u = 0;
    for (; u + 3 < units; u += 4) {
      out[u]! += x * kernel[o + u]! + y * kernel[p + u]!;
      out[u + 1]! += x * kernel[o + u + 1]! + y * kernel[p + u + 1]!;
      out[u + 2]! += x * kernel[o + u + 2]! + y * kernel[p + u + 2]!;
      out[u + 3]! += x * kernel[o + u + 3]! + y * kernel[p + u + 3]!;
    }
    for (; u < units; u++) out[u]! += x * kernel[o + u]! + y * kernel[p + u]!;
  }
  for (; k < ids.length; k++) {
    const x = values[k]!;
    const o = ids[k]! * units;
    for (let u = 0; u < units; u++) out[u]! += x * kernel[o + u]!;
  }
  return out;
}

/** `out += input · kernel + bias`. */
function addLayer(layer: DenseLayer, input: Float32Array, out: Float32Array): void {
  for (let u = 0; u < layer.units; u++) out[u]! += layer.bias[u]!;
  for (let i = 0; i < layer.inputs; i++) {
    const x = input[i]!;
    if (x === 0) continue;
    const offset = i * layer.units;
    for (let u = 0; u < layer.units; u++) out[u]! += x * layer.kernel[offset + u]!;
  }
}

function softmax(v: Float32Array): void {
  let max = -Infinity;
  for (const x of v) max = Math.max(max, x);
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    v[i] = Math.exp(v[i]! - max);
    sum += v[i]!;
  }
  for (let i = 0; i < v.length; i++) v[i]! /= sum;
}

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}
