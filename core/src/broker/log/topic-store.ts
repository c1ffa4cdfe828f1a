import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type CorruptionReporter, type LogSettings, PartitionLog } from './partition-log.js';

export interface TopicConfig {
  partitions: number;
  compacted: boolean;
  retentionMs?: number;
  retentionBytes?: number;
  /** Producer timestamps (CreateTime) unless LogAppendTime. */
  logAppendTime: boolean;
  /** The topic id (KIP-516), 32 hex digits: given at creation, kept across restarts. */
  id?: string;
}

export interface Topic {
  readonly name: string;
  /** The topic id (KIP-516): 32 hex digits, never the zero UUID. */
  readonly id: string;
  readonly config: TopicConfig;
  readonly partitions: PartitionLog[];
}

export type LogDefaults = Omit<LogSettings, 'compacted'>;

/** All topics and their partition logs; topic metadata persisted in `<dir>/topics.json`. */
export class TopicStore {
  readonly #topics = new Map<string, Topic>();
  readonly #byId = new Map<string, Topic>();

  constructor(
    readonly dir: string | null,
    readonly defaults: LogDefaults,
    readonly onCorruption: CorruptionReporter,
  ) {
    if (dir === null) return;
    fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
    const metaFile = path.join(dir, 'topics.json');
    if (!fs.existsSync(metaFile)) return;
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as Record<string, TopicConfig>;
    for (const [name, config] of Object.entries(meta)) this.#open(name, config);
    // Stores written before topic ids: the ids just given are kept from now on.
    if (Object.values(meta).some((config) => config.id === undefined)) this.#persist();
  }

  byId(id: string): Topic | undefined {
    return this.#byId.get(id);
  }

  get(name: string): Topic | undefined {
    return this.#topics.get(name);
  }

  names(): string[] {
    return [...this.#topics.keys()].sort();
  }

  all(): Topic[] {
    return [...this.#topics.values()];
  }

  create(name: string, config: TopicConfig): Topic {
    const topic = this.#open(name, config);
    this.#persist();
    return topic;
  }

  delete(name: string): boolean {
    const topic = this.#topics.get(name);
    if (topic === undefined) return false;
    for (const log of topic.partitions) log.remove();
    this.#topics.delete(name);
    this.#byId.delete(topic.id);
    this.#persist();
    return true;
  }

  close(): void {
    for (const topic of this.#topics.values()) for (const log of topic.partitions) log.close();
  }

  #open(name: string, config: TopicConfig): Topic {
    const settings: LogSettings = {
      ...this.defaults,
      compacted: config.compacted,
      retentionMs: config.retentionMs ?? this.defaults.retentionMs,
      retentionBytes: config.retentionBytes ?? this.defaults.retentionBytes,
    };
    const partitions = Array.from(
      { length: config.partitions },
      (_, p) =>
        new PartitionLog(
          name,
          p,
          this.dir === null ? null : path.join(this.dir, 'logs', `${name}-${p}`),
          settings,
          this.onCorruption,
        ),
    );
    const id = config.id ?? randomUUID().replaceAll('-', '');
    const topic = { name, id, config: { ...config, id }, partitions };
    this.#topics.set(name, topic);
    this.#byId.set(id, topic);
    return topic;
  }

  #persist(): void {
    if (this.dir === null) return;
    const meta = Object.fromEntries([...this.#topics.values()].map((t) => [t.name, t.config]));
    const file = path.join(this.dir, 'topics.json');
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(meta, null, 2));
    fs.renameSync(`${file}.tmp`, file);
  }
}
