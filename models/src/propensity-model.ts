import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import type { Example } from './behaviour.js';
import { auc } from './evaluate.js';
import { FEATURES, featureVector, type PropensityInput } from './features.js';
import { heuristicScore, type PropensityScorer } from './scorer.js';
import { saveToMemory } from './tabular.js';
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
  const normalization = standardisation(rows);
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
  const saved = await saveToMemory(tf, model);
  model.dispose();
  const createdAt = (options.now?.() ?? new Date()).toISOString();
  const digest = createHash('sha256').update(saved.weightData).digest('hex').slice(0, 8);
  const artifact: PropensityArtifact = {
    format: ARTIFACT_FORMAT,
    name: 'propensity',
    version: `propensity-${createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${digest}`,
    createdAt,
    features: [...FEATURES],
    normalization,
    modelTopology: saved.modelTopology,
    weightSpecs: saved.weightSpecs,
    weightData: saved.weightData.toString('base64'),
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
    const tf = await loadTf();
    const weights = Buffer.from(artifact.weightData, 'base64');
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: artifact.modelTopology as Tf.io.ModelJSON['modelTopology'],
        weightSpecs: artifact.weightSpecs as Tf.io.WeightsManifestEntry[],
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    );
    const { modelTopology: _t, weightSpecs: _s, weightData: _d, ...metadata } = artifact;
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

/** A model artifact of any format: metadata plus TF.js topology, weight specs and weights (base64). */
export interface ModelArtifact {
  format: string;
  name: string;
  version: string;
  modelTopology: unknown;
  weightSpecs: unknown[];
  weightData: string;
}

/** Writes the standard TF.js layers format: `model.json` (topology, manifest, our metadata) + `weights.bin`. */
export async function writeArtifact(dir: string, artifact: ModelArtifact): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { modelTopology, weightSpecs, weightData, ...metadata } = artifact;
  await writeFile(path.join(dir, 'weights.bin'), Buffer.from(weightData, 'base64'));
  await writeFile(
    path.join(dir, 'model.json'),
    `${JSON.stringify(
      {
        format: 'layers-model',
        generatedBy: 'hexcast',
        convertedBy: null,
        modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }],
        userDefinedMetadata: { hexcast: metadata },
      },
      null,
      2,
    )}\n`,
  );
}

/** Reads what `writeArtifact` wrote, refusing another format than `format` (default: propensity). */
export async function readArtifact<A extends ModelArtifact = PropensityArtifact>(
  dir: string,
  format: string = ARTIFACT_FORMAT,
): Promise<A> {
  const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')) as {
    modelTopology: unknown;
    weightsManifest: Array<{ paths: string[]; weights: unknown[] }>;
    userDefinedMetadata?: { hexcast?: { format?: string } };
  };
  const metadata = json.userDefinedMetadata?.hexcast;
  if (metadata?.format !== format) throw new Error(`${dir}/model.json is not a Hexcast ${format} model`);
  const buffers = await Promise.all(
    json.weightsManifest.flatMap((group) => group.paths.map((p) => readFile(path.join(dir, p)))),
  );
  return {
    ...metadata,
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: Buffer.concat(buffers).toString('base64'),
  } as unknown as A;
}

function standardisation(rows: readonly number[][]): { mean: number[]; std: number[] } {
  const n = Math.max(rows.length, 1);
  const mean = FEATURES.map((_, j) => rows.reduce((a, r) => a + r[j]!, 0) / n);
  const std = FEATURES.map((_, j) => {
    const v = rows.reduce((a, r) => a + (r[j]! - mean[j]!) ** 2, 0) / n;
    return Math.sqrt(v) || 1;
  });
  return { mean, std };
}

function normalise(row: readonly number[], n: { mean: number[]; std: number[] }): number[] {
  return row.map((v, j) => (v - n.mean[j]!) / n.std[j]!);
}
