import type { Static, TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { HexcastError } from '../errors/index.js';
import {
  ENVELOPE_VERSION,
  type Envelope,
  EnvelopeSchema,
  type EnvelopeSource,
  type EventType,
} from './envelope.js';
import { newEnvelopeId } from './ids.js';
import { type Clock, systemClock } from './ttl.js';

export interface CreateEnvelopeInput<T> {
  type: string;
  key: string;
  data: T;
  source: EnvelopeSource;
  /** Event time; defaults to the clock's now. */
  ts?: number;
  /** Absolute deadline (ms); wins over ttlMs. */
  expiresAt?: number;
  ttlMs?: number;
  id?: string;
}

export interface EventRegistryOptions {
  /** Largest encoded envelope accepted by decode/encode, bytes. */
  maxBytes?: number;
  clock?: Clock;
}

const envelopeCheck = TypeCompiler.Compile(EnvelopeSchema);
const DEFAULT_MAX_BYTES = 256 * 1024;

/**
 * Event types and their data schemas. Encode and decode validate both the envelope and its
 * data; anything invalid comes back as a coded HexcastError, never an untyped throw.
 */
export class EventRegistry {
  readonly maxBytes: number;
  readonly #clock: Clock;
  readonly #types = new Map<string, { event: EventType; check: TypeCheck<TSchema> }>();

  constructor(options: EventRegistryOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#clock = options.clock ?? systemClock;
  }

  register<S extends TSchema>(event: EventType<S>): EventType<S> {
    const existing = this.#types.get(event.type);
    if (existing !== undefined && existing.event !== event) {
      throw new HexcastError('HX_ENVELOPE_TYPE_CONFLICT', `event type ${event.type} is already registered`);
    }
    this.#types.set(event.type, { event, check: TypeCompiler.Compile(event.schema) });
    return event;
  }

  has(type: string): boolean {
    return this.#types.has(type);
  }

  types(): string[] {
    return [...this.#types.keys()].sort();
  }

  /** Builds a new envelope with a fresh UUIDv7 id; validates it. */
  create<S extends TSchema>(
    event: EventType<S>,
    input: Omit<CreateEnvelopeInput<Static<S>>, 'type'>,
  ): Envelope<Static<S>>;
  create(event: string, input: Omit<CreateEnvelopeInput<unknown>, 'type'>): Envelope;
  create(event: string | EventType, input: Omit<CreateEnvelopeInput<unknown>, 'type'>): Envelope {
    const type = typeof event === 'string' ? event : event.type;
    const ts = input.ts ?? this.#clock();
    const envelope: Envelope = {
      v: ENVELOPE_VERSION,
      id: input.id ?? newEnvelopeId(),
      type,
      key: input.key,
      ts,
      source: input.source,
      data: input.data,
    };
    const expiresAt = input.expiresAt ?? (input.ttlMs === undefined ? undefined : ts + input.ttlMs);
    if (expiresAt !== undefined) envelope.expiresAt = expiresAt;
    this.validate(envelope);
    return envelope;
  }

  encode(envelope: Envelope): Buffer {
    return Buffer.from(this.encodeText(envelope), 'utf8');
  }

  /** The envelope as JSON text, validated and within the size limit (the producer writes it into its batch). */
  encodeText(envelope: Envelope): string {
    this.validate(envelope);
    const text = JSON.stringify(envelope);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: count exactly only when it could matter.
    const bytes = text.length * 3 <= this.maxBytes ? text.length : Buffer.byteLength(text);
    if (bytes > this.maxBytes) {
      throw new HexcastError('HX_ENVELOPE_TOO_LARGE', `envelope is ${bytes} bytes, limit ${this.maxBytes}`, {
        details: { bytes, limit: this.maxBytes },
      });
    }
    return text;
  }

  decode(raw: Buffer | Uint8Array | string | null | undefined): Envelope {
    if (raw === null || raw === undefined) {
      throw new HexcastError('HX_ENVELOPE_MALFORMED', 'record has no value');
    }
    const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
    if (size > this.maxBytes) {
      throw new HexcastError('HX_ENVELOPE_TOO_LARGE', `envelope is ${size} bytes, limit ${this.maxBytes}`, {
        details: { bytes: size, limit: this.maxBytes },
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof raw === 'string' ? raw : utf8(raw));
    } catch (cause) {
      throw new HexcastError('HX_ENVELOPE_MALFORMED', 'record value is not JSON', { cause });
    }
    const upcast =
      typeof parsed === 'object' && parsed !== null
        ? this.#types.get((parsed as { type?: unknown }).type as string)?.event.upcast
        : undefined;
    if (upcast !== undefined) {
      const envelope = parsed as { data?: unknown };
      envelope.data = upcast(envelope.data);
    }
    this.validate(parsed);
    return parsed;
  }

  /** Asserts that a value is a valid envelope of a registered type. */
  validate(value: unknown): asserts value is Envelope {
    if (!envelopeCheck.Check(value)) {
      const error = envelopeCheck.Errors(value).First();
      throw new HexcastError('HX_ENVELOPE_INVALID', `envelope ${error?.path || '/'}: ${error?.message}`, {
        details: { path: error?.path ?? '' },
      });
    }
    const entry = this.#types.get(value.type);
    if (entry === undefined) {
      throw new HexcastError('HX_ENVELOPE_UNKNOWN_TYPE', `unknown event type ${value.type}`, {
        details: { type: value.type },
      });
    }
    if (!entry.check.Check(value.data)) {
      const error = entry.check.Errors(value.data).First();
      throw new HexcastError(
        'HX_ENVELOPE_DATA_INVALID',
        `${value.type} data${error?.path ?? ''}: ${error?.message}`,
        {
          details: { type: value.type, path: error?.path ?? '' },
        },
      );
    }
  }
}

/** A record value's text, read in place: `Buffer.from(buffer)` would copy it first. */
function utf8(raw: Buffer | Uint8Array): string {
  return (Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)).toString(
    'utf8',
  );
}
