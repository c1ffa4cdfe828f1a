import type { TextWords } from '@hexcast/models';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { HexcastError } from '../errors/index.js';

export const BrandSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    /** Names and nicknames, any case; several words allowed ("virgin america"). */
    aliases: Type.Optional(Type.Array(Type.String({ minLength: 2, maxLength: 100 }))),
    /** Social handles without the @. */
    handles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }))),
    misspellings: Type.Optional(Type.Array(Type.String({ minLength: 2, maxLength: 100 }))),
    products: Type.Optional(Type.Array(Type.String({ minLength: 2, maxLength: 100 }))),
  },
  { additionalProperties: false },
);
export type Brand = Static<typeof BrandSchema>;

/** The demo's brands: the six US airlines of `shared/data/sentiment/airline/`. */
export const DEMO_BRANDS: readonly Brand[] = [
  {
    id: 'united',
    name: 'United',
    handles: ['united'],
    aliases: ['united airlines'],
    misspellings: ['unitd'],
  },
  {
    id: 'delta',
    name: 'Delta',
    handles: ['delta', 'deltaassist'],
    aliases: ['delta air lines', 'delta airlines'],
  },
  {
    id: 'southwest',
    name: 'Southwest',
    handles: ['southwestair'],
    aliases: ['southwest', 'southwest airlines'],
  },
  { id: 'american', name: 'American', handles: ['americanair'], aliases: ['american airlines'] },
  { id: 'us-airways', name: 'US Airways', handles: ['usairways'], aliases: ['us airways', 'usairways'] },
  { id: 'virgin-america', name: 'Virgin America', handles: ['virginamerica'], aliases: ['virgin america'] },
];

/** The configured brands (`HX_SENTIMENT_BRANDS`, JSON), else the demo's. */
export function parseBrands(json: string | undefined): Brand[] {
  if (json === undefined) return [...DEMO_BRANDS];
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (cause) {
    throw new HexcastError(
      'HX_CONFIG_INVALID',
      `HX_SENTIMENT_BRANDS is not JSON: ${(cause as Error).message}`,
    );
  }
  const schema = Type.Array(BrandSchema, { minItems: 1 });
  if (!Value.Check(schema, value)) {
    const first = [...Value.Errors(schema, value)][0];
    throw new HexcastError(
      'HX_CONFIG_INVALID',
      `HX_SENTIMENT_BRANDS: ${first?.path ?? ''} ${first?.message ?? 'invalid'}`,
    );
  }
  return value;
}

/**
 * Finds the brands a post talks about: @handles, #tags and words matching a handle, alias or
 * product (one word or several), or a listed misspelling.
 */
export class BrandMatcher {
  readonly brands: readonly Brand[];
  readonly #single = new Map<string, string>();
  readonly #phrases: Array<[string, string]> = [];
  readonly #handles = new Map<string, string>();

  constructor(brands: readonly Brand[]) {
    this.brands = brands;
    for (const b of brands) {
      for (const h of b.handles ?? []) this.#handles.set(h.toLowerCase(), b.id);
      for (const word of [b.name, ...(b.aliases ?? []), ...(b.misspellings ?? []), ...(b.products ?? [])]) {
        const lower = word.toLowerCase().trim();
        if (lower.includes(' ')) this.#phrases.push([lower, b.id]);
        else this.#single.set(lower, b.id);
      }
    }
  }

  has(brandId: string): boolean {
    return this.brands.some((b) => b.id === brandId);
  }

  /** Brand ids in the order the post names them, each once. */
  match(text: string, mined: TextWords): string[] {
    const found: string[] = [];
    const add = (id: string | undefined) => {
      if (id !== undefined && !found.includes(id)) found.push(id);
    };
    for (const m of mined.mentions) add(this.#handles.get(m));
    for (const tag of mined.hashtags) add(this.#handles.get(tag) ?? this.#single.get(tag));
    for (const token of mined.tokens) add(this.#single.get(token));
    if (this.#phrases.length > 0) {
      const lower = text.toLowerCase();
      for (const [phrase, id] of this.#phrases) if (lower.includes(phrase)) add(id);
    }
    return found;
  }
}
