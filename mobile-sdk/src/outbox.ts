import type { PublishChannel } from './protocol.js';
import { readJson, type StorageAdapter } from './storage.js';

export type Channel = PublishChannel;

export interface OutboxEntry {
  seq: number;
  channel: Channel;
  payload: string;
}

/**
 * The offline buffer: every message the device sends goes through it, in order. Bounded (the
 * oldest is dropped and counted on overflow), persisted through the storage adapter after every
 * change, and an entry leaves only when the gateway acknowledged it — so nothing acknowledged is
 * sent again, and nothing unacknowledged is lost across reconnects or app restarts.
 */
export class Outbox {
  #entries: OutboxEntry[] = [];
  #nextSeq = 1;
  dropped = 0;

  constructor(
    readonly storage: StorageAdapter,
    readonly key: string,
    readonly limit: number,
  ) {}

  async load(): Promise<void> {
    const saved = await readJson<OutboxEntry[]>(this.storage, this.key, []);
    this.#entries = Array.isArray(saved) ? saved.slice(-this.limit) : [];
    this.#nextSeq = (this.#entries.at(-1)?.seq ?? 0) + 1;
  }

  get size(): number {
    return this.#entries.length;
  }

  async add(channel: Channel, payload: string): Promise<void> {
    this.#entries.push({ seq: this.#nextSeq++, channel, payload });
    while (this.#entries.length > this.limit) {
      this.#entries.shift();
      this.dropped++;
    }
    await this.#save();
  }

  /** Entries in order, oldest first. */
  entries(): readonly OutboxEntry[] {
    return this.#entries;
  }

  async remove(seq: number): Promise<void> {
    const index = this.#entries.findIndex((e) => e.seq === seq);
    if (index < 0) return;
    this.#entries.splice(index, 1);
    await this.#save();
  }

  async #save(): Promise<void> {
    try {
      await this.storage.setItem(this.key, JSON.stringify(this.#entries));
    } catch {
      // A full or unavailable store keeps the buffer in memory only; sending goes on.
    }
  }
}
