import type { Kafka } from 'kafkajs';
import { HexcastError } from '../errors/index.js';

export type ReplayFrom = { offset: string } | { timestamp: number } | { earliest: true } | { latest: true };

/** Parses `--from`: an offset, an ISO time, `earliest` or `latest`. */
export function parseReplayFrom(text: string): ReplayFrom {
  if (text === 'earliest') return { earliest: true };
  if (text === 'latest') return { latest: true };
  if (/^\d+$/.test(text)) return { offset: text };
  const ts = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ts)) {
    throw new HexcastError(
      'HX_BUS_REPLAY_INVALID',
      `--from must be an offset, an ISO time, earliest or latest: ${text}`,
    );
  }
  return { timestamp: ts };
}

/**
 * Moves a consumer group's committed offsets on one topic so its processor re-reads from there
 * at its next start. The group must have no active members.
 */
export async function replayGroup(kafka: Kafka, groupId: string, topic: string, from: ReplayFrom) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const state = groups[0]?.state ?? 'Dead';
    if (state !== 'Empty' && state !== 'Dead') {
      throw new HexcastError(
        'HX_BUS_GROUP_NOT_EMPTY',
        `group ${groupId} is ${state}; stop its consumers before replaying`,
        {
          details: { groupId, state },
        },
      );
    }
    const ends = await admin.fetchTopicOffsets(topic);
    let partitions: Array<{ partition: number; offset: string }>;
    if ('timestamp' in from) {
      partitions = await admin.fetchTopicOffsetsByTimestamp(topic, from.timestamp);
    } else if ('offset' in from) {
      partitions = ends.map((p) => ({
        partition: p.partition,
        offset: String(Math.min(Math.max(Number(from.offset), Number(p.low)), Number(p.high))),
      }));
    } else {
      partitions = ends.map((p) => ({ partition: p.partition, offset: 'earliest' in from ? p.low : p.high }));
    }
    await admin.setOffsets({ groupId, topic, partitions });
    return partitions;
  } finally {
    await admin.disconnect();
  }
}
