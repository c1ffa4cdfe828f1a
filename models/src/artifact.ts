import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import { loadTf } from './tf.js';

// What every model artifact shares: the TF.js layers format in memory and on disk, loading it,
// and the standardisation of its inputs.

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

/** Reads what `writeArtifact` wrote, refusing another format than `format`. */
export async function readArtifact<A extends ModelArtifact>(dir: string, format: string): Promise<A> {
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

/** A TF.js layers model from an artifact held in memory, and the artifact's own metadata. */
export async function loadLayers<A extends ModelArtifact>(
  artifact: A,
): Promise<{
  tf: typeof Tf;
  model: Tf.LayersModel;
  metadata: Omit<A, 'modelTopology' | 'weightSpecs' | 'weightData'>;
}> {
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
  return { tf, model, metadata };
}

/** Per-column mean and standard deviation (1 where a column is constant). */
export function standardisation(
  rows: readonly (readonly number[])[],
  width: number,
): { mean: number[]; std: number[] } {
  const n = Math.max(rows.length, 1);
  const mean = Array.from({ length: width }, (_, j) => rows.reduce((a, r) => a + r[j]!, 0) / n);
  const std = Array.from({ length: width }, (_, j) => {
    const v = rows.reduce((a, r) => a + (r[j]! - mean[j]!) ** 2, 0) / n;
    return Math.sqrt(v) || 1;
  });
  return { mean, std };
}

export function normalise(row: readonly number[], n: { mean: number[]; std: number[] }): number[] {
  return row.map((v, j) => (v - n.mean[j]!) / n.std[j]!);
}

export async function saveToMemory(
  tf: typeof Tf,
  model: Tf.LayersModel,
): Promise<{ modelTopology: unknown; weightSpecs: unknown[]; weightData: Buffer }> {
  let captured: Tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const data = captured?.weightData;
  if (captured === undefined || data === undefined) throw new Error('the model saved no weights');
  const buffers = Array.isArray(data) ? data : [data];
  return {
    modelTopology: captured.modelTopology,
    weightSpecs: captured.weightSpecs ?? [],
    weightData: Buffer.concat(buffers.map((b) => Buffer.from(b))),
  };
}

/**
 * A trained model as an artifact's common part, the model freed: its TF.js topology and weights,
 * when it was made, and a version `<name>-<UTC time>-<weights digest>`.
 */
export async function packModel(
  tf: typeof Tf,
  model: Tf.LayersModel,
  name: string,
  now: Date = new Date(),
  options: { quantize?: 'uint8' } = {},
): Promise<
  Pick<ModelArtifact, 'version' | 'modelTopology' | 'weightSpecs' | 'weightData'> & { createdAt: string }
> {
  const saved = await saveToMemory(tf, model);
  model.dispose();
  if (options.quantize === 'uint8')
    Object.assign(saved, quantizeUint8(saved.weightSpecs as Tf.io.WeightsManifestEntry[], saved.weightData));
  const createdAt = now.toISOString();
  const digest = createHash('sha256').update(saved.weightData).digest('hex').slice(0, 8);
  return {
    version: `${name}-${createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${digest}`,
    createdAt,
    modelTopology: saved.modelTopology,
    weightSpecs: saved.weightSpecs,
    weightData: saved.weightData.toString('base64'),
  };
}

/**
 * Affine 8-bit quantisation of float32 weights, per tensor (`value ≈ min + q · scale`), in the
 * weight-manifest form TF.js's loader decodes (`quantization: {dtype: 'uint8', min, scale}`): a
 * quarter of the bytes, for models whose size matters on `hx.models`.
 */
export function quantizeUint8(
  specs: readonly Tf.io.WeightsManifestEntry[],
  data: Buffer,
): { weightSpecs: Tf.io.WeightsManifestEntry[]; weightData: Buffer } {
  const out: Buffer[] = [];
  let offset = 0;
  const weightSpecs = specs.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype !== 'float32' || spec.quantization !== undefined)
      throw new Error(`cannot quantise ${spec.name} (${spec.dtype})`);
    const values = new Float32Array(
      data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + size * 4),
    );
    offset += size * 4;
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (size === 0) min = max = 0;
    const scale = max > min ? (max - min) / 255 : 1;
    out.push(Buffer.from(Uint8Array.from(values, (v) => Math.round((v - min) / scale))));
    return { ...spec, quantization: { dtype: 'uint8' as const, min, scale } };
  });
  return { weightSpecs, weightData: Buffer.concat(out) };
}
