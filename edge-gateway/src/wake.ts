import type { Redis } from 'ioredis';

/**
 * Tells the gateways of a region that a device has something queued. In memory (one gateway)
 * it is a local call; with Redis it is a pub/sub channel per region, so the gateway holding the
 * device's connection claims the item even when another gateway consumed it. This is Hexcast's
 * own routing (no mqemitter-redis): items never travel through MQTT between gateways, only the
 * device id does, and the claim itself is an atomic script on the shared queue.
 */
export interface WakeBus {
  publish(deviceId: string): Promise<void>;
  subscribe(handler: (deviceId: string) => void): Promise<void>;
  close(): Promise<void>;
}

export class LocalWakeBus implements WakeBus {
  #handler: ((deviceId: string) => void) | null = null;

  async publish(deviceId: string): Promise<void> {
    this.#handler?.(deviceId);
  }

  async subscribe(handler: (deviceId: string) => void): Promise<void> {
    this.#handler = handler;
  }

  async close(): Promise<void> {
    this.#handler = null;
  }
}

export class RedisWakeBus implements WakeBus {
  readonly #channel: string;
  #subscriber: Redis | null = null;

  constructor(
    readonly redis: Redis,
    namespace: string,
    prefix = 'hx:',
  ) {
    this.#channel = `${prefix}wake:{${namespace}}`;
  }

  async publish(deviceId: string): Promise<void> {
    await this.redis.publish(this.#channel, deviceId);
  }

  async subscribe(handler: (deviceId: string) => void): Promise<void> {
    const subscriber = this.redis.duplicate();
    this.#subscriber = subscriber;
    subscriber.on('message', (_channel: string, deviceId: string) => handler(deviceId));
    await subscriber.subscribe(this.#channel);
  }

  async close(): Promise<void> {
    await this.#subscriber?.quit();
    this.#subscriber = null;
  }
}
