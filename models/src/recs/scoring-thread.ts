import { parentPort } from 'node:worker_threads';
import { type RecsArtifact, RecsModel } from './model.js';
import type { ThreadReply, ThreadRequest } from './scoring-pool.js';

// A scoring thread of `SessionScoringPool`: the models it was sent (the two newest, by version) and
// the sessions' rankings asked of them, a batch per message.

/** Models kept: the current one and the one before, for the requests made before a swap. */
const KEEP = 2;
const models = new Map<string, RecsModel>();
const port = parentPort!;
const reply = (message: ThreadReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

port.on('message', (message: ThreadRequest) => {
  if (message.type === 'load') {
    try {
      const model = new RecsModel(message.artifact as RecsArtifact);
      models.delete(model.version);
      models.set(model.version, model);
      for (const version of models.keys()) if (models.size > KEEP) models.delete(version);
      reply({ type: 'loaded', version: model.version });
    } catch (error) {
      reply({ type: 'load-failed', version: String(message.artifact.version), error: String(error) });
    }
    return;
  }
  const { id, version, k, offsets, items } = message;
  const model = models.get(version);
  if (model === undefined) {
    reply({ type: 'ranked', id, found: false });
    return;
  }
  const sessions = offsets.length - 1;
  const counts = new Int32Array(sessions);
  const ranked = new Int32Array(sessions * k);
  const scores = new Float64Array(sessions * k);
  for (let s = 0; s < sessions; s++) {
    const ranking = model.rankSession(items.subarray(offsets[s]!, offsets[s + 1]!), k);
    counts[s] = ranking.items.length;
    ranked.set(ranking.items, s * k);
    scores.set(ranking.scores, s * k);
  }
  reply({ type: 'ranked', id, found: true, counts, items: ranked, scores }, [
    counts.buffer,
    ranked.buffer,
    scores.buffer,
  ]);
});
