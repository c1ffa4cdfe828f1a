import { cellToBoundary, cellToLatLng, getPentagons, isPentagon, latLngToCell } from 'h3-js';
import { cellString, cellTail } from './h3-cells.js';

/**
 * `latLngToCell` in plain JavaScript, answering exactly what h3-js answers, ~6× faster: the WASM
 * call, its heap copies and the hex-string round trip cost more than the geometry itself.
 *
 * H3 finds a point's cell in three steps: (1) the icosahedron face whose centre is nearest, and
 * the point's gnomonic projection on that face, in hex units of the resolution (class III
 * resolutions turned by the aperture-7 angle); (2) the hexagon holding that point on the face's
 * lattice, then its ancestors by aperture-7 steps, each step giving one digit; (3) the base cell
 * and the 60° turns for the face's resolution-0 coordinate, from a table.
 *
 * Steps (1) and (2) are geometry and lattice arithmetic, done here. The geometry — the 20 face
 * centres and each face's axis — is derived at load time from h3-js itself (face centres from the
 * 12 pentagon centres, the icosahedron's vertices; an axis from the resolution-0 hexagon at a face
 * centre). The table of step (3) is not copied either: it is learned from h3-js, one entry the
 * first time a point lands on each (face, resolution-0 coordinate) — at most 540, about a dozen
 * for a metro area. Pentagon base cells (whose digits follow extra rules) always go to h3-js.
 *
 * Exactness: this frame agrees with H3's to ~1e-15, not bit for bit, so a point closer than
 * 1e-6 hex units to a hexagon edge, or nearly equidistant from two face centres, is handed to
 * h3-js (a few in a million points). `test/core/geo/lat-lng-cell.test.ts` compares every
 * resolution with h3-js over random points worldwide and points on cell edges and vertices.
 */

const SQRT3_2 = Math.sqrt(3) / 2;
/** Gnomonic scale of resolution 0 (H3's RES0_U_GNOMONIC): 1/φ² = (3 − √5)/2. */
const RES0_U = (3 - Math.sqrt(5)) / 2;
/** The turn between class II and class III lattices: atan(√3/5) ≈ 19.1°. */
const AP7_ROT = Math.atan(Math.sqrt(3) / 5);
/** Closer than this (hex units) to an edge, the point goes to h3-js. */
const EDGE_EPS = 1e-6;
const FACE_EPS = 1e-12;
const D2R = Math.PI / 180;

type Vec3 = [number, number, number];

function unit(latDeg: number, lngDeg: number): Vec3 {
  const lat = latDeg * D2R;
  const lng = lngDeg * D2R;
  return [Math.cos(lat) * Math.cos(lng), Math.cos(lat) * Math.sin(lng), Math.sin(lat)];
}

function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/**
 * Per face: the centre c, and per resolution class the two tangent axes X, Y such that a point p
 * on the face has hex coordinates (p·X, p·Y) / (p·c), times √7^res / RES0_U.
 * Layout per face (stride 15): c(3), X_II(3), Y_II(3), X_III(3), Y_III(3).
 */
const FACES = 20;
const STRIDE = 15;
const frame = new Float64Array(FACES * STRIDE);

function buildFrames(): void {
  const vertices = getPentagons(0).map((cell) => {
    const [lat, lng] = cellToLatLng(cell);
    return unit(lat, lng);
  });
  // Neighbouring vertices of an icosahedron are 63.4° apart (cos = 1/√5); the other pairs are farther.
  const near = (a: number, b: number) => dot(vertices[a]!, vertices[b]!) > 0.4;
  let f = 0;
  for (let a = 0; a < 12; a++)
    for (let b = a + 1; b < 12; b++)
      for (let c = b + 1; c < 12; c++) {
        if (!(near(a, b) && near(b, c) && near(a, c))) continue;
        const [va, vb, vc] = [vertices[a]!, vertices[b]!, vertices[c]!];
        const centre = normalize([va[0] + vb[0] + vc[0], va[1] + vb[1] + vc[1], va[2] + vb[2] + vc[2]]);
        setFace(f++, centre);
      }
  if (f !== FACES) throw new Error(`h3 geometry: expected 20 icosahedron faces, found ${f}`);
}

