import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Broker, type BrokerOptions } from '@hexcast/core';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';

export const TEST_BROKER_DEFAULTS: BrokerOptions = {
  host: '127.0.0.1',
  port: 0,
  dataDir: null,
  autoCreateTopics: true,
  defaultPartitions: 1,
  maxFrameBytes: 8 * 1024 * 1024,
  maxMessageBytes: 1024 * 1024,
  flush: 'batch',
  flushIntervalMs: 50,
  segmentBytes: 1024 * 1024,
  retentionMs: -1,
  retentionBytes: -1,
  compactionIntervalMs: 60_000,
  tombstoneRetentionMs: 0,
  groupInitialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 100,
  maxSessionTimeoutMs: 300_000,
};

export async function startBroker(overrides: Partial<BrokerOptions> = {}): Promise<Broker> {
  const broker = new Broker({ ...TEST_BROKER_DEFAULTS, ...overrides });
  await broker.start();
  return broker;
}

export function tempDir(prefix = 'hx-broker-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function kafkaFor(broker: Broker | string, config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'hx-test',
    brokers: [typeof broker === 'string' ? broker : broker.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 50 },
    ...config,
  });
}
