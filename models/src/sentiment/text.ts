import emojiRegex from 'emoji-regex';
import { BOOSTERS, isNegation } from './lexicon.js';
import { punctuationMarks, type VaderScores, vaderScores, vaderTokens } from './vader.js';

// Text mining for one post: what it mentions (hashtags, @handles, $cashtags, links, emoji), its
// normalised tokens for the model and the summary's top terms, VADER's scores, and the negation,
// intensifier and emphasis counts the model reads as features.

export interface MinedText {
  /** Lower-case tags without the sign, in order, repeated as written. */
  hashtags: string[];
  mentions: string[];
  cashtags: string[];
  urls: string[];
  emoji: string[];
  /**
   * Normalised tokens: lower case, links → `<url>`, @handles → `@user`, numbers → `<num>`,
   * surrounding punctuation off; hashtags keep their `#`, emoji and emoticons stay.
   */
  tokens: string[];
  /** Content words for summaries: tokens without stop words, placeholders or one-letter words. */
  terms: string[];
  vader: VaderScores;
  negations: number;
  intensifiers: number;
  dampeners: number;
  exclamations: number;
  questions: number;
  /** Words written in capitals (two letters or more). */
  capsWords: number;
}

const URL = /https?:\/\/\S+|www\.\S+/gi;
const HASHTAG = /(?:^|[^\p{L}\p{N}_&])#([\p{L}\p{N}_]+)/gu;
const MENTION = /(?:^|[^\p{L}\p{N}_])@(\w{1,30})/gu;
const CASHTAG = /(?:^|\s)\$([A-Za-z]{1,6}(?:\.[A-Za-z]{1,2})?)(?![\w])/g;
const EMOJI = emojiRegex();
const HAS_EMOJI = new RegExp(EMOJI.source);
/** Every emoji has a code point in one of these ranges; most posts have none, and the full emoji pattern costs ~30 µs a post. */
const MAYBE_EMOJI = /[\u00a9\u00ae\u203c-\u3299\ud83c-\udbff]/;
const EDGE_PUNCTUATION = /^[^\p{L}\p{N}#@<]+|[^\p{L}\p{N}>]+$/gu;
const NUMBER = /^[+-]?\d[\d.,:]*(?:st|nd|rd|th|h|hr|hrs|m|min|mins|am|pm)?$/;

const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between ' +
    'both but by can could did do does doing down during each few for from further had has have having he her ' +
    'here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not ' +
    'now of off on once only or other our ours ourselves out over own same she should so some such than that the ' +
    'their theirs them themselves then there these they this those through to too under until up very was we ' +
    'were what when where which while who whom why will with would you your yours yourself yourselves im ive ' +
    "i'm i've it's don't can't you're we're get got u amp rt via"
  ).split(' '),
);

function matches(text: string, pattern: RegExp, group = 1): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(pattern)) out.push((m[group] ?? m[0]).toLowerCase());
  return out;
}

/** What brand matching reads of a text: its @handles, hashtags and normalised tokens. */
export type TextWords = Pick<MinedText, 'mentions' | 'hashtags' | 'tokens'>;

/** `mineText`'s handles, hashtags and tokens alone (without VADER's scoring): for brand matching at ingest. */
export function mineWords(text: string): TextWords {
  return { mentions: matches(text, MENTION), hashtags: matches(text, HASHTAG), tokens: words(text).tokens };
}

/** Mines one text. Pure and synchronous: tens of microseconds for a tweet. */
export function mineText(text: string): MinedText {
  const urls = matches(text, URL, 0);
  const hashtags = matches(text, HASHTAG);
  const mentions = matches(text, MENTION);
  const cashtags = matches(text, CASHTAG);
  const emoji = MAYBE_EMOJI.test(text) ? [...text.matchAll(EMOJI)].map((m) => m[0]) : [];
  const { tokens, terms, negations, intensifiers, dampeners, capsWords } = words(text);
  const { bangs: exclamations, questions } = punctuationMarks(text);
  return {
    hashtags,
    mentions,
    cashtags,
    urls,
    emoji,
    tokens,
    terms,
    vader: vaderScores(vaderTokens(text), text),
    negations,
    intensifiers,
    dampeners,
    exclamations,
    questions,
    capsWords,
  };
}

/** The text's words: normalised tokens, content terms, and the negation, booster and capitals counts. */
function words(
  text: string,
): Pick<MinedText, 'tokens' | 'terms' | 'negations' | 'intensifiers' | 'dampeners' | 'capsWords'> {
  let negations = 0;
  let intensifiers = 0;
  let dampeners = 0;
  let capsWords = 0;
  const tokens: string[] = [];
  const terms: string[] = [];
  for (const word of text.replace(URL, ' <url> ').split(/\s+/)) {
    if (word === '') continue;
    const lower = word.toLowerCase();
    if (isNegation(lower)) negations++;
    const stripped = stripEdges(lower);
    const boost = BOOSTERS.get(stripped);
    if (boost !== undefined) boost > 0 ? intensifiers++ : dampeners++;
    if (word.length >= 2 && word === word.toUpperCase() && !/^[$#@]/.test(word) && /\p{Lu}/u.test(word))
      capsWords++;
    const token = normaliseToken(lower, stripped);
    if (token === '') continue;
    tokens.push(token);
    if (token.length > 1 && !STOP_WORDS.has(token) && !token.startsWith('<') && token !== '@user')
      terms.push(token);
  }
  return { tokens, terms, negations, intensifiers, dampeners, capsWords };
}

/** An ASCII letter or digit (a character the edge pattern never strips). */
const isAsciiWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);

/** `lower` without the punctuation around it; most words have none, and skip the pattern. */
function stripEdges(lower: string): string {
  if (isAsciiWordChar(lower.charCodeAt(0)) && isAsciiWordChar(lower.charCodeAt(lower.length - 1)))
    return lower;
  return lower.replace(EDGE_PUNCTUATION, '');
}

/** The token for a word (`stripped`: `stripEdges(lower)`). */
function normaliseToken(lower: string, stripped: string): string {
  if (lower === '<url>') return lower;
  if (lower.startsWith('@') && lower.length > 1) return '@user';
  if (stripped === '')
    return (MAYBE_EMOJI.test(lower) && HAS_EMOJI.test(lower)) || /[:;=]/.test(lower) ? lower : '';
  if (NUMBER.test(stripped)) return '<num>';
  return stripped;
}