function setFace(f: number, c: Vec3): void {
  // East and north at the centre.
  const east = normalize([-c[1], c[0], 0]);
  const north: Vec3 = [
    c[1] * east[2] - c[2] * east[1],
    c[2] * east[0] - c[0] * east[2],
    c[0] * east[1] - c[1] * east[0],
  ];
  // The resolution-0 hexagon centred here has its vertices at 30° + k·60° from the i axis, and a
  // gnomonic projection keeps angles at the centre: the axis is a vertex direction less 30°
  // (modulo 60°, which relabels the lattice by a rotation the learned table absorbs).
  const lat = Math.asin(c[2]) / D2R;
  const lng = Math.atan2(c[1], c[0]) / D2R;
  const [vLat, vLng] = cellToBoundary(latLngToCell(lat, lng, 0))[0]!;
  const v = unit(vLat, vLng);
  const along = dot(v, c);
  const q: Vec3 = [v[0] / along - c[0], v[1] / along - c[1], v[2] / along - c[2]];
  const axis = Math.atan2(dot(q, north), dot(q, east)) - Math.PI / 6;
  const at = f * STRIDE;
  frame.set(c, at);
  for (const [offset, angle] of [
    [3, axis],
    [9, axis + AP7_ROT],
  ] as const) {
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    for (let d = 0; d < 3; d++) {
      frame[at + offset + d] = (cos * east[d]! + sin * north[d]!) / RES0_U;
      frame[at + offset + 3 + d] = (-sin * east[d]! + cos * north[d]!) / RES0_U;
    }
  }
}

buildFrames();

const SCALE = Array.from({ length: 16 }, (_, r) => Math.sqrt(7) ** r);
const DIGIT_WEIGHT = Array.from({ length: 16 }, (_, r) => 2 ** (3 * (15 - r)));
/** Digits r+1..15 all 7: what a resolution-r cell carries below its last digit. */
const UNUSED_TAIL = Array.from({ length: 16 }, (_, r) => DIGIT_WEIGHT[r]! - 1);
/** H3 digit of a unit step (axial i−k, j−k), indexed by (di+1)*3 + (dj+1). */
const UNIT_DIGIT = [1, 3, -1, 5, 0, 2, -1, 4, 6];
/** A digit turned 60° counter-clockwise. */
const CCW = [0, 5, 3, 1, 6, 4, 2];
/** TURNED[n * 7 + d]: digit d turned n × 60° counter-clockwise (n = 0..5). */
const TURNED = Array.from({ length: 42 }, (_, i) => {
  let d = i % 7;
  for (let t = 0; t < Math.floor(i / 7); t++) d = CCW[d]!;
  return d;
});

/**
 * The learned step (3): per face and normalised resolution-0 coordinate, the base cell and its
 * counter-clockwise turns. -1 unknown; -2 a pentagon base cell (always h3-js).
 */
const baseCell = new Int16Array(FACES * 27).fill(-1);
const turns = new Int8Array(FACES * 27);

const digits = new Int8Array(16);

/**
 * The 52-bit tail (base cell and digits, see `h3-cells.ts`) of the cell holding (lat, lng) at
 * resolution `res` — identical to `cellTail(latLngToCell(lat, lng, res))`.
 */
