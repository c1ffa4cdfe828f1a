import type { Kafka } from 'kafkajs';
import type { TopicSpec } from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import { busConnectError } from './kafka.js';

/** Creates missing catalogue topics and verifies existing ones have at least the expected partitions. */
export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
  brokers: readonly string[] = [],
): Promise<{ created: string[] }> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          configEntries: s.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })),
      });
    }
    const present = specs.filter((s) => existing.has(s.name));
    if (present.length > 0) {
      const { topics } = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) });
      for (const topic of topics) {
        const spec = present.find((s) => s.name === topic.name)!;
        if (topic.partitions.length < spec.partitions) {
          throw new HexcastError(
            'HX_BUS_TOPIC_MISMATCH',
            `topic ${topic.name} has ${topic.partitions.length} partitions, the catalogue needs ${spec.partitions}`,
            {
              details: { topic: topic.name, partitions: topic.partitions.length, expected: spec.partitions },
            },
          );
        }
      }
    }
    return { created: missing.map((s) => s.name) };
  } catch (error) {
    // Refused credentials, TLS, a listener that closes us: coded errors that name the cause.
    throw busConnectError(error, brokers);
  } finally {
    await admin.disconnect();
  }
}
