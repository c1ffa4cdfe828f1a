import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RecsArtifact, SessionRanking } from './model.js';

/** To a scoring thread: a model to keep, or sessions to rank (item numbers, `offsets` per session). */
export type ThreadRequest =
  | { type: 'load'; artifact: RecsArtifact }
  | { type: 'rank'; id: number; version: string; k: number; offsets: Int32Array; items: Int32Array };

/** From a scoring thread. `found: false`: it has no model of that version (the caller scores itself). */
export type ThreadReply =
  | { type: 'loaded'; version: string }
  | { type: 'load-failed'; version: string; error: string }
  | { type: 'ranked'; id: number; found: false }
  | { type: 'ranked'; id: number; found: true; counts: Int32Array; items: Int32Array; scores: Float64Array };

export type ScoringPoolEvent =
  | { kind: 'crashed'; thread: number; exitCode: number; error?: Error; restartInMs: number }
  | { kind: 'load-failed'; thread: number; version: string; error: string };

export interface ScoringPoolOptions {
  /** Scoring threads (1). */
  threads?: number;
  /** What happened to a thread (a crash, a model it could not load), for logs and metrics. */
  onEvent?: (event: ScoringPoolEvent) => void;
  /**
   * Sessions a message (16): a batch this size goes at once, a smaller one at the end of the
   * event loop's turn. Small batches let the thread start while this one is still preparing.
   */
  batchSize?: number;
  /** The thread's module (tests give one that fails); default: this package's scoring thread. */
  entry?: URL;
}

interface Pending {
  sessions: Int32Array[];
  resolve: Array<(ranking: SessionRanking | null) => void>;
}

interface Thread {
  index: number;
  worker: Worker | null;
  /** Batches sent and not answered: their callers, by request id. */
  inflight: Map<number, Pending>;
  sessionsInFlight: number;
  crashes: number;
}

/** Artifacts kept to send a restarted thread: as many as a thread keeps models. */
const KEEP = 2;

/**
 * Session rankings computed off the event loop: `RecsModel.rankSession` in worker threads, each
 * holding the models sent with `load`. `rank` calls made in one turn of the event loop go to a
 * thread as one message (item numbers in, item numbers and scores back, transferred, not copied).
 * The threads start with the first model sent: a worker that never gets one holds none. A
 * ranking comes back null, never an error, when no thread can answer (none running, a crash, no
 * model of that version there yet): the caller then scores on its own thread. A thread that
 * exits is started again after a delay that doubles with each crash in a row (0.1 s to 30 s),
 * and is sent the kept models first.
 */
export class SessionScoringPool {
  readonly #o: ScoringPoolOptions;
  readonly #threads: Thread[];
  readonly #artifacts: RecsArtifact[] = [];
  readonly #batches = new Map<string, Pending & { version: string; k: number }>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #flushing = false;
  #nextId = 0;
  #closed = false;
  #started = false;
  readonly #batchSize: number;