export function latLngToCellTail(lat: number, lng: number, res: number): number {
  const la = lat * D2R;
  const lo = lng * D2R;
  const cosLat = Math.cos(la);
  const px = cosLat * Math.cos(lo);
  const py = cosLat * Math.sin(lo);
  const pz = Math.sin(la);

  // (1) nearest face centre, projected coordinates.
  let face = 0;
  let best = -2;
  let second = -2;
  for (let f = 0; f < FACES; f++) {
    const at = f * STRIDE;
    const d = px * frame[at]! + py * frame[at + 1]! + pz * frame[at + 2]!;
    if (d > best) {
      second = best;
      best = d;
      face = f;
    } else if (d > second) second = d;
  }
  if (best - second < FACE_EPS || !(res >= 0 && res <= 15)) return slow(lat, lng, res);
  const at = face * STRIDE + (res & 1 ? 9 : 3);
  const scale = SCALE[res]! / best;
  const x = (px * frame[at]! + py * frame[at + 1]! + pz * frame[at + 2]!) * scale;
  const y = (px * frame[at + 3]! + py * frame[at + 4]! + pz * frame[at + 5]!) * scale;

  // (2) the hexagon: nearest point of the lattice i·(1, 0) + j·(−½, √3/2), by cube rounding.
  const fj = y / SQRT3_2;
  const fi = x + fj / 2;
  const q = fi - fj;
  const s = -fi;
  let rq = Math.round(q);
  let rr = Math.round(fj);
  const rs = Math.round(s);
  const eq = Math.abs(rq - q);
  const er = Math.abs(rr - fj);
  const es = Math.abs(rs - s);
  if (eq > er && eq > es) rq = -rr - rs;
  else if (er > es) rr = -rq - rs;
  let i = rq + rr;
  let j = rr;
  const dx = x - (i - j / 2);
  const dy = y - j * SQRT3_2;
  const edge = Math.max(Math.abs(dx), Math.abs(dx / 2 + dy * SQRT3_2), Math.abs(-dx / 2 + dy * SQRT3_2));
  if (edge > 0.5 - EDGE_EPS) return slow(lat, lng, res);

  // Ancestors: each aperture-7 step up gives the digit of the step.
  for (let r = res; r > 0; r--) {
    let pi: number;
    let pj: number;
    let ci: number;
    let cj: number;
    if (r & 1) {
      pi = round7(3 * i - j);
      pj = round7(i + 2 * j);
      ci = 2 * pi + pj;
      cj = 3 * pj - pi;
    } else {
      pi = round7(2 * i + j);
      pj = round7(3 * j - i);
      ci = 3 * pi - pj;
      cj = pi + 2 * pj;
    }
    digits[r] = UNIT_DIGIT[(i - ci + 1) * 3 + (j - cj + 1)]!;
    i = pi;
    j = pj;
  }
  // Normalised resolution-0 coordinate (i, j, k ≥ 0, one of them 0).
  let k = 0;
  const min = Math.min(i, j, 0);
  i -= min;
  j -= min;
  k -= min;
  if (i > 2 || j > 2 || k > 2) return slow(lat, lng, res);

  // (3) base cell and turns, learned from h3-js the first time.
  const entry = face * 27 + i * 9 + j * 3 + k;
  const bc = baseCell[entry]!;
  if (bc < 0) return bc === -1 ? learn(entry, lat, lng, res) : slow(lat, lng, res);
  let tail = bc * DIGIT_WEIGHT[0]! + UNUSED_TAIL[res]!;
  const turn = turns[entry]! * 7;
  for (let r = 1; r <= res; r++) tail += TURNED[turn + digits[r]!]! * DIGIT_WEIGHT[r]!;
  return tail;
}

const ROUND7_BIAS = 2 ** 26;

/**
 * `Math.round(n / 7)` for an integer n with |n| < 2^26 (the loop's combinations of lattice
 * coordinates stay below 1.8·10^7 at resolution 15), in int32 arithmetic: n/7 is never halfway,
 * so it is ⌊(n + 3) / 7⌋, and the bias makes the dividend positive so that truncation is that
 * floor. V8 turns an int32 division by a constant into a multiply: the ancestor loop took 40% of a
 * lookup's cell with two float divisions and `Math.round`s per step (315 → 190 ns a cell at
 * resolution 9, measured).
 */
function round7(n: number): number {
  return (((n + 3 + 7 * ROUND7_BIAS) / 7) | 0) - ROUND7_BIAS;
}

/** The cell string, as h3-js's `latLngToCell` returns it. */
export function latLngToCellFast(lat: number, lng: number, res: number): string {
  return cellString(res, latLngToCellTail(lat, lng, res));
}

function slow(lat: number, lng: number, res: number): number {
  return cellTail(latLngToCell(lat, lng, res));
}

/** Asks h3-js, and learns the entry when the point's digits pin the turns down. */
function learn(entry: number, lat: number, lng: number, res: number): number {
  const cell = latLngToCell(lat, lng, res);
  const tail = cellTail(cell);
  const bc = Math.floor(tail / DIGIT_WEIGHT[0]!);
  if (isPentagon(cellString(0, bc * DIGIT_WEIGHT[0]! + UNUSED_TAIL[0]!))) {
    baseCell[entry] = -2;
    return tail;
  }
  let found = -1;
  for (let n = 0; n < 6; n++) {
    let same = true;
    for (let r = 1; r <= res && same; r++) {
      same = TURNED[n * 7 + digits[r]!] === Math.floor(tail / DIGIT_WEIGHT[r]!) % 8;
    }
    if (same) {
      if (found >= 0) return tail; // the digits are all centre: any turn fits, learn from another point
      found = n;
    }
  }
  if (found >= 0) {
    baseCell[entry] = bc;
    turns[entry] = found;
  }
  return tail;
}
