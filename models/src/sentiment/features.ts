import type { MinedText } from './text.js';

// What the sentiment model reads from a mined post: TF-IDF over word 1–2-grams and character
// 2–5-grams within words (each block L2-normalised, as scikit-learn's TfidfVectorizer does), and a
// few dense features (VADER's scores, negations, intensifiers, emphasis), standardised.

export const DENSE_FEATURES = [
  'vader_compound',
  'vader_negative',
  'vader_positive',
  'vader_pos',
  'vader_neg',
  'vader_neu',
  'negations',
  'intensifiers',
  'dampeners',
  'exclamations',
  'questions',
  'caps_words',
  'emoji',
  'urls',
  'mentions',
  'hashtags',
  'tokens_log',
] as const;

export function denseRow(m: MinedText): number[] {
  return [
    m.vader.compound,
    // VADER's own three-class reading (±0.05), which a linear weight on the compound cannot draw.
    m.vader.compound <= -0.05 ? 1 : 0,
    m.vader.compound >= 0.05 ? 1 : 0,
    m.vader.pos,
    m.vader.neg,
    m.vader.neu,
    m.negations,
    m.intensifiers,
    m.dampeners,
    Math.min(m.exclamations, 5),
    Math.min(m.questions, 5),
    m.capsWords,
    m.emoji.length,
    m.urls.length,
    m.mentions.length,
    m.hashtags.length,
    Math.log1p(m.tokens.length),
  ];
}

/** The n-gram strings of a post: word 1–2-grams and, per distinct token, its padded character 2–5-grams. */
export function wordNgrams(tokens: readonly string[]): string[] {
  const out = [...tokens];
  for (let i = 1; i < tokens.length; i++) out.push(`${tokens[i - 1]} ${tokens[i]}`);
  return out;
}

export function charNgrams(token: string): string[] {
  const padded = ` ${token} `;
  const out: string[] = [];
  for (let n = 2; n <= 5; n++) for (let i = 0; i + n <= padded.length; i++) out.push(padded.slice(i, i + n));
  return out;
}

export interface Vocabulary {
  words: string[];
  chars: string[];
  /** Smoothed idf per feature, words first then chars: ln((1 + n) / (1 + df)) + 1. */
  idf: number[];
}

/** Keeps the n-grams seen in at least `minDf` posts, at most `maxFeatures` per block by document frequency. */
export function buildVocabulary(posts: readonly MinedText[], minDf: number, maxFeatures: number): Vocabulary {
  const wordDf = new Map<string, number>();
  const charDf = new Map<string, number>();
  for (const post of posts) {
    for (const w of new Set(wordNgrams(post.tokens))) wordDf.set(w, (wordDf.get(w) ?? 0) + 1);
    const chars = new Set<string>();
    for (const token of post.tokens) for (const c of charNgrams(token)) chars.add(c);
    for (const c of chars) charDf.set(c, (charDf.get(c) ?? 0) + 1);
  }
  const keep = (df: Map<string, number>) =>
    [...df]
      .filter(([, n]) => n >= minDf)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, maxFeatures);
  const words = keep(wordDf);
  const chars = keep(charDf);
  const n = posts.length;
  const idf = [...words, ...chars].map(
    ([, df]) => Math.round((Math.log((1 + n) / (1 + df)) + 1) * 1e4) / 1e4,
  );
  return { words: words.map(([w]) => w), chars: chars.map(([c]) => c), idf };
}

/** A sparse row: feature ids (into vocabulary + dense block) and their values. */
export interface SparseRow {
  ids: Int32Array;
  values: Float32Array;
}

const CACHE_LIMIT = 100_000;

/** What the vocabulary holds of one token: its unigram, its number as a bigram's half, its character n-grams (−1: none). */
interface TokenIds {
  unigram: number;
  half: number;
  chars: Int32Array;
}

/** A bigram's key from its halves' numbers. */
const bigramKey = (first: number, second: number) => first * 0x100000 + second;

/**
 * Turns mined posts into sparse rows for one vocabulary. What the vocabulary holds of each
 * distinct token is looked up once and cached (tokens repeat: most of a tweet's words were seen
 * before); a bigram is then found by its halves' numbers, without building its text.
 */
