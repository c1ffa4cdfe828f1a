import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// The word lists of VADER (Hutto & Gilbert, ICWSM 2014; lexicon MIT-licensed): the lexicon is read
// from the copy the `vader-sentiment` package ships, the negations and degree adverbs are VADER's.

let lexicon: ReadonlyMap<string, number> | undefined;

/** VADER's lexicon: lower-case token (words, emoticons, slang) → mean human valence, −4 … +4. */
export function vaderLexicon(): ReadonlyMap<string, number> {
  if (lexicon !== undefined) return lexicon;
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve('vader-sentiment/package.json')), 'vader_lexicon.txt');
  const map = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [token, mean] = line.split('\t');
    if (token === undefined || mean === undefined) continue;
    const valence = Number(mean);
    if (token !== '' && Number.isFinite(valence)) map.set(token, valence);
  }
  lexicon = map;
  return map;
}

/** Words that negate what follows ("not", "never", "without"); any word ending in n't does too. */
export const NEGATIONS: ReadonlySet<string> = new Set(
  (
    'aint arent cannot cant couldnt darent didnt doesnt dont hadnt hasnt havent isnt mightnt mustnt neither ' +
    'neednt never none nope nor not nothing nowhere oughtnt shant shouldnt uhuh wasnt werent without wont ' +
    "wouldnt rarely seldom despite uh-uh ain't aren't can't couldn't daren't didn't doesn't don't hadn't " +
    "hasn't haven't isn't mightn't mustn't needn't oughtn't shan't shouldn't wasn't weren't won't wouldn't"
  ).split(' '),
);

export function isNegation(lower: string): boolean {
  return NEGATIONS.has(lower) || lower.includes("n't");
}

const INCREMENT = 0.293;
const DECREMENT = -0.293;

/** Degree adverbs: intensifiers raise the next sentiment word's magnitude, dampeners lower it. */
export const BOOSTERS: ReadonlyMap<string, number> = new Map([
  ...(
    'absolutely amazingly awfully completely considerably decidedly deeply effing enormously entirely ' +
    'especially exceptionally extremely fabulously flipping flippin fricking frickin frigging friggin fully ' +
    'fucking greatly hella highly hugely incredibly intensely majorly more most particularly purely quite ' +
    'really remarkably so substantially thoroughly totally tremendously uber unbelievably unusually utterly very'
  )
    .split(' ')
    .map((w) => [w, INCREMENT] as const),
  ...'almost barely hardly kinda kindof kind-of less little marginally occasionally partly scarcely slightly somewhat sorta sortof sort-of'
    .split(' ')
    .map((w) => [w, DECREMENT] as const),
]);
