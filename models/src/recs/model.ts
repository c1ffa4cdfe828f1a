import { gunzipSync, gzipSync } from 'node:zlib';
import { ItemKnn, MostPopular, SequentialRules, SessionKnn, type SessionKnnOptions } from './baselines.js';
import { BlendedRecommender, learnBlendWeights } from './blend.js';
import { evaluateNextClick, type NextClickReport } from './evaluate.js';
import { ItemScores, type NextClickRecommender } from './scores.js';
import { SessionNet, type SessionNetWeights, trainSessionNet } from './session-net.js';
import {
  type ClickSession,
  ItemVocabulary,
  knownItemSessions,
  type SessionCorpus,
  sessionCorpus,
  splitByTime,
} from './sessions.js';

export const RECS_FORMAT = 'hexcast-recs/1';

/**
 * The session kNN Hexcast serves: STAN's refinements on V-SKNN, set by a sweep on a time split of
 * `rsc15_train_tr` (docs/recommendations.md gives the sweep).
 */
export const HEXCAST_KNN: SessionKnnOptions = {
  name: 'session-knn',
  k: 500,
  sample: 1000,
  decay: 1,
  normalise: true,
  recencySeconds: 10 * 86_400,
  neighbourPosition: 2,
};

/**
 * A trained recommendations model: the window of past sessions the scorers are built from (item
 * numbers into `items`, gzip + base64 to stay small on `hx.models`), the session kNN's settings and
 * the blend's weights learnt on a later slice of the window.
 */
export interface RecsArtifact {
  format: typeof RECS_FORMAT;
  name: string;
  version: string;
  trainedAt: number;
  /** Item ids; an item's number is its index. */
  items: string[];
  /** gzip + base64 of JSON `{ sessions: number[][], ends: number[] }`, oldest session first. */
  sessions: string;
  knn: SessionKnnOptions;
  /** Blend weights of [session kNN, sequential rules, item kNN]. */
  weights: number[];
  /**
   * The TF.js session network (absent when trained with `netEpochs: 0`) and its weight against the
   * kNN blend, whose top 100 it re-scores: final = (1 − w) · blend + w · network.
   */
  net?: SessionNetWeights;
  netWeight?: number;
  validation: NextClickReport & { sessions: number };
}

export interface RecsTrainOptions {
  /** Epochs of the session network (4); 0 trains the kNN blend alone. */
  netEpochs?: number;
  /** Progress lines (the network's epochs). */
  progress?: (message: string) => void;
  /** Keep the most recent sessions only (50,000): the scorers' memory and start-up time follow it. */
  maxSessions?: number;
  /** Share of the window (by time) the blend weights are learnt on (0.2). */
  validShare?: number;
  version?: string;
  now?: number;
}

/** The blend's scorers over a corpus: [session kNN, sequential rules, item kNN]. */
const components = (
  corpus: SessionCorpus,
  knn: SessionKnnOptions = HEXCAST_KNN,
): [SessionKnn, SequentialRules, ItemKnn] => [
  new SessionKnn(corpus, knn),
  new SequentialRules(corpus, { keep: 100 }),
  new ItemKnn(corpus, { keep: 100 }),
];

/**
 * Trains on click sessions. With the scorers built from the window's first four fifths (by time),
 * it learns the blend on the last fifth, then the session network's weight against it; then it
 * trains the network again on the whole window and packs the window with those weights.
 */
