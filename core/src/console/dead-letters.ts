import type { RecordContext } from '../bus/index.js';
import type { Envelope } from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import type { Queryable } from '../records/index.js';

/** A record on `hx.dlq` as the console shows it. */
export interface DeadLetterView {
  /** Where the letter sits on `hx.dlq`: its identity for a replay. */
  partition: number;
  offset: string;
  at: number;
  stage: string;
  /** Where the original record was. */
  topic: string;
  originalPartition: number;
  originalOffset: string;
  code: string;
  reason: string;
  key: string;
  /** The original envelope's type, or null when the record was not a readable envelope (not replayable). */
  type: string | null;
  replayable: boolean;
  replayedAt: string | null;
  replayedBy: string | null;
}

interface Held {
  view: DeadLetterView;
  original: Envelope | null;
}

/**
 * The newest dead letters (fed from `hx.dlq` from its beginning), and replays: an operator sends a
 * letter's original envelope back to its topic, once — the replay is recorded in the records
 * database first, so two operators (or two API processes) cannot both replay it.
 */
export class DeadLetters {
  readonly #held = new Map<string, Held>();
  readonly #capacity: number;
  readonly #records: () => Promise<Queryable>;

  constructor(options: { capacity: number; records: () => Promise<Queryable> }) {
    this.#capacity = options.capacity;
    this.#records = options.records;
  }

  add(envelope: Envelope, context: RecordContext): void {
    const d = envelope.data as {
      topic: string;
      partition: number;
      offset: string;
      code: string;
      reason: string;
      original?: Envelope;
    };
    const original = d.original ?? null;
    this.#held.set(`${context.partition}:${context.offset}`, {
      original,
      view: {
        partition: context.partition,
        offset: context.offset,
        at: envelope.ts,
        stage: envelope.source.id,
        topic: d.topic,
        originalPartition: d.partition,
        originalOffset: d.offset,
        code: d.code,
        reason: d.reason,
        key: envelope.key,
        type: original?.type ?? null,
        replayable: original !== null,
        replayedAt: null,
        replayedBy: null,
      },
    });
    if (this.#held.size > this.#capacity) {
      const oldest = this.#held.keys().next().value;
      if (oldest !== undefined) this.#held.delete(oldest);
    }
  }

  /** Newest first, with their replay marks. */
  async list(limit: number): Promise<{ total: number; letters: DeadLetterView[] }> {
    const letters = [...this.#held.values()]
      .map((h) => h.view)
      .sort((a, b) => b.at - a.at)
      .slice(0, limit);
    if (letters.length > 0) {
      const records = await this.#records();
      const rows = await records.query<{
        dlq_partition: number;
        dlq_offset: string;
        replayed_by: string;
        replayed_at: Date | string;
      }>(
        `SELECT dlq_partition, dlq_offset::text AS dlq_offset, replayed_by, replayed_at
         FROM dlq_replays WHERE dlq_offset = ANY($1::bigint[])`,
        [[...new Set(letters.map((l) => l.offset))]],
      );
      const marks = new Map(rows.map((r) => [`${r.dlq_partition}:${r.dlq_offset}`, r]));
      for (const l of letters) {
        const mark = marks.get(`${l.partition}:${l.offset}`);
        l.replayedAt = mark === undefined ? null : new Date(mark.replayed_at).toISOString();
        l.replayedBy = mark?.replayed_by ?? null;
      }
    }
    return { total: this.#held.size, letters };
  }

  /** Sends the letter's original envelope back to its topic; refuses a second replay. */
  async replay(
    partition: number,
    offset: string,
    by: string,
    send: (topic: string, envelope: Envelope) => Promise<void>,
  ): Promise<DeadLetterView> {
    const held = this.#held.get(`${partition}:${offset}`);
    if (held === undefined) {
      throw new HexcastError('HX_DLQ_NOT_FOUND', `no dead letter at hx.dlq ${partition}/${offset} is held`, {
        details: { partition, offset },
      });
    }
    if (held.original === null) {
      throw new HexcastError(
        'HX_DLQ_NOT_REPLAYABLE',
        'the record was not a readable envelope: replaying it would fail the same way; fix its producer',
        { details: { partition, offset, code: held.view.code } },
      );
    }
    const records = await this.#records();
    const inserted = await records.query(
      `INSERT INTO dlq_replays (dlq_partition, dlq_offset, topic, replayed_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING dlq_offset`,
      [partition, offset, held.view.topic, by],
    );
    if (inserted.length === 0) {
      throw new HexcastError(
        'HX_DLQ_ALREADY_REPLAYED',
        `hx.dlq ${partition}/${offset} was already replayed`,
        {
          details: { partition, offset },
        },
      );
    }
    try {
      await send(held.view.topic, held.original);
    } catch (error) {
      await records.query('DELETE FROM dlq_replays WHERE dlq_partition = $1 AND dlq_offset = $2', [
        partition,
        offset,
      ]);
      throw error;
    }
    return { ...held.view, replayedAt: new Date().toISOString(), replayedBy: by };
  }
}
