import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { BusProducer } from '../bus/index.js';
import { type EventRegistry, TOPICS } from '../envelope/index.js';
import { ModelPart, ModelPublished } from './events.js';

/** Artifacts whose JSON is larger than this go in parts (an envelope holds 256 KB). */
const INLINE_BYTES = 160 * 1024;
/** Base64 characters per part. */
const PART_CHARS = 160 * 1024;

/**
 * Publishes a model on `hx.models` under `name`: inline when it is small, else its gzipped JSON in
 * `model.part` records (keys `<name>#<version>#<i>`) followed by the `model.published` that lists
 * them with their SHA-256. `hx.models` has one partition, so a reader meets the parts first.
 */
export async function publishArtifact(
  producer: BusProducer,
  registry: EventRegistry,
  name: string,
  version: string,
  artifact: unknown,
  source = { kind: 'cli', id: 'model-publish' },
): Promise<{ parts: number }> {
  const json = JSON.stringify(artifact);
  if (json.length <= INLINE_BYTES) {
    await producer.send(
      TOPICS.models,
      registry.create(ModelPublished, { key: name, source, data: { name, version, artifact } }),
    );
    return { parts: 0 };
  }
  const gz = gzipSync(json);
  const text = gz.toString('base64');
  const count = Math.ceil(text.length / PART_CHARS);
  for (let index = 0; index < count; index++)
    await producer.send(
      TOPICS.models,
      registry.create(ModelPart, {
        key: `${name}#${version}#${index}`,
        source,
        data: { name, version, index, data: text.slice(index * PART_CHARS, (index + 1) * PART_CHARS) },
      }),
    );
  const sha256 = createHash('sha256').update(gz).digest('hex');
  await producer.send(
    TOPICS.models,
    registry.create(ModelPublished, { key: name, source, data: { name, version, parts: { count, sha256 } } }),
  );
  return { parts: count };
}

/** Collects `model.part` records and gives back the artifact a `model.published` with `parts` names. */
export class ArtifactParts {
  readonly #parts = new Map<string, Map<number, string>>();

  add(part: { name: string; version: string; index: number; data: string }): void {
    const key = `${part.name}#${part.version}`;
    let parts = this.#parts.get(key);
    if (parts === undefined) {
      parts = new Map();
      this.#parts.set(key, parts);
    }
    parts.set(part.index, part.data);
  }

  /** The artifact, or an error naming what is missing or wrong; the name's parts are dropped either way. */
  take(name: string, version: string, manifest: { count: number; sha256: string }): unknown {
    const key = `${name}#${version}`;
    const parts = this.#parts.get(key);
    for (const k of [...this.#parts.keys()]) if (k.startsWith(`${name}#`)) this.#parts.delete(k);
    const chunks: string[] = [];
    for (let i = 0; i < manifest.count; i++) {
      const data = parts?.get(i);
      if (data === undefined)
        throw new Error(`part ${i} of ${manifest.count} of ${name} ${version} is missing`);
      chunks.push(data);
    }
    const gz = Buffer.from(chunks.join(''), 'base64');
    if (createHash('sha256').update(gz).digest('hex') !== manifest.sha256)
      throw new Error(`the parts of ${name} ${version} do not match their SHA-256`);
    return JSON.parse(gunzipSync(gz).toString('utf8'));
  }
}
