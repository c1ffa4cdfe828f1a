import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnBroker } from '../../bench/broker-process.js';
import { kafkaFor } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait-for.js';

describe('hexcast broker (separate process)', () => {
  it('serves kafkajs, survives SIGTERM with its data, and comes back with it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hx-e2e-broker-'));
    let broker = await spawnBroker(['--port', '0', '--data-dir', dataDir]);
    let kafka = kafkaFor(broker.bootstrap);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'e2e',
      messages: [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ],
    });
    await producer.disconnect();
    await broker.stop();
    expect(broker.child.exitCode).toBe(0);

    broker = await spawnBroker(['--port', '0', '--data-dir', dataDir]);
    kafka = kafkaFor(broker.bootstrap);
    const values: string[] = [];
    const consumer = kafka.consumer({ groupId: 'e2e', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'e2e', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) });
    await waitFor(() => values.length === 2);
    await consumer.disconnect();
    await broker.stop();
    expect(values.sort()).toEqual(['1', '2']); // two keys, three partitions: no order across them
    rmSync(dataDir, { recursive: true, force: true });
  });
});
