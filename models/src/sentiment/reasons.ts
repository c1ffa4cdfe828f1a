import type { NegativeReason } from './corpus.js';
import type { MinedText } from './text.js';

// The rules' answer to "why is this post negative" when no model is loaded: the first reason,
// in this order, whose words the post uses; `unknown` when none.
const REASON_WORDS: ReadonlyArray<readonly [NegativeReason, RegExp]> = [
  ['cancellation', /^(cancel\w*|canceled|cancelled)$/],
  ['lost_item', /^(lost|missing|lose|losing)$/],
  ['damaged_item', /^(damaged?|broken|broke|ripped|torn)$/],
  ['delay', /^(delay\w*|late|later|tarmac|stuck|hrs|hours?|diverted|missed)$/],
  ['billing', /^(charged?|charges|refunds?|fees?|overcharged|billing|bill|money|paid|pay)$/],
  ['booking', /^(book\w*|reservations?|rebook\w*|tickets?|website|app|online|upgrade)$/],
  ['staff', /^(rude|attendants?|crew|pilot|agents?|staff|employees?|gate agent)$/],
  ['waiting', /^(lines?|queue|waiting|wait)$/],
  ['service', /^(service|hold|call|called|calling|phone|respond\w*|answer\w*|help|dm)$/],
  ['product_quality', /^(seats?|wifi|food|dirty|legroom|entertainment|quality|smell\w*|cold|hot)$/],
];

export function ruleReason(mined: MinedText): NegativeReason {
  for (const [reason, pattern] of REASON_WORDS) if (mined.tokens.some((t) => pattern.test(t))) return reason;
  return 'unknown';
}