export async function trainRecs(
  sessions: readonly ClickSession[],
  options: RecsTrainOptions = {},
): Promise<RecsArtifact> {
  const bySessionEnd = [...sessions]
    .filter((s) => s.items.length > 0)
    .sort((a, b) => a.times[a.times.length - 1]! - b.times[b.times.length - 1]!);
  const window = bySessionEnd.slice(-(options.maxSessions ?? 50_000));
  const { train, valid } = splitByTime(window, options.validShare ?? 0.2);
  const inner = sessionCorpus(train);
  const validSessions = knownItemSessions(valid, inner.vocabulary);
  const parts = components(inner);
  let learnt = learnBlendWeights(parts, validSessions, inner.vocabulary.size);
  const corpus = sessionCorpus(window);
  const epochs = options.netEpochs ?? 4;
  let net: SessionNetWeights | undefined;
  let netWeight = 0;
  if (epochs > 0) {
    const progress = options.progress ?? (() => undefined);
    const innerNet = await trainSessionNet(inner, {
      epochs,
      onEpoch: (e, loss) =>
        progress(`session network (validation run) epoch ${e + 1}/${epochs}: loss ${loss.toFixed(3)}`),
    });
    const blend = new BlendedRecommender('blend', parts, learnt.weights, inner.vocabulary.size);
    const mixed = new SessionNet(innerNet, blend);
    // The network's share, on a 0.1 grid from 0 (the blend alone) to 0.5, by HR@20 + MRR@20.
    for (let step = 0; step <= 5; step++) {
      mixed.mix = step / 10;
      const report = evaluateNextClick(mixed, validSessions, inner.vocabulary.size);
      if (report['hr@20'] + report['mrr@20'] > learnt['hr@20'] + learnt['mrr@20'] || step === 0) {
        learnt = { ...report, weights: learnt.weights };
        netWeight = mixed.mix;
      }
    }
    if (netWeight > 0)
      net = await trainSessionNet(corpus, {
        epochs,
        onEpoch: (e, loss) => progress(`session network epoch ${e + 1}/${epochs}: loss ${loss.toFixed(3)}`),
      });
  }
  const now = options.now ?? Date.now();
  return {
    format: RECS_FORMAT,
    name: 'recs',
    version: options.version ?? `recs-${new Date(now).toISOString().replace(/[-:]|\.\d+Z$/g, '')}`,
    trainedAt: now,
    items: corpus.vocabulary.ids,
    sessions: gzipSync(
      JSON.stringify({ sessions: corpus.sessions.map((s) => [...s]), ends: [...corpus.ends] }),
    ).toString('base64'),
    knn: HEXCAST_KNN,
    weights: learnt.weights,
    ...(net === undefined ? {} : { net, netWeight }),
    validation: {
      'hr@20': learnt['hr@20'],
      'mrr@20': learnt['mrr@20'],
      predictions: learnt.predictions,
      sessions: validSessions.length,
    },
  };
}

/** The head of a session's next-click ranking: item numbers, best first, and their scores. */
export interface SessionRanking {
  items: Int32Array;
  scores: Float64Array;
}

/** One recommended item with its score (comparable within one list only). */
export interface Recommended {
  item: string;
  score: number;
}

/**
 * A loaded recommendations model: the product page's item → items list, the session's next-click
 * list, and popularity for a cold start. Its scratch buffers make it single-caller: one per worker.
 */
export class RecsModel {
  readonly version: string;
  readonly vocabulary: ItemVocabulary;
  readonly sessions: number;
  readonly #session: NextClickRecommender;
  readonly #itemKnn: ItemKnn;
  readonly #popular: MostPopular;
  readonly #scores: ItemScores;
  #known = new Int32Array(32);

  constructor(artifact: RecsArtifact) {
    if (artifact.format !== RECS_FORMAT) throw new Error(`not a ${RECS_FORMAT} artifact`);
    const packed = JSON.parse(gunzipSync(Buffer.from(artifact.sessions, 'base64')).toString('utf8')) as {
      sessions: number[][];
      ends: number[];
    };
    const vocabulary = ItemVocabulary.of(artifact.items);
    const corpus: SessionCorpus = {
      vocabulary,
      sessions: packed.sessions.map((s) => Int32Array.from(s)),
      ends: Float64Array.from(packed.ends),
    };
    for (const s of corpus.sessions)
      for (const item of s)
        if (!(item >= 0 && item < vocabulary.size)) throw new Error('item number out of range');
    this.version = artifact.version;
    this.vocabulary = vocabulary;
    this.sessions = corpus.sessions.length;
    const [knn, rules, itemKnn] = components(corpus, artifact.knn);
    const blend = new BlendedRecommender('blend', [knn, rules, itemKnn], artifact.weights, vocabulary.size);
    if (artifact.net !== undefined && artifact.net.items !== vocabulary.size)
      throw new Error('the session network was trained on another item list');
    this.#session =
      artifact.net === undefined || !(artifact.netWeight! > 0)
        ? blend
        : new SessionNet(artifact.net, blend, { mix: artifact.netWeight! });
    this.#itemKnn = itemKnn;
    this.#popular = new MostPopular(corpus);
    this.#scores = new ItemScores(vocabulary.size);
  }

