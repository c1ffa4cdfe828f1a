import type * as Tf from '@tensorflow/tfjs';
import { loadLayers, normalise, packModel, standardisation } from './artifact.js';
import { seededRandom, shuffle } from './random.js';
import { loadTf } from './tf.js';

export const TABULAR_FORMAT = 'hexcast-tabular/1';

/** What travels on `hx.models` for a tabular classifier (fraud): metadata + TF.js layers model. */
export interface TabularMetadata {
  format: typeof TABULAR_FORMAT;
  /** The model's key on `hx.models` (`fraud`). */
  name: string;
  version: string;
  createdAt: string;
  /** Input columns, in order. */
  features: string[];
  /** Per-feature standardisation learnt on the training set. */
  normalization: { mean: number[]; std: number[] };
  /** Hidden layer sizes (empty: logistic regression). */
  hidden: number[];
  evaluation?: Record<string, number>;
}

export interface TabularArtifact extends TabularMetadata {
  modelTopology: unknown;
  weightSpecs: unknown[];
  weightData: string;
}

export interface TabularTrainOptions {
  name: string;
  features: readonly string[];
  /** Hidden layer sizes; `[]` trains a logistic regression. Default `[32, 16]`. */
  hidden?: readonly number[];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** L2 penalty on the kernels. */
  l2?: number;
  /**
   * Weight of a positive example relative to a negative one. Default: enough to balance the
   * classes up to a cap of 20, so a 0.5% base rate still trains.
   */
  positiveWeight?: number;
  seed?: number;
  now?: () => Date;
}

/**
 * Trains a binary classifier on standardised tabular rows: a ReLU MLP (`hidden`) with a sigmoid
 * output, Adam on weighted binary cross-entropy. The same code trains the logistic-regression
 * baseline (`hidden: []`), so the two differ only in the hidden layers.
 */
export async function trainTabular(
  rows: readonly (readonly number[])[],
  labels: readonly boolean[],
  options: TabularTrainOptions,
): Promise<TabularArtifact> {
  if (rows.length !== labels.length || rows.length === 0)
    throw new Error(`need as many labels as rows (rows ${rows.length}, labels ${labels.length})`);
  const width = options.features.length;
  for (const r of rows)
    if (r.length !== width) throw new Error(`a row has ${r.length} columns, not ${width}`);
  const tf = await loadTf();
  const hidden = [...(options.hidden ?? [32, 16])];
  const seed = options.seed ?? 7;
  const normalization = standardisation(rows, width);
  const regularizer = options.l2 === undefined ? undefined : tf.regularizers.l2({ l2: options.l2 });
  const model = tf.sequential();
  for (const [i, units] of hidden.entries())
    model.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [width] } : {}),
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
        ...(regularizer ? { kernelRegularizer: regularizer } : {}),
      }),
    );
  model.add(
    tf.layers.dense({
      ...(hidden.length === 0 ? { inputShape: [width] } : {}),
      units: 1,
      activation: 'sigmoid',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + hidden.length }),
      ...(regularizer ? { kernelRegularizer: regularizer } : {}),
    }),
  );
  model.compile({ optimizer: tf.train.adam(options.learningRate ?? 0.005), loss: 'binaryCrossentropy' });
  const positives = labels.filter(Boolean).length;
  const positiveWeight =
    options.positiveWeight ?? Math.min(20, Math.max(1, (labels.length - positives) / Math.max(positives, 1)));
  const flat = new Float32Array(rows.length * width);
  for (const [i, r] of rows.entries()) flat.set(normalise(r, normalization), i * width);
  const xs = tf.tensor2d(flat, [rows.length, width]);
  const ys = tf.tensor2d(
    Float32Array.from(labels, (l) => (l ? 1 : 0)),
    [labels.length, 1],
  );
  // Each epoch sees the rows in an order drawn from the seed (tf.js' own `shuffle` draws from
  // Math.random): the same rows, options and seed give the same model.
  const random = seededRandom(seed);
  const order = Array.from({ length: rows.length }, (_, i) => i);
  for (let epoch = 0; epoch < (options.epochs ?? 30); epoch++) {
    const indices = tf.tensor1d(shuffle(order, random), 'int32');
    const epochXs = tf.gather(xs, indices);
    const epochYs = tf.gather(ys, indices);
    await model.fit(epochXs, epochYs, {
      epochs: 1,
      batchSize: options.batchSize ?? 256,
      shuffle: false,
      verbose: 0,
      classWeight: { 0: 1, 1: positiveWeight },
    });
    tf.dispose([indices, epochXs, epochYs]);
  }
  xs.dispose();
  ys.dispose();
  const packed = await packModel(tf, model, options.name, options.now?.());
  return {
    format: TABULAR_FORMAT,
    name: options.name,
    features: [...options.features],
    normalization,
    hidden,
    ...packed,
  };
}

