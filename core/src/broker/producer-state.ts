import { KafkaError } from '../kafka-protocol/index.js';

interface CachedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

interface PartitionSequence {
  epoch: number;
  lastSeq: number;
  recent: CachedBatch[];
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'error'; errorCode: number };

const RECENT = 5;
/** (producer, partition) pairs tracked; the least recently written is forgotten (then treated as unknown). */
const MAX_TRACKED = 100_000;
const INT32_MAX = 2_147_483_647;

/** Idempotent-producer bookkeeping: last sequence and the last five batches per (producer, partition). */
export class ProducerState {
  // Seeded from the clock so ids stay unique across broker restarts.
  #nextId = Date.now();
  readonly #sequences = new Map<string, PartitionSequence>();

  allocate(): { producerId: number; producerEpoch: number } {
    return { producerId: this.#nextId++, producerEpoch: 0 };
  }

  check(producerId: number, epoch: number, tp: string, baseSequence: number, count: number): SequenceCheck {
    const state = this.#sequences.get(`${producerId}/${tp}`);
    if (state === undefined) return { kind: 'append' }; // unknown pid (e.g. after a restart): accept and track
    if (epoch < state.epoch) return { kind: 'error', errorCode: KafkaError.INVALID_PRODUCER_EPOCH };
    if (epoch > state.epoch) return { kind: 'append' };
    const lastSeq = seqAdd(baseSequence, count - 1);
    const cached = state.recent.find((b) => b.firstSeq === baseSequence && b.lastSeq === lastSeq);
    if (cached !== undefined) return { kind: 'duplicate', baseOffset: cached.baseOffset };
    if (baseSequence === seqAdd(state.lastSeq, 1)) return { kind: 'append' };
    return { kind: 'error', errorCode: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER };
  }

  record(
    producerId: number,
    epoch: number,
    tp: string,
    baseSequence: number,
    count: number,
    baseOffset: number,
  ): void {
    const key = `${producerId}/${tp}`;
    let state = this.#sequences.get(key);
    if (state === undefined || epoch > state.epoch) {
      state = { epoch, lastSeq: -1, recent: [] };
      this.#sequences.set(key, state);
    }
    const lastSeq = seqAdd(baseSequence, count - 1);
    this.#sequences.delete(key); // re-insert: Map order is then least recently written first
    this.#sequences.set(key, state);
    if (this.#sequences.size > MAX_TRACKED) this.#sequences.delete(this.#sequences.keys().next().value!);
    state.lastSeq = lastSeq;
    state.recent.push({ firstSeq: baseSequence, lastSeq, baseOffset });
    if (state.recent.length > RECENT) state.recent.shift();
  }
}

/** Sequence arithmetic wraps from INT32_MAX to 0, as kafkajs does. */
function seqAdd(seq: number, n: number): number {
  const sum = seq + n;
  return sum > INT32_MAX ? sum - INT32_MAX - 1 : sum;
}