  #top(n: number, skip: (item: string) => boolean): Recommended[] {
    const ids = this.vocabulary.ids;
    const top = this.#scores.top(n, (i) => skip(ids[i]!));
    return top.map((i) => ({ item: ids[i]!, score: this.#scores.values[i]! }));
  }

  /** Items to show next to `item`'s page (item-kNN over session co-occurrence). */
  similarItems(item: string, n: number, skip: (item: string) => boolean = () => false): Recommended[] {
    this.#scores.reset();
    const number = this.vocabulary.numberOf(item);
    if (number !== undefined) {
      this.#known[0] = number;
      this.#itemKnn.score(this.#known.subarray(0, 1), this.#scores);
    }
    return this.#top(n, (i) => i === item || skip(i));
  }

  /** The next-click list for a session's clicks (oldest first); unknown items are passed over. */
  forSession(
    clicks: readonly string[],
    n: number,
    skip: (item: string) => boolean = () => false,
  ): Recommended[] {
    this.#scores.reset();
    // The scorers read sessions as Int32Array, as the evaluation hands them over: one array type
    // at their element loads keeps those loads monomorphic (a mix costs ~15% of a click).
    if (this.#known.length < clicks.length) this.#known = new Int32Array(clicks.length * 2);
    let length = 0;
    for (const c of clicks) {
      const number = this.vocabulary.numberOf(c);
      if (number !== undefined) this.#known[length++] = number;
    }
    if (length > 0) this.#session.score(this.#known.subarray(0, length), this.#scores);
    return this.#top(n, skip);
  }

  /** The session's clicks (oldest first) as this model's item numbers; unknown items are passed over. */
  sessionNumbers(clicks: readonly string[]): Int32Array {
    const numbers = new Int32Array(clicks.length);
    let length = 0;
    for (const c of clicks) {
      const number = this.vocabulary.numberOf(c);
      if (number !== undefined) numbers[length++] = number;
    }
    return numbers.subarray(0, length);
  }

  /**
   * The first `k` of the session's next-click ranking, unfiltered, as item numbers and their
   * scores: what `forSession` filters. A scoring thread computes it; `fromRanking` filters it.
   */
  rankSession(session: Int32Array, k: number): SessionRanking {
    this.#scores.reset();
    if (session.length > 0) this.#session.score(session, this.#scores);
    const top = this.#scores.top(k);
    const scores = new Float64Array(top.length);
    for (let i = 0; i < top.length; i++) scores[i] = this.#scores.values[top[i]!]!;
    return { items: Int32Array.from(top), scores };
  }

  /**
   * `forSession(clicks, n, skip)` from the session's ranking (`rankSession(…, asked)` of this
   * model): the first `n` items `skip` lets through. Exact when the ranking holds `n` of them, or
   * when it is shorter than `asked` (the whole ranking); otherwise null, and the caller scores
   * again with `forSession`.
   */
  fromRanking(
    ranking: SessionRanking,
    asked: number,
    n: number,
    skip: (item: string) => boolean = () => false,
  ): Recommended[] | null {
    const ids = this.vocabulary.ids;
    const out: Recommended[] = [];
    for (let i = 0; i < ranking.items.length && out.length < n; i++) {
      const item = ids[ranking.items[i]!]!;
      if (!skip(item)) out.push({ item, score: ranking.scores[i]! });
    }
    return out.length === n || ranking.items.length < asked ? out : null;
  }

  /** The most clicked items of the window. */
  popular(n: number, skip: (item: string) => boolean = () => false): Recommended[] {
    this.#scores.reset();
    this.#popular.score([], this.#scores);
    return this.#top(n, skip);
  }
}

/** HR@20 and MRR@20 of the baselines and Hexcast's model, trained on `train`, replayed on `test`. */
export interface RecsComparison {
  popular: NextClickReport;
  'item-knn': NextClickReport;
  'v-sknn': NextClickReport;
  hexcast: NextClickReport;
}

/**
 * The evaluation the data's README describes, every recommender in this process: trained on
 * `train`, then `test`'s sessions (items seen in training only) revealed click by click.
 */
export async function compareRecs(
  train: readonly ClickSession[],
  test: readonly ClickSession[],
  options: RecsTrainOptions & { artifact?: RecsArtifact } = {},
): Promise<RecsComparison> {
  const artifact =
    options.artifact ??
    (await trainRecs(train, { ...options, maxSessions: options.maxSessions ?? Number.MAX_SAFE_INTEGER }));
  const model = new RecsModel(artifact);
  const corpus = sessionCorpus(train, ItemVocabulary.of(artifact.items));
  const sessions = knownItemSessions(test, corpus.vocabulary);
  const items = corpus.vocabulary.size;
  const hexcast: NextClickRecommender = {
    name: 'hexcast',
    score: (session, into) => {
      const ids = corpus.vocabulary.ids;
      for (const r of model.forSession(
        Array.from(session, (i) => ids[i]!),
        20,
      )) {
        into.add(corpus.vocabulary.numberOf(r.item)!, r.score);
      }
    },
  };
  return {
    popular: evaluateNextClick(new MostPopular(corpus), sessions, items),
    'item-knn': evaluateNextClick(new ItemKnn(corpus), sessions, items),
    'v-sknn': evaluateNextClick(new SessionKnn(corpus), sessions, items),
    hexcast: evaluateNextClick(hexcast, sessions, items),
  };
}
