import type * as Tf from '@tensorflow/tfjs';
import { loadLayers, normalise, packModel, readArtifact, standardisation } from './artifact.js';
import type { Example } from './behaviour.js';
import { auc } from './evaluate.js';
import { FEATURES, featureVector, type PropensityInput } from './features.js';
import { heuristicScore, type PropensityScorer } from './scorer.js';
import { loadTf } from './tf.js';

export const ARTIFACT_FORMAT = 'hexcast-propensity/1';

/** What travels on `hx.models` and what `model.json`'s metadata holds. */
export interface PropensityMetadata {
  format: typeof ARTIFACT_FORMAT;
  name: 'propensity';
  version: string;
  createdAt: string;
  features: string[];
  /** Per-feature standardisation learnt on the training set. */
  normalization: { mean: number[]; std: number[] };
  evaluation?: { auc: number; heuristicAuc: number; heldOut: number; trainedOn: number };
}

/** A trained model in memory-transportable form: TF.js topology + weight specs + weights (base64). */
export interface PropensityArtifact extends PropensityMetadata {
  modelTopology: unknown;
  weightSpecs: unknown[];
  weightData: string;
}

export interface TrainOptions {
  epochs?: number;
  seed?: number;
  /** Held-out examples for the evaluation stored with the artifact. */
  heldOut?: readonly Example[];
  now?: () => Date;
}

/** Trains the propensity MLP (11 → 16 → 8 → 1, ReLU, sigmoid) with Adam on binary cross-entropy. */
export async function trainPropensity(
  examples: readonly Example[],
  options: TrainOptions = {},
): Promise<PropensityArtifact> {
  const tf = await loadTf();
  const rows = examples.map((e) => featureVector(e.input));
  const normalization = standardisation(rows, FEATURES.length);
  const seed = options.seed ?? 7;
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [FEATURES.length],
        units: 16,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
      }),
      tf.layers.dense({
        units: 8,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      }),
      tf.layers.dense({
        units: 1,
        activation: 'sigmoid',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
      }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
  const xs = tf.tensor2d(rows.map((r) => normalise(r, normalization)));
  const ys = tf.tensor2d(
    examples.map((e) => [e.redeemed ? 1 : 0]),
    [examples.length, 1],
  );
  await model.fit(xs, ys, { epochs: options.epochs ?? 12, batchSize: 256, shuffle: true, verbose: 0 });
  xs.dispose();
  ys.dispose();
  const packed = await packModel(tf, model, 'propensity', options.now?.());
  const artifact: PropensityArtifact = {
    format: ARTIFACT_FORMAT,
    name: 'propensity',
    features: [...FEATURES],
    normalization,
    ...packed,
  };
  if (options.heldOut !== undefined && options.heldOut.length > 0) {
    const scorer = await TfPropensityScorer.load(artifact);
    artifact.evaluation = {
      ...(await evaluateScorer(scorer, options.heldOut)),
      heldOut: options.heldOut.length,
      trainedOn: examples.length,
    };
    scorer.dispose();
  }
  return artifact;
}

/** AUC of a scorer and of the heuristic on the same examples. */
export async function evaluateScorer(
  scorer: PropensityScorer,
  examples: readonly Example[],
): Promise<{ auc: number; heuristicAuc: number }> {
  const labels = examples.map((e) => e.redeemed);
  const inputs = examples.map((e) => e.input);
  return {
    auc: auc(await scorer.score(inputs), labels),
    heuristicAuc: auc(inputs.map(heuristicScore), labels),
  };
}

/** A loaded TF.js model answering `PropensityScorer`. */
export class TfPropensityScorer implements PropensityScorer {
  readonly kind = 'model' as const;
  readonly version: string;

  private constructor(
    readonly tf: typeof Tf,
    readonly model: Tf.LayersModel,
    readonly metadata: PropensityMetadata,
  ) {
    this.version = metadata.version;
  }

  static async load(artifact: PropensityArtifact): Promise<TfPropensityScorer> {
    if (artifact.format !== ARTIFACT_FORMAT)
      throw new Error(`unknown model format ${String(artifact.format)}`);
    if (artifact.features.join() !== FEATURES.join())
      throw new Error(`model features ${artifact.features.join()} differ from ${FEATURES.join()}`);
    const { tf, model, metadata } = await loadLayers(artifact);
    return new TfPropensityScorer(tf, model, metadata);
  }

  /**
   * Scores are micro-batched: the calls made during one turn of the event loop (concurrent
   * decisions) go through the model as one tensor, each caller getting its slice.
   */
  score(inputs: readonly PropensityInput[]): Promise<Float32Array> {
    if (inputs.length === 0) return Promise.resolve(new Float32Array(0));
    return new Promise((resolve, reject) => {
      this.#pending.push({ inputs, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#run());
      }
    });
  }

  readonly #pending: Array<{
    inputs: readonly PropensityInput[];
    resolve(scores: Float32Array): void;
    reject(error: unknown): void;
  }> = [];
  #scheduled = false;

  #run(): void {
    this.#scheduled = false;
    const batch = this.#pending.splice(0);
    if (batch.length === 0) return;
    try {
      const rows = batch.reduce((n, b) => n + b.inputs.length, 0);
      const { normalization } = this.metadata;
      const flat = new Float32Array(rows * FEATURES.length);
      let row = 0;
      for (const b of batch)
        for (const input of b.inputs)
          flat.set(normalise(featureVector(input), normalization), row++ * FEATURES.length);
      const tf = this.tf;
      const scores = tf.tidy(() => {
        const out = this.model.predict(tf.tensor2d(flat, [rows, FEATURES.length])) as Tf.Tensor;
        return out.dataSync() as Float32Array;
      });
      let at = 0;
      for (const b of batch) {
        b.resolve(scores.slice(at, at + b.inputs.length));
        at += b.inputs.length;
      }
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }

  /** Scores what is waiting with this model, then frees it. */
  dispose(): void {
    this.#run();
    this.model.dispose();
  }
}

/** Reads a saved propensity model. */
export function readPropensityArtifact(dir: string): Promise<PropensityArtifact> {
  return readArtifact<PropensityArtifact>(dir, ARTIFACT_FORMAT);
}