/**
 * A loaded tabular model. `scoreSync` runs the dense layers over the model's own weights in plain
 * JS (the nets are a few thousand multiply-adds: a TF.js call's fixed cost is larger than the
 * work); `scoreTf` runs TF.js's `predict`, and the tests hold the two to the same answers.
 */
export class TabularScorer {
  readonly version: string;
  readonly features: readonly string[];
  readonly #layers: Array<{ kernel: Float32Array; bias: Float32Array; inputs: number; units: number }>;
  readonly #buffers: Float32Array[];

  private constructor(
    readonly tf: typeof Tf,
    readonly model: Tf.LayersModel,
    readonly metadata: TabularMetadata,
  ) {
    this.version = metadata.version;
    this.features = metadata.features;
    this.#layers = model.layers.map((layer) => {
      const [kernel, bias] = layer.getWeights();
      if (kernel === undefined || bias === undefined) throw new Error(`layer ${layer.name} has no weights`);
      const [inputs, units] = kernel.shape as [number, number];
      return {
        kernel: kernel.dataSync() as Float32Array,
        bias: bias.dataSync() as Float32Array,
        inputs,
        units,
      };
    });
    this.#buffers = this.#layers.map((l) => new Float32Array(l.units));
  }

  static async load(artifact: TabularArtifact, expectedFeatures?: readonly string[]): Promise<TabularScorer> {
    if (artifact?.format !== TABULAR_FORMAT)
      throw new Error(`unknown model format ${String(artifact?.format)}`);
    if (expectedFeatures !== undefined && artifact.features.join() !== expectedFeatures.join())
      throw new Error(`model features ${artifact.features.join()} differ from ${expectedFeatures.join()}`);
    const { tf, model, metadata } = await loadLayers(artifact);
    const scorer = new TabularScorer(tf, model, metadata);
    const last = scorer.#layers.at(-1);
    if (last === undefined || last.units !== 1 || scorer.#layers[0]!.inputs !== artifact.features.length)
      throw new Error('the model is not a dense net from the artifact features to one output');
    return scorer;
  }

  /** P(positive) for one raw (unstandardised) row. */
  scoreSync(row: ArrayLike<number>): number {
    const { mean, std } = this.metadata.normalization;
    let input = this.#buffers[0]!;
    // Layer 0 reads the standardised row directly.
    const first = this.#layers[0]!;
    for (let u = 0; u < first.units; u++) input[u] = first.bias[u]!;
    for (let i = 0; i < first.inputs; i++) {
      const x = ((row[i] as number) - mean[i]!) / std[i]!;
      if (x === 0) continue;
      const offset = i * first.units;
      for (let u = 0; u < first.units; u++) input[u]! += x * first.kernel[offset + u]!;
    }
    for (let l = 1; l < this.#layers.length; l++) {
      relu(input);
      const layer = this.#layers[l]!;
      const out = this.#buffers[l]!;
      for (let u = 0; u < layer.units; u++) out[u] = layer.bias[u]!;
      for (let i = 0; i < layer.inputs; i++) {
        const x = input[i]!;
        if (x === 0) continue;
        const offset = i * layer.units;
        for (let u = 0; u < layer.units; u++) out[u]! += x * layer.kernel[offset + u]!;
      }
      input = out;
    }
    return 1 / (1 + Math.exp(-input[0]!));
  }

  /** P(positive) per row through TF.js `predict` (the reference the JS path is held to). */
  scoreTf(rows: readonly (readonly number[])[]): Float32Array {
    const width = this.features.length;
    const flat = new Float32Array(rows.length * width);
    for (const [i, r] of rows.entries()) flat.set(normalise(r, this.metadata.normalization), i * width);
    const tf = this.tf;
    return tf.tidy(
      () =>
        (this.model.predict(tf.tensor2d(flat, [rows.length, width])) as Tf.Tensor).dataSync() as Float32Array,
    );
  }

  dispose(): void {
    this.model.dispose();
  }
}

function relu(v: Float32Array): void {
  for (let i = 0; i < v.length; i++) if (v[i]! < 0) v[i] = 0;
}
