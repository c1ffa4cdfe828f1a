import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import {
  attachLocalBus,
  BusProducer,
  busSecurity,
  createKafka,
  ensureTopics,
  kafkaBrokers,
  type LocalBus,
} from '../bus/index.js';
import type { HexcastConfig } from '../config/index.js';
import {
  createEventRegistry,
  type EventRegistry,
  type EventType,
  topicCatalogue,
} from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import type { Component } from '../lifecycle/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import { openRecords, type Records } from '../records/index.js';
import { openRedis } from '../redis/index.js';
import type { Port, Provided, Provision } from './ports.js';

/** What the context takes from each capability: its events and the ports it provides. */
export interface Wiring {
  readonly events?: readonly EventType[];
  readonly provides?: readonly Provision<unknown, ServiceContext>[];
}

/**
 * What every service of one process shares: config, logging, metrics, the bus, the records
 * database and Redis (opened on first use, one each), and the ports capabilities provide to each
 * other (one fence catalogue per process, whoever asks first).
 */
export class ServiceContext {
  readonly registry: EventRegistry;
  readonly kafka: Kafka;
  readonly producer: BusProducer;
  /** Where this process's services listen (`api`, `mqtt`, `ws`, …), filled in as they start. */
  readonly addresses = new Map<string, string>();
  readonly #providers = new Map<string, (ctx: ServiceContext) => Provided<unknown>>();
  readonly #provided = new Map<string, Provided<unknown>>();
  #records: Promise<Records> | undefined;
  readonly #brokers: string[];
  #redis: Redis | null | undefined;

  constructor(
    readonly config: Readonly<HexcastConfig>,
    readonly logger: Logger,
    readonly metrics: Metrics,
    capabilities: readonly Wiring[] = [],
    embeddedBootstrap?: string,
    /** The broker of this process, when there is one: consumers then read it in-process. */
    local?: LocalBus,
  ) {
    const bootstrap = embeddedBootstrap ? { embeddedBootstrap } : {};
    // Read once (PEM files) for both clients: kafkajs and the producer.
    const security = busSecurity(config);
    this.kafka = createKafka({ config, logger, security, ...bootstrap });
    if (local !== undefined) attachLocalBus(this.kafka, local);
    this.registry = createEventRegistry();
    for (const c of capabilities) {
      for (const e of c.events ?? []) this.registry.register(e);
      for (const p of c.provides ?? [])
        this.#providers.set(p.port.name, p.make as (ctx: ServiceContext) => Provided<unknown>);
    }
    this.#brokers = kafkaBrokers({ config, ...bootstrap });
    this.producer = new BusProducer({
      brokers: this.#brokers,
      security,
      clientId: config.kafka.clientId,
      registry: this.registry,
      metrics,
    });
  }

  /** The value a capability provides for `port`, made once per process. */
  use<T>(p: Port<T>): T {
    let provided = this.#provided.get(p.name);
    if (provided === undefined) {
      const make = this.#providers.get(p.name);
      if (make === undefined)
        throw new HexcastError('HX_CONFIG_INVALID', `no capability of this process provides ${p.name}`);
      provided = make(this);
      this.#provided.set(p.name, provided);
    }
    return provided.value as T;
  }

  /** Whether a capability of this process provides `p` (a pipeline left out of the build does not). */
  provides(p: Port<unknown>): boolean {
    return this.#providers.has(p.name);
  }

  /** The records database, opened on first use and shared (PGlite allows one opener). */
  records(): Promise<Records> {
    this.#records ??= openRecords(this.config, this.logger);
    return this.#records;
  }

  /** The Redis command connection when REDIS_URL is set (one per process), else null. */
  redis(): Redis | null {
    if (this.#redis === undefined) this.#redis = openRedis(this.config);
    return this.#redis;
  }

  /**
   * What the process must start before its services and close after them: the topic catalogue
   * check, the producer, and the components behind the ports used so far. Call it after the
   * services are built (building them is what uses the ports).
   */
  foundation(): Component[] {
    const provided = [...this.#provided.values()].flatMap((p) => p.components ?? []);
    return [this.#connections(), this.#topics(), this.producer, ...provided];
  }

  #connections(): Component {
    return {
      name: 'connections',
      start: async () => undefined,
      close: async () => {
        const records = this.#records;
        this.#records = undefined;
        if (records !== undefined) await (await records).close();
        const redis = this.#redis;
        this.#redis = undefined;
        if (redis) await redis.quit();
      },
    };
  }

  #topics(): Component {
    return {
      name: 'topic-catalogue',
      start: async () => {
        const { created } = await ensureTopics(
          this.kafka,
          topicCatalogue([this.config.region]),
          this.#brokers,
        );
        this.logger.info({ created: created.length }, 'topic catalogue ready');
      },
      close: async () => undefined,
    };
  }
}
