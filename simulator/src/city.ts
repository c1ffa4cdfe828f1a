import { readFileSync } from 'node:fs';
import { CATEGORIES, seededRandom } from '@hexcast/models';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The product categories, named (the behaviour model's indices 0–7). */
export const CATEGORY_NAMES = [
  'coffee',
  'fashion',
  'books',
  'beauty',
  'sports',
  'food',
  'tech',
  'kids',
] as const;
if (CATEGORY_NAMES.length !== CATEGORIES) throw new Error('category names out of step with the model');

const Lng = Type.Number({ minimum: -180, maximum: 180 });
const Lat = Type.Number({ minimum: -90, maximum: 90 });

export const PoiSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 120 }),
    category: Type.Union(CATEGORY_NAMES.map((c) => Type.Literal(c))),
    lng: Lng,
    lat: Lat,
    radiusM: Type.Number({ minimum: 10, maximum: 2000 }),
  },
  { additionalProperties: false },
);

/**
 * A city for the simulator: a time zone, anchors (real places: districts, squares, stations)
 * and either explicit points of interest or how many to generate around the anchors.
 */
export const CityFileSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }),
    label: Type.String({ minLength: 1, maxLength: 80 }),
    timezone: Type.String({ minLength: 1 }),
    center: Type.Tuple([Lng, Lat]),
    anchors: Type.Array(Type.Object({ name: Type.String(), lng: Lng, lat: Lat }), { minItems: 1 }),
    /** Explicit points of interest (each becomes a campaign fence)… */
    poiList: Type.Optional(Type.Array(PoiSchema, { maxItems: 10_000 })),
    /** …or how many to generate around the anchors (Gaussian scatter of `spreadM`). */
    pois: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    spreadM: Type.Optional(Type.Number({ minimum: 10, maximum: 20_000 })),
  },
  { additionalProperties: false },
);

export type Poi = Static<typeof PoiSchema>;
export type CityFile = Static<typeof CityFileSchema>;

export interface City {
  name: string;
  label: string;
  timezone: string;
  center: [number, number];
  anchors: Array<{ name: string; lng: number; lat: number }>;
  pois: Poi[];
}

export const CITY_PRESETS = ['paris', 'new-york'] as const;

/** A preset name or a path to a city JSON file (`CityFileSchema`). */
export function loadCity(nameOrFile: string, seed = 1): City {
  const file = (CITY_PRESETS as readonly string[]).includes(nameOrFile)
    ? new URL(`./cities/${nameOrFile}.json`, import.meta.url)
    : nameOrFile;
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Value.Check(CityFileSchema, raw)) {
    const first = [...Value.Errors(CityFileSchema, raw)][0];
    throw new Error(`invalid city file ${String(file)}: ${first?.path ?? ''} ${first?.message ?? ''}`);
  }
  return {
    name: raw.name,
    label: raw.label,
    timezone: raw.timezone,
    center: raw.center,
    anchors: raw.anchors,
    pois: raw.poiList ?? generatePois(raw, raw.pois ?? 200, seed),
  };
}

const SHOP_NAMES: Record<(typeof CATEGORY_NAMES)[number], string[]> = {
  coffee: ['Café', 'Espresso Bar', 'Coffee Roasters', 'Tea Room'],
  fashion: ['Boutique', 'Shoe Store', 'Denim Shop', 'Concept Store'],
  books: ['Bookshop', 'Comics', 'Stationery', 'Record Store'],
  beauty: ['Pharmacy', 'Perfumery', 'Cosmetics', 'Barber'],
  sports: ['Sports Store', 'Bike Shop', 'Running Store', 'Climbing Gym'],
  food: ['Bakery', 'Deli', 'Burger Bar', 'Sushi Bar', 'Grocery'],
  tech: ['Phone Store', 'Electronics', 'Game Store', 'Repair Shop'],
  kids: ['Toy Store', 'Kids Fashion', 'Ice Cream', 'Candy Shop'],
};

function generatePois(city: CityFile, count: number, seed: number): Poi[] {
  const random = seededRandom(seed * 7919 + 17);
  const spread = city.spreadM ?? 400;
  const pois: Poi[] = [];
  for (let i = 0; i < count; i++) {
    const anchor = city.anchors[i % city.anchors.length]!;
    const category = CATEGORY_NAMES[Math.floor(random() * CATEGORY_NAMES.length)]!;
    const names = SHOP_NAMES[category];
    const [dx, dy] = [gauss(random) * spread, gauss(random) * spread];
    pois.push({
      name: `${names[Math.floor(random() * names.length)]} ${anchor.name} #${i + 1}`,
      category,
      lat: anchor.lat + dy / 111_320,
      lng: anchor.lng + dx / (111_320 * Math.cos((anchor.lat * Math.PI) / 180)),
      radiusM: Math.round(40 + random() * 80),
    });
  }
  return pois;
}

function gauss(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Metres → a point `dx` east and `dy` north of (lat, lng). */
export function offsetM(lat: number, lng: number, dx: number, dy: number): { lat: number; lng: number } {
  return { lat: lat + dy / 111_320, lng: lng + dx / (111_320 * Math.cos((lat * Math.PI) / 180)) };
}

export function distanceM(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = Math.PI / 180;
  const s =
    Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lng - a.lng) * rad) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(s));
}
