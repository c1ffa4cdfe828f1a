/**
 * Where the gateway meets aedes, through its supported extension points only — the `persistence`
 * and `mq` options — never by replacing methods on the broker. Pinned by
 * test/edge-gateway/aedes-adapter.test.ts, which fails loudly if an aedes upgrade changes what
 * these hooks see.
 *
 * - PUBACKs: for clean sessions aedes keeps no outgoing packet, and a PUBACK's packet id reaches
 *   nothing but `persistence.outgoingClearMessageId`: that is where delivery is confirmed.
 * - Routing: a device's PUBLISH ends on the bus (the gateway's `authorizePublish`); nobody may
 *   subscribe to device topics (the ACL), so matching them against subscriptions — a topic
 *   split, a trie walk and a persistence look-up per message — finds nothing, every time. The
 *   adapter answers those look-ups for device topics at once, and stores no retained device message.
 */
import { PUBLISH_CHANNELS } from '@hexcast/mobile-sdk/protocol';
import type { Client } from 'aedes';
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';
import mqemitter from 'mqemitter';

type MQEmitter = mqemitter.MQEmitter;

/** `hx/d/{id}/loc|ev|ack`: what devices publish (their inbox is not among them). */
export function isDevicePublishTopic(topic: string): boolean {
  if (!topic.startsWith('hx/d/')) return false;
  const slash = topic.lastIndexOf('/');
  return slash > 5 && (PUBLISH_CHANNELS as readonly string[]).includes(topic.slice(slash + 1));
}

type AedesPacketLike = Parameters<MemoryPersistence['storeRetained']>[0];

/** aedes' in-memory persistence, telling the gateway of each PUBACK and skipping device topics. */
export class GatewayPersistence extends MemoryPersistence {
  constructor(readonly onPuback: (client: Client, messageId: number) => void) {
    super();
  }

  override async outgoingClearMessageId(client: Client, packet: { messageId?: number }) {
    if (packet.messageId !== undefined) this.onPuback(client, packet.messageId);
    return super.outgoingClearMessageId(
      client,
      packet as Parameters<MemoryPersistence['outgoingClearMessageId']>[1],
    );
  }

  override async subscriptionsByTopic(topic: string) {
    if (isDevicePublishTopic(topic)) return [];
    return super.subscriptionsByTopic(topic);
  }

  override async storeRetained(packet: AedesPacketLike) {
    if ('topic' in packet && isDevicePublishTopic(packet.topic)) return;
    return super.storeRetained(packet);
  }
}

/** aedes' default emitter (with the options aedes gives it), not matching device topics. */
export class GatewayEmitter implements MQEmitter {
  readonly #inner: MQEmitter;

  constructor(concurrency = 100) {
    this.#inner = mqemitter({ concurrency, matchEmptyLevels: true });
  }

  get current(): number {
    return this.#inner.current;
  }

  get concurrent(): number {
    return this.#inner.concurrent;
  }

  on(topic: string, listener: Listener, callback?: () => void): this {
    this.#inner.on(topic, listener, callback);
    return this;
  }

  emit(message: mqemitter.Message, callback?: (error?: Error) => void): void {
    if (isDevicePublishTopic(message.topic)) callback?.();
    else this.#inner.emit(message, callback);
  }

  removeListener(topic: string, listener: Listener, callback?: () => void): void {
    this.#inner.removeListener(topic, listener, callback);
  }

  close(callback: () => void): void {
    this.#inner.close(callback);
  }
}

type Listener = (message: mqemitter.Message, done: () => void) => void;
