// Click sessions: the TSV the session-rec framework prepares (`SessionId ItemId Time`), the
// dense item numbering every recommender works in, and training sessions ordered by recency.

/** One browsing session as read: its clicks in order, with their times (Unix seconds). */
export interface ClickSession {
  id: string;
  items: string[];
  times: number[];
}

/**
 * Reads a `SessionId<TAB>ItemId<TAB>Time` file (a header line, rows of a session in click order).
 * Rows of one session need not be adjacent; a session's clicks keep their file order.
 */
export function parseSessionsTsv(text: string): ClickSession[] {
  const sessions = new Map<string, ClickSession>();
  let start = 0;
  let first = true;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trimEnd();
    start = end + 1;
    if (first) {
      first = false;
      if (/^sessionid\t/i.test(line)) continue;
    }
    if (line === '') continue;
    const [id, item, time] = line.split('\t');
    const seconds = Number(time);
    if (id === undefined || item === undefined || !Number.isFinite(seconds)) {
      throw new Error(`not a SessionId/ItemId/Time row: ${JSON.stringify(line.slice(0, 80))}`);
    }
    let session = sessions.get(id);
    if (session === undefined) {
      session = { id, items: [], times: [] };
      sessions.set(id, session);
    }
    session.items.push(item);
    session.times.push(seconds);
  }
  return [...sessions.values()];
}

/** Item ids ↔ dense numbers 0 … size−1. */
export class ItemVocabulary {
  readonly ids: string[] = [];
  readonly #numbers = new Map<string, number>();

  static of(ids: Iterable<string>): ItemVocabulary {
    const vocabulary = new ItemVocabulary();
    for (const id of ids) vocabulary.add(id);
    return vocabulary;
  }

  get size(): number {
    return this.ids.length;
  }

  add(id: string): number {
    let n = this.#numbers.get(id);
    if (n === undefined) {
      n = this.ids.length;
      this.ids.push(id);
      this.#numbers.set(id, n);
    }
    return n;
  }

  numberOf(id: string): number | undefined {
    return this.#numbers.get(id);
  }
}

/**
 * Training sessions in the recommenders' form: item numbers per session, sessions ordered by their
 * last click (index = recency rank, the most recent last), with that time.
 */
export interface SessionCorpus {
  vocabulary: ItemVocabulary;
  sessions: Int32Array[];
  /** The last click's time (Unix seconds) per session, ascending. */
  ends: Float64Array;
}

export function sessionCorpus(
  sessions: readonly ClickSession[],
  vocabulary = new ItemVocabulary(),
): SessionCorpus {
  const ordered = [...sessions]
    .filter((s) => s.items.length > 0)
    .sort((a, b) => a.times[a.times.length - 1]! - b.times[b.times.length - 1]!);
  return {
    vocabulary,
    sessions: ordered.map((s) => Int32Array.from(s.items, (id) => vocabulary.add(id))),
    ends: Float64Array.from(ordered, (s) => s.times[s.times.length - 1]!),
  };
}

/**
 * Test sessions as the evaluation protocol prepares them: clicks on items unknown to `vocabulary`
 * removed, then sessions of fewer than two clicks dropped.
 */
export function knownItemSessions(
  sessions: readonly ClickSession[],
  vocabulary: ItemVocabulary,
): Int32Array[] {
  const out: Int32Array[] = [];
  for (const s of sessions) {
    const known = s.items.map((id) => vocabulary.numberOf(id)).filter((n): n is number => n !== undefined);
    if (known.length >= 2) out.push(Int32Array.from(known));
  }
  return out;
}

/**
 * Splits sessions by time: those whose last click falls in the last `share` of the time span are
 * the validation part (as `train_valid` follows `train_tr`).
 */
export function splitByTime(
  sessions: readonly ClickSession[],
  share: number,
): { train: ClickSession[]; valid: ClickSession[] } {
  const ends = sessions.map((s) => s.times[s.times.length - 1]!);
  const sorted = [...ends].sort((a, b) => a - b);
  const cut = sorted[Math.floor(sorted.length * (1 - share))] ?? Number.POSITIVE_INFINITY;
  const train: ClickSession[] = [];
  const valid: ClickSession[] = [];
  sessions.forEach((s, i) => {
    (ends[i]! < cut ? train : valid).push(s);
  });
  return { train, valid };
}
