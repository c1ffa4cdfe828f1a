import type { Admin, Kafka } from 'kafkajs';

export interface GroupLag {
  groupId: string;
  state: string;
  members: Array<{ clientId: string; host: string }>;
  lag: number;
  partitions: Array<{ topic: string; partition: number; committed: string; end: string; lag: number }>;
}

export interface TopicRate {
  topic: string;
  partitions: number;
  /** Records on the topic (sum of high watermarks). */
  end: string;
  /** Records per second since the previous sample, null on the first. */
  perSecond: number | null;
}

/**
 * Consumer lag per group and partition, and throughput per topic, read from the bus's admin API
 * (works the same against the embedded broker and a Kafka cluster). Rates come from two samples of
 * the topics' high watermarks: the previous call's and this one's.
 */
export class OpsStatus {
  readonly #kafka: Kafka;
  #admin: Admin | undefined;
  #connecting: Promise<Admin> | undefined;
  #previous: { at: number; ends: Map<string, bigint> } | undefined;
  readonly #clock: () => number;

  constructor(kafka: Kafka, clock: () => number = Date.now) {
    this.#kafka = kafka;
    this.#clock = clock;
  }

  async #connected(): Promise<Admin> {
    if (this.#admin !== undefined) return this.#admin;
    this.#connecting ??= (async () => {
      const admin = this.#kafka.admin();
      await admin.connect();
      this.#admin = admin;
      return admin;
    })();
    try {
      return await this.#connecting;
    } catch (error) {
      this.#connecting = undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    const admin = this.#admin;
    this.#admin = undefined;
    this.#connecting = undefined;
    await admin?.disconnect();
  }

  async read(): Promise<{ groups: GroupLag[]; topics: TopicRate[] }> {
    const admin = await this.#connected();
    const names = (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
    const endsByTopic = new Map(
      await Promise.all(
        names.map(
          async (topic) =>
            [
              topic,
              new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)])),
            ] as const,
        ),
      ),
    );
    const now = this.#clock();
    const ends = new Map([...endsByTopic].map(([t, m]) => [t, [...m.values()].reduce((a, b) => a + b, 0n)]));
    const previous = this.#previous;
    this.#previous = { at: now, ends };
    const topics: TopicRate[] = names.map((topic) => {
      const end = ends.get(topic) ?? 0n;
      const before = previous?.ends.get(topic);
      const seconds = previous === undefined ? 0 : (now - previous.at) / 1000;
      return {
        topic,
        partitions: endsByTopic.get(topic)?.size ?? 0,
        end: end.toString(),
        perSecond: before === undefined || seconds <= 0 ? null : Number(end - before) / seconds,
      };
    });

    const { groups: listed } = await admin.listGroups();
    const ids = listed.map((g) => g.groupId).sort();
    const described = ids.length === 0 ? [] : (await admin.describeGroups(ids)).groups;
    const committedByGroup = await Promise.all(
      described.map((g) => admin.fetchOffsets({ groupId: g.groupId })),
    );
    const groups = described.map((g, i): GroupLag => {
      const committed = committedByGroup[i]!;
      const partitions: GroupLag['partitions'] = [];
      for (const t of committed) {
        const topicEnds = endsByTopic.get(t.topic);
        for (const p of t.partitions) {
          const end = topicEnds?.get(p.partition) ?? 0n;
          const at = BigInt(p.offset) < 0n ? 0n : BigInt(p.offset);
          partitions.push({
            topic: t.topic,
            partition: p.partition,
            committed: p.offset,
            end: end.toString(),
            lag: Number(end > at ? end - at : 0n),
          });
        }
      }
      return {
        groupId: g.groupId,
        state: g.state,
        members: g.members.map((m) => ({ clientId: m.clientId, host: m.clientHost })),
        lag: partitions.reduce((s, p) => s + p.lag, 0),
        partitions,
      };
    });
    return { groups, topics };
  }
}
