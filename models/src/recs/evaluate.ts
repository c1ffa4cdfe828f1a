import { ItemScores, type NextClickRecommender } from './scores.js';

/** Next-click accuracy at a cut-off: hit rate and mean reciprocal rank over every prediction. */
export interface NextClickReport {
  'hr@20': number;
  'mrr@20': number;
  predictions: number;
}

/**
 * The session-rec protocol: each test session's clicks are revealed one at a time; after each
 * prefix the recommender's top 20 is checked for the next click. Test sessions come already
 * restricted to items seen in training (`knownItemSessions`).
 */
export function evaluateNextClick(
  recommender: NextClickRecommender,
  sessions: readonly Int32Array[],
  items: number,
): NextClickReport {
  const scores = new ItemScores(items);
  let hits = 0;
  let reciprocal = 0;
  let predictions = 0;
  for (const session of sessions) {
    for (let p = 1; p < session.length; p++) {
      scores.reset();
      recommender.score(session.subarray(0, p), scores);
      const top = scores.top(20);
      const rank = top.indexOf(session[p]!);
      predictions++;
      if (rank >= 0) {
        hits++;
        reciprocal += 1 / (rank + 1);
      }
    }
  }
  return {
    'hr@20': predictions === 0 ? 0 : hits / predictions,
    'mrr@20': predictions === 0 ? 0 : reciprocal / predictions,
    predictions,
  };
}