export class Featurizer {
  readonly width: number;
  readonly #words: Map<string, number>;
  readonly #chars: Map<string, number>;
  /** Each word that is half of a vocabulary bigram, numbered; the bigrams by `bigramKey`. */
  readonly #halves = new Map<string, number>();
  readonly #bigrams = new Map<number, number>();
  readonly #idf: Float32Array;
  readonly #tokenCache = new Map<string, TokenIds>();
  /** The row in hand's tokens, looked up once for both passes. */
  readonly #rowTokens: TokenIds[] = [];
  readonly #denseOffset: number;
  readonly #counts: Float32Array;
  readonly #touched: Int32Array;

  constructor(
    vocabulary: Vocabulary,
    readonly normalization: { mean: number[]; std: number[] },
    readonly lexiconFeatures: boolean,
  ) {
    this.#words = new Map(vocabulary.words.map((w, i) => [w, i]));
    const half = (word: string) => {
      const known = this.#halves.get(word);
      if (known !== undefined) return known;
      const n = this.#halves.size;
      this.#halves.set(word, n);
      return n;
    };
    for (const [i, w] of vocabulary.words.entries()) {
      const parts = w.split(' '); // tokens never hold a space: two parts are a bigram
      if (parts.length === 2) this.#bigrams.set(bigramKey(half(parts[0]!), half(parts[1]!)), i);
    }
    this.#chars = new Map(vocabulary.chars.map((c, i) => [c, vocabulary.words.length + i]));
    this.#idf = Float32Array.from(vocabulary.idf);
    this.#denseOffset = vocabulary.words.length + vocabulary.chars.length;
    this.width = this.#denseOffset + (lexiconFeatures ? DENSE_FEATURES.length : 0);
    this.#counts = new Float32Array(this.#denseOffset);
    this.#touched = new Int32Array(this.#denseOffset);
  }

  row(m: MinedText): SparseRow {
    // Counts in a vocabulary-wide scratch array, reset through the list of ids touched: a Map
    // costs more than the rest of the row together.
    const counts = this.#counts;
    const touched = this.#touched;
    let n = 0;
    const tokens = m.tokens;
    const known = this.#rowTokens;
    let previous = -1;
    for (let i = 0; i < tokens.length; i++) {
      const t = this.#token(tokens[i]!);
      known[i] = t;
      if (t.unigram >= 0) {
        if (counts[t.unigram] === 0) touched[n++] = t.unigram;
        counts[t.unigram]!++;
      }
      const bigram = previous < 0 || t.half < 0 ? undefined : this.#bigrams.get(bigramKey(previous, t.half));
      if (bigram !== undefined) {
        if (counts[bigram] === 0) touched[n++] = bigram;
        counts[bigram]!++;
      }
      previous = t.half;
    }
    const wordIds = n;
    for (let i = 0; i < tokens.length; i++) {
      const chars = known[i]!.chars;
      for (let c = 0; c < chars.length; c++) {
        const id = chars[c]!;
        if (counts[id] === 0) touched[n++] = id;
        counts[id]!++;
      }
    }
    const dense = this.lexiconFeatures ? denseRow(m) : [];
    const ids = new Int32Array(n + dense.length);
    const values = new Float32Array(n + dense.length);
    let wordNorm = 0;
    let charNorm = 0;
    for (let k = 0; k < n; k++) {
      const id = touched[k]!;
      const count = counts[id]!;
      const v = (count === 1 ? 1 : 1 + Math.log(count)) * this.#idf[id]!; // log 1 = 0
      counts[id] = 0;
      ids[k] = id;
      values[k] = v;
      if (k < wordIds) wordNorm += v * v;
      else charNorm += v * v;
    }
    wordNorm = Math.sqrt(wordNorm) || 1;
    charNorm = Math.sqrt(charNorm) || 1;
    for (let k = 0; k < n; k++) values[k]! /= k < wordIds ? wordNorm : charNorm;
    const { mean, std } = this.normalization;
    for (let j = 0; j < dense.length; j++) {
      ids[n + j] = this.#denseOffset + j;
      values[n + j] = (dense[j]! - mean[j]!) / std[j]!;
    }
    return { ids, values };
  }

  #token(token: string): TokenIds {
    let ids = this.#tokenCache.get(token);
    if (ids === undefined) {
      const found: number[] = [];
      for (const c of charNgrams(token)) {
        const id = this.#chars.get(c);
        if (id !== undefined) found.push(id);
      }
      ids = {
        unigram: this.#words.get(token) ?? -1,
        half: this.#halves.get(token) ?? -1,
        chars: Int32Array.from(found),
      };
      if (this.#tokenCache.size >= CACHE_LIMIT) this.#tokenCache.clear();
      this.#tokenCache.set(token, ids);
    }
    return ids;
  }
}
