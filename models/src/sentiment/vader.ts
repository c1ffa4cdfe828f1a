import { BOOSTERS, isNegation, vaderLexicon } from './lexicon.js';

// A VADER-style rule scorer (Hutto & Gilbert 2014): lexicon valences adjusted for negation, degree
// adverbs, ALL-CAPS emphasis, "but" and "least", summed with the text's ! and ? emphasis and
// normalised to a compound score in [−1, 1]. Written here, not taken from `vader-sentiment`: that
// port spends ~160 µs a text and misses upper-case negations ("NOT good" scores positive).

const CAPS_INCREMENT = 0.733;
const NEGATION_SCALAR = -0.74;
const PUNCTUATION = /^[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+|[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+$/g;

export interface VaderScores {
  /** Normalised sum of valences, −1 … 1. */
  compound: number;
  /** Shares of the text that are positive, negative, neutral (they sum to 1). */
  pos: number;
  neg: number;
  neu: number;
}

/** VADER's words: split on white space, surrounding punctuation stripped unless the token is an emoticon. */
export function vaderTokens(text: string): string[] {
  const lexicon = vaderLexicon();
  const out: string[] = [];
  for (const token of text.split(/\s+/)) {
    if (token === '') continue;
    const stripped =
      isPunctuation(token.charCodeAt(0)) || isPunctuation(token.charCodeAt(token.length - 1))
        ? token.replace(PUNCTUATION, '')
        : token; // nothing around it to strip (most words): no pattern run
    if (stripped.length <= 2 && lexicon.has(token.toLowerCase())) out.push(token);
    else if (stripped !== '') out.push(stripped);
  }
  return out;
}

/** An ASCII punctuation mark (what `PUNCTUATION` strips). */
function isPunctuation(c: number): boolean {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

/** A word in capitals (`lower`: the word lower-cased, which the caller has already). */
function isUpper(word: string, lower: string): boolean {
  return word !== lower && word === word.toUpperCase();
}

/** Scores VADER tokens (`vaderTokens`); `text` is read for its ! and ? only. */
export function vaderScores(words: readonly string[], text: string): VaderScores {
  const lexicon = vaderLexicon();
  const lower = words.map((w) => w.toLowerCase());
  let upper = 0;
  for (let i = 0; i < words.length; i++) if (isUpper(words[i]!, lower[i]!)) upper++;
  const capsDiff = upper > 0 && upper < words.length;
  const sentiments = new Array<number>(words.length).fill(0);
  for (let i = 0; i < words.length; i++) {
    const item = lower[i]!;
    if (BOOSTERS.has(item)) continue;
    if (item === 'kind' && lower[i + 1] === 'of') continue;
    const base = lexicon.get(item);
    if (base === undefined) continue;
    let valence = base;
    // "no" before another sentiment word negates it rather than carrying its own valence.
    if (item === 'no' && i + 1 < words.length && lexicon.has(lower[i + 1]!)) valence = 0;
    if (
      lower[i - 1] === 'no' ||
      lower[i - 2] === 'no' ||
      (lower[i - 3] === 'no' && (lower[i - 1] === 'or' || lower[i - 1] === 'nor'))
    )
      valence = base * NEGATION_SCALAR;
    if (capsDiff && isUpper(words[i]!, item)) valence += valence > 0 ? CAPS_INCREMENT : -CAPS_INCREMENT;
    for (let back = 1; back <= 3 && i - back >= 0; back++) {
      const before = lower[i - back]!;
      if (lexicon.has(before)) continue;
      let boost = BOOSTERS.get(before) ?? 0;
      if (boost !== 0) {
        if (valence < 0) boost = -boost;
        if (capsDiff && isUpper(words[i - back]!, before))
          boost += valence > 0 ? CAPS_INCREMENT : -CAPS_INCREMENT;
        boost *= back === 1 ? 1 : back === 2 ? 0.95 : 0.9;
      }
      valence += boost;
      valence = negationCheck(valence, lower, i, back);
    }
    // "least" negates unless it is "at least" / "very least".
    if (lower[i - 1] === 'least' && !lexicon.has('least')) {
      if (i === 1 || (lower[i - 2] !== 'at' && lower[i - 2] !== 'very')) valence *= NEGATION_SCALAR;
    }
    sentiments[i] = valence;
  }
  // "but" shifts weight to what follows it.
  const but = lower.indexOf('but');
  if (but >= 0)
    for (let i = 0; i < sentiments.length; i++) sentiments[i]! *= i < but ? 0.5 : i > but ? 1.5 : 1;
  return summarise(sentiments, text);
}

function negationCheck(valence: number, lower: readonly string[], i: number, back: number): number {
  const w1 = lower[i - 1];
  const w2 = lower[i - 2];
  if (back === 1) return isNegation(lower[i - 1]!) ? valence * NEGATION_SCALAR : valence;
  if (back === 2) {
    if (w2 === 'never' && (w1 === 'so' || w1 === 'this')) return valence * 1.25;
    if (w2 === 'without' && w1 === 'doubt') return valence;
    return isNegation(w2!) ? valence * NEGATION_SCALAR : valence;
  }
  const w3 = lower[i - 3]!;
  if (w3 === 'never' && (w2 === 'so' || w2 === 'this' || w1 === 'so' || w1 === 'this')) return valence * 1.25;
  if (w3 === 'without' && (w2 === 'doubt' || w1 === 'doubt')) return valence;
  return isNegation(w3) ? valence * NEGATION_SCALAR : valence;
}

/** How many `!` and `?` a text has. */
export function punctuationMarks(text: string): { bangs: number; questions: number } {
  let bangs = 0;
  let questions = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 33) bangs++;
    else if (c === 63) questions++;
  }
  return { bangs, questions };
}

function emphasis(text: string): number {
  const { bangs, questions } = punctuationMarks(text);
  const bang = Math.min(bangs, 4) * 0.292;
  const question = questions > 1 ? (questions <= 3 ? questions * 0.18 : 0.96) : 0;
  return bang + question;
}

function summarise(sentiments: readonly number[], text: string): VaderScores {
  if (sentiments.length === 0) return { compound: 0, pos: 0, neg: 0, neu: 0 };
  let sum = 0;
  let pos = 0;
  let neg = 0;
  let neu = 0;
  for (const s of sentiments) {
    sum += s;
    if (s > 0) pos += s + 1;
    else if (s < 0) neg += s - 1;
    else neu++;
  }
  const amplifier = emphasis(text);
  if (sum > 0) sum += amplifier;
  else if (sum < 0) sum -= amplifier;
  const compound = sum / Math.sqrt(sum * sum + 15);
  if (pos > -neg) pos += amplifier;
  else if (pos < -neg) neg -= amplifier;
  const total = pos - neg + neu;
  return {
    compound: Math.max(-1, Math.min(1, compound)),
    pos: Math.abs(pos / total),
    neg: Math.abs(neg / total),
    neu: Math.abs(neu / total),
  };
}
