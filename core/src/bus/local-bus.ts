import type { Kafka } from 'kafkajs';
import type { JoinRequest, JoinResponse, SyncResponse } from '../broker/index.js';

/** One partition's log, as the embedded broker holds it. */
export interface LocalPartitionLog {
  readonly highWatermark: number;
  readonly logStartOffset: number;
  /** Whole record batches from the one holding `offset`, up to `maxBytes` (at least one). */
  read(offset: number, maxBytes: number, minOne?: boolean): { chunks: Buffer[]; bytes: number };
}

/** Record batches for some partitions of some topics: a Produce request's body, unencoded. */
export type LocalProduceTopics = Array<{
  name: string;
  partitions: Array<{ index: number; records: Buffer }>;
}>;

/**
 * What a client in the embedded broker's own process uses instead of speaking Kafka to it over
 * TCP: its logs, its group coordinator (the same state machine remote members join), its wake-up
 * on append, and its produce path (the same validation, idempotence and commit a Produce request
 * gets). The broker (`core/src/broker`) is one.
 */
export interface LocalBus {
  readonly topics: {
    get(name: string): { readonly partitions: readonly LocalPartitionLog[] } | undefined;
  };
  /** The topic as a client's Metadata request finds it: created when the broker auto-creates topics. */
  topicOrAutoCreate(name: string): { readonly partitions: readonly LocalPartitionLog[] } | undefined;
  readonly groups: {
    join(request: JoinRequest): Promise<JoinResponse>;
    sync(
      groupId: string,
      generationId: number,
      memberId: string,
      assignments: Array<{ memberId: string; assignment: Buffer }>,
    ): Promise<SyncResponse>;
    heartbeat(groupId: string, generationId: number, memberId: string): number;
    leave(groupId: string, memberId: string): number;
    commit(
      groupId: string,
      generationId: number,
      memberId: string,
      entries: Array<{ topic: string; partition: number; offset: number; metadata: string | null }>,
    ): number | Promise<number>;
    fetchOffset(groupId: string, topic: string, partition: number): { offset: number } | undefined;
  };
  /** Resolves once any of the partitions is appended to (true), the timeout passes (true) or the broker closes (false). */
  waitForAppend(partitions: Array<{ topic: string; partition: number }>, timeoutMs: number): Promise<boolean>;
  /** A new idempotent producer's id and epoch (InitProducerId). */
  initProducerId(): { producerId: number; producerEpoch: number };
  /**
   * Appends one record batch per partition as a Produce request with acks=all would, and resolves
   * once every partition written is committed: the Kafka error code per partition (0 = accepted).
   */
  produce(
    topics: LocalProduceTopics,
  ): Promise<Array<{ name: string; partitions: Array<{ index: number; errorCode: number }> }>>;
}

const LOCAL = new WeakMap<Kafka, LocalBus>();

/**
 * Marks `kafka` as a client of the broker running in this process: its consumers (`ConsumerRunner`)
 * then read the broker's logs and join its groups in-process. Admin calls and remote members of
 * the same groups still go over the wire, to the same state.
 */
export function attachLocalBus(kafka: Kafka, bus: LocalBus): void {
  LOCAL.set(kafka, bus);
}

export function localBusOf(kafka: Kafka): LocalBus | undefined {
  return LOCAL.get(kafka);
}
