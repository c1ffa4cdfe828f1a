import { type Static, type TSchema, Type } from '@sinclair/typebox';

export const ENVELOPE_VERSION = 1;

export const SourceSchema = Type.Object(
  {
    kind: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }),
    id: Type.String({ minLength: 1, maxLength: 128 }),
    region: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' })),
  },
  { additionalProperties: false },
);

/** Event type names are dotted lower-case words: `device.location`, `geo.enter`. */
export const EVENT_TYPE_PATTERN = '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)+$';

export const EnvelopeSchema = Type.Object(
  {
    v: Type.Literal(ENVELOPE_VERSION),
    id: Type.String({ minLength: 1, maxLength: 64 }),
    type: Type.String({ pattern: EVENT_TYPE_PATTERN, maxLength: 64 }),
    key: Type.String({ minLength: 1, maxLength: 256 }),
    ts: Type.Integer({ minimum: 0 }),
    expiresAt: Type.Optional(Type.Integer({ minimum: 0 })),
    source: SourceSchema,
    data: Type.Unknown(),
  },
  { additionalProperties: false },
);

export type EnvelopeSource = Static<typeof SourceSchema>;

/** The JSON envelope every record on every topic carries (DESIGN.md, "The event envelope"). */
export interface Envelope<T = unknown> {
  v: typeof ENVELOPE_VERSION;
  /** UUIDv7; the idempotency key. */
  id: string;
  type: string;
  /** The partitioning key (deviceId for device streams). */
  key: string;
  /** Event time, epoch ms. */
  ts: number;
  /** Epoch ms after which the event is worthless and must not be processed. */
  expiresAt?: number;
  source: EnvelopeSource;
  data: T;
}

/** A registered event type: its name and the schema of its `data`. */
export interface EventType<S extends TSchema = TSchema> {
  readonly type: string;
  readonly schema: S;
  /**
   * Turns data written by an older version of this type into today's shape before it is
   * validated on decode (records on compacted topics outlive the code that wrote them).
   */
  readonly upcast?: (data: unknown) => unknown;
}

export function defineEvent<S extends TSchema>(
  type: string,
  schema: S,
  options: { upcast?: (data: unknown) => unknown } = {},
): EventType<S> {
  return Object.freeze({ type, schema, ...options });
}
