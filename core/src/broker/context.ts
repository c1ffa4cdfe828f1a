import { type Reader, Writer } from '../kafka-protocol/index.js';
import type { Logger } from '../observability/index.js';
import type { GroupCoordinator } from './groups/coordinator.js';
import type { Topic, TopicConfig, TopicStore } from './log/topic-store.js';
import type { ProducerState } from './producer-state.js';
import type { SaslSession } from './sasl.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** A flexible version (KIP-482): the request was read, and the response is written, compact with tags. */
  flexible: boolean;
}

/** Operations a client may do, when it asks (Metadata v8+, DescribeGroups v3+): INT32_MIN means "not computed". */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** The response body's writer, in the request's encoding. */
export function responseWriter(header: RequestHeader, initial = 256): Writer {
  return new Writer(initial, header.flexible);
}

/** What every API handler can reach; one per broker. */
export interface BrokerContext {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly topics: TopicStore;
  readonly groups: GroupCoordinator;
  readonly producers: ProducerState;
  readonly logger: Logger;
  readonly settings: {
    autoCreateTopics: boolean;
    defaultPartitions: number;
    maxMessageBytes: number;
    maxPartitionsPerTopic: number;
  };
  now(): number;
  createTopic(name: string, config: Partial<TopicConfig>): Topic;
  /** Tells fetches parked on this partition that `bytes` were appended (and are readable). */
  notifyAppend(topic: string, partition: number, bytes?: number): void;
  /**
   * Parks until appends to the partitions add up to `minBytes` (default 1: any append), or the
   * timeout: then true. False when the broker is closing (at once if it already is): a fetch
   * answers with what it has, never parks again.
   */
  waitForAppend(
    partitions: Array<{ topic: string; partition: number }>,
    timeoutMs: number,
    minBytes?: number,
  ): Promise<boolean>;
}

export interface ClientInfo {
  host: string;
  /** host:port of the listener this client connected to: what Metadata and FindCoordinator answer. */
  advertised: { host: string; port: number };
  /** The connection's SASL state when the broker requires SASL, else null. */
  sasl: SaslSession | null;
}

/** Decodes one request body and builds the response body; null means "send no response" (acks=0). */
export type ApiHandler = (
  ctx: BrokerContext,
  request: Reader,
  header: RequestHeader,
  client: ClientInfo,
) => Writer | null | Promise<Writer | null>;
