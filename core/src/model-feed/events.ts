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
      /** An artifact of `@hexcast/models` (`PropensityArtifact`, `TabularArtifact`). */
      artifact: Type.Unknown(),
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

export const MODEL_EVENTS: readonly EventType[] = [ModelPublished, ModelWithdrawn];
