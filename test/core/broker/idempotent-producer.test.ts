import net from 'node:net';
import type { Broker } from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaFor, startBroker } from '../../helpers/broker.js';
import { startLostAckProxy } from '../../helpers/fault-proxy.js';

describe('idempotent producer', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ advertisedHost: '127.0.0.1' });
  });
  afterAll(async () => {
    await broker.close();
  });

  it('allocates a producer id and does not append a retried batch twice', async () => {
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 1 }] });
    await admin.disconnect();

    const proxy = await startLostAckProxy({ host: '127.0.0.1', port: broker.port }, 0);
    // Metadata advertises the broker itself, so route this client's sockets through the proxy.
    const kafka = kafkaFor(`127.0.0.1:${proxy.port}`, {
      socketFactory: ({ host, port, onConnect }) => {
        const target = port === broker.port ? proxy.port : port;
        const socket = net.connect({ host, port: target }, onConnect);
        socket.setKeepAlive(true, 1000);
        return socket;
      },
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: 5, initialRetryTime: 20 },
    });
    await producer.connect();
    const [first] = await producer.send({ topic: 'idem', acks: -1, messages: [{ value: 'once' }] });
    expect(proxy.fired).toBe(true);
    expect(first?.baseOffset).toBe('0');
    const [second] = await producer.send({ topic: 'idem', acks: -1, messages: [{ value: 'twice' }] });
    expect(second?.baseOffset).toBe('1');
    await producer.disconnect();
    await proxy.close();

    const log = broker.topics.get('idem')!.partitions[0]!;
    expect(log.highWatermark).toBe(2);
  });

  it('refuses transactions with a non-retriable error', async () => {
    const producer = kafkaFor(broker, { retry: { retries: 1, initialRetryTime: 10 } }).producer({
      transactionalId: 'tx-1',
      idempotent: true,
    });
    await producer.connect();
    await expect(producer.transaction()).rejects.toThrow(/authoriz|not supported|TRANSACTIONAL/i);
    await producer.disconnect();
  });
});
