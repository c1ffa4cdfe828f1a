import type { ClickSession } from '@hexcast/models';
import type { Kafka } from 'kafkajs';
import { DeviceClick, type EventRegistry, TOPICS } from '../envelope/index.js';

/**
 * The click sessions on `hx.clicks` since `since` (ms): every partition read from its offset at
 * that time to its end offset when the call began, with a consumer of its own (no group offsets
 * committed). Records that do not decode are skipped and counted. What `hexcast recs train
 * --from-bus` trains on, so a scheduled job can retrain on the live clickstream.
 */
export async function readClickSessions(
  kafka: Kafka,
  registry: EventRegistry,
  since: number,
): Promise<{ sessions: ClickSession[]; clicks: number; skipped: number }> {
  const topic = TOPICS.clicks.name;
  const admin = kafka.admin();
  await admin.connect();
  let starts: Array<{ partition: number; offset: string }>;
  let ends: Array<{ partition: number; high: string }>;
  try {
    starts = await admin.fetchTopicOffsetsByTimestamp(topic, since);
    ends = (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, high: p.high }));
  } finally {
    await admin.disconnect();
  }
  // Per partition, the next offset still to read; a partition is done at its end offset.
  const left = new Map<number, bigint>();
  for (const e of ends) {
    const start = BigInt(starts.find((s) => s.partition === e.partition)?.offset ?? e.high);
    const startAt = start < 0n ? BigInt(e.high) : start;
    if (startAt < BigInt(e.high)) left.set(e.partition, BigInt(e.high));
  }
  const byId = new Map<string, Array<{ item: string; ts: number }>>();
  let clicks = 0;
  let skipped = 0;
  if (left.size > 0) {
    const consumer = kafka.consumer({
      groupId: `hx-recs-train-${process.pid}-${Date.now()}`,
      maxWaitTimeInMs: 200,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const end = left.get(batch.partition);
          if (end === undefined) return;
          for (const message of batch.messages) {
            if (BigInt(message.offset) >= end) break;
            try {
              const envelope = registry.decode(message.value);
              if (envelope.type === DeviceClick.type) {
                const d = envelope.data as { sessionId: string; productId: string };
                let list = byId.get(d.sessionId);
                if (list === undefined) {
                  list = [];
                  byId.set(d.sessionId, list);
                }
                list.push({ item: d.productId, ts: envelope.ts });
                clicks++;
              }
            } catch {
              skipped++;
            }
          }
          const last = batch.messages[batch.messages.length - 1];
          if (last !== undefined && BigInt(last.offset) + 1n >= end) left.delete(batch.partition);
          if (left.size === 0) finish();
        },
      });
      for (const s of starts)
        if (left.has(s.partition)) consumer.seek({ topic, partition: s.partition, offset: s.offset });
      await done;
    } finally {
      await consumer.disconnect();
    }
  }
  const sessions: ClickSession[] = [...byId].map(([id, list]) => {
    list.sort((a, b) => a.ts - b.ts);
    return { id, items: list.map((c) => c.item), times: list.map((c) => c.ts / 1000) };
  });
  return { sessions, clicks, skipped };
}