  constructor(options: ScoringPoolOptions = {}) {
    this.#o = options;
    const count = Math.max(1, options.threads ?? 1);
    this.#batchSize = Math.max(1, options.batchSize ?? 16);
    this.#threads = Array.from({ length: count }, (_, index) => ({
      index,
      worker: null,
      inflight: new Map(),
      sessionsInFlight: 0,
      crashes: 0,
    }));
  }

  /** Threads running now. */
  get running(): number {
    let running = 0;
    for (const t of this.#threads) if (t.worker !== null) running++;
    return running;
  }

  /** Sends a model to every thread (kept there with the one before it). */
  load(artifact: RecsArtifact): void {
    const kept = this.#artifacts.findIndex((a) => a.version === artifact.version);
    if (kept >= 0) this.#artifacts.splice(kept, 1);
    this.#artifacts.push(artifact);
    if (this.#artifacts.length > KEEP) this.#artifacts.shift();
    if (this.#closed) return;
    if (!this.#started) {
      // The first model: the threads start, and are sent the kept models as they do.
      this.#started = true;
      for (const thread of this.#threads) this.#start(thread);
      return;
    }
    for (const thread of this.#threads)
      thread.worker?.postMessage({ type: 'load', artifact } satisfies ThreadRequest);
  }

  /** The first `k` of the session's ranking by model `version`, or null when no thread could tell. */
  rank(session: Int32Array, k: number, version: string): Promise<SessionRanking | null> {
    if (this.#closed || this.running === 0) return Promise.resolve(null);
    const key = `${k}\u0000${version}`;
    let batch = this.#batches.get(key);
    if (batch === undefined) {
      batch = { version, k, sessions: [], resolve: [] };
      this.#batches.set(key, batch);
    }
    const pending = batch;
    const ranking = new Promise<SessionRanking | null>((resolve) => {
      pending.sessions.push(session);
      pending.resolve.push(resolve);
    });
    // A full batch goes now: the thread starts on it while this thread prepares the next ones
    // (and handles the answers as they come); the rest go once this turn of the loop is over.
    if (pending.sessions.length >= this.#batchSize) {
      this.#batches.delete(key);
      this.#send(pending);
    } else if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => this.#flush());
    }
    return ranking;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const batch of this.#batches.values()) for (const resolve of batch.resolve) resolve(null);
    this.#batches.clear();
    await Promise.all(
      this.#threads.map(async (thread) => {
        const worker = thread.worker;
        thread.worker = null;
        this.#abandon(thread);
        await worker?.terminate();
      }),
    );
  }

  #flush(): void {
    this.#flushing = false;
    for (const batch of this.#batches.values()) this.#send(batch);
    this.#batches.clear();
  }

  #send(batch: Pending & { version: string; k: number }): void {
    const thread = this.#leastBusy();
    if (thread === null) {
      for (const resolve of batch.resolve) resolve(null);
      return;
    }
    const offsets = new Int32Array(batch.sessions.length + 1);
    for (let s = 0; s < batch.sessions.length; s++) offsets[s + 1] = offsets[s]! + batch.sessions[s]!.length;
    const items = new Int32Array(offsets[batch.sessions.length]!);
    for (let s = 0; s < batch.sessions.length; s++) items.set(batch.sessions[s]!, offsets[s]!);
    const id = this.#nextId++;
    thread.inflight.set(id, batch);
    thread.sessionsInFlight += batch.sessions.length;
    const request: ThreadRequest = { type: 'rank', id, version: batch.version, k: batch.k, offsets, items };
    thread.worker!.postMessage(request, [offsets.buffer, items.buffer]);
  }

  #leastBusy(): Thread | null {
    let best: Thread | null = null;
    for (const t of this.#threads)
      if (t.worker !== null && (best === null || t.sessionsInFlight < best.sessionsInFlight)) best = t;
    return best;
  }

  #start(thread: Thread): void {
    const worker = spawnThread(this.#o.entry);
    worker.unref();
    thread.worker = worker;
    for (const artifact of this.#artifacts)
      worker.postMessage({ type: 'load', artifact } satisfies ThreadRequest);
    let error: Error | undefined;
    worker.on('message', (reply: ThreadReply) => this.#reply(thread, reply));
    worker.on('error', (e) => {
      error = e;
    });
    worker.on('exit', (exitCode) => {
      if (thread.worker !== worker) return; // closed, or already replaced
      thread.worker = null;
      this.#abandon(thread);
      if (this.#closed) return;
      const restartInMs = Math.min(30_000, 100 * 2 ** thread.crashes);
      thread.crashes++;
      this.#o.onEvent?.({
        kind: 'crashed',
        thread: thread.index,
        exitCode,
        restartInMs,
        ...(error ? { error } : {}),
      });
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (!this.#closed) this.#start(thread);
      }, restartInMs);
      timer.unref();
      this.#timers.add(timer);
    });
  }

  /** A thread's unanswered batches get null: their callers score themselves. */
  #abandon(thread: Thread): void {
    for (const pending of thread.inflight.values()) for (const resolve of pending.resolve) resolve(null);
    thread.inflight.clear();
    thread.sessionsInFlight = 0;
  }

  #reply(thread: Thread, reply: ThreadReply): void {
    if (reply.type === 'loaded') return;
    if (reply.type === 'load-failed') {
      this.#o.onEvent?.({
        kind: 'load-failed',
        thread: thread.index,
        version: reply.version,
        error: reply.error,
      });
      return;
    }
    const pending = thread.inflight.get(reply.id);
    if (pending === undefined) return;
    thread.inflight.delete(reply.id);
    thread.sessionsInFlight -= pending.sessions.length;
    thread.crashes = 0; // it answers: the next crash starts the delays again
    if (!reply.found) {
      for (const resolve of pending.resolve) resolve(null);
      return;
    }
    const k = reply.items.length / Math.max(1, pending.resolve.length);
    for (let s = 0; s < pending.resolve.length; s++) {
      const count = reply.counts[s]!;
      pending.resolve[s]!({
        items: reply.items.subarray(s * k, s * k + count),
        scores: reply.scores.subarray(s * k, s * k + count),
      });
    }
  }
}

/**
 * A worker on the scoring thread's module. From a source checkout (this file is TypeScript) the
 * thread registers tsx before importing it: hooks registered in this thread do not reach workers.
 */
function spawnThread(entry?: URL): Worker {
  const source = import.meta.url.endsWith('.ts');
  const module = entry ?? new URL(source ? './scoring-thread.ts' : './scoring-thread.js', import.meta.url);
  if (!module.pathname.endsWith('.ts')) return new Worker(module);
  // tsx's ESM entry: the CommonJS one registers hooks a worker cannot resolve.
  const tsx =
    typeof import.meta.resolve === 'function'
      ? import.meta.resolve('tsx/esm/api')
      : pathToFileURL(
          createRequire(import.meta.url)
            .resolve('tsx/esm/api')
            .replace(/\.cjs$/, '.mjs'),
        ).href;
  return new Worker(
    `const { workerData } = require('node:worker_threads');
import(workerData.tsx)
  .then((api) => (api.register ?? api.default.register)())
  .then(() => import(workerData.module))
  .catch((error) => { console.error(error); process.exit(70); });`,
    { eval: true, workerData: { tsx, module: module.href } },
  );
}
