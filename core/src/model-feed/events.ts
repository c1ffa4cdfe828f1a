import { Type } from '@sinclair/typebox';
import { defineEvent, type EventType } from '../envelope/index.js';

/**
 * A model version (`hx.models`, compacted, key = the slot's name: `propensity`, `fraud`,
 * `fraud.candidate`): the artifact travels inline and is checked by the slot that loads it.
 */
export const ModelPublished = defineEvent(
  'model.published',
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 64 }),
      version: Type.String({ minLength: 1, maxLength: 128 }),
      /**
       * An artifact of `@hexcast/models` (`PropensityArtifact`, `TabularArtifact`…), inline; absent
       * when it travels in `parts`.
       */
      artifact: Type.Optional(Type.Unknown()),
      /**
       * An artifact too large for one envelope: its JSON, gzipped, in `count` `model.part` records
       * published just before this one, with the SHA-256 (hex) of the gzipped bytes.
       */
      parts: Type.Optional(
        Type.Object(
          {
            count: Type.Integer({ minimum: 1, maximum: 1000 }),
            sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
);

/**
 * One part of a large artifact (`hx.models`, key = `<name>#<version>#<index>`, so compaction keeps
 * every part): base64 of a slice of the gzipped artifact JSON.
 */
export const ModelPart = defineEvent(
  'model.part',
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 64 }),
      version: Type.String({ minLength: 1, maxLength: 128 }),
      index: Type.Integer({ minimum: 0, maximum: 999 }),
      data: Type.String(),
    },
    { additionalProperties: false },
  ),
);

/**
 * A slot emptied (`hx.models`, key = the slot's name): workers go back to the slot's fallback.
 * Rolling back a shadow candidate publishes this under `fraud.candidate`.
 */
export const ModelWithdrawn = defineEvent(
  'model.withdrawn',
  Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
);

export const MODEL_EVENTS: readonly EventType[] = [ModelPublished, ModelPart, ModelWithdrawn];
