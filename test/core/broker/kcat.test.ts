import { type Broker, readBatchHeader } from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaFor, startBroker } from '../../helpers/broker.js';
import { kcat } from '../../helpers/kcat.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('kcat (librdkafka) against the embedded broker', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker.close();
  });

  it('-L lists the broker, the controller and topics', async () => {
    await kcat(broker.bootstrap, ['-P', '-t', 'kcat-list'], 'x\n');
    const out = await kcat(broker.bootstrap, ['-L']);
    expect(out).toContain(`broker 0 at ${broker.bootstrap} (controller)`);
    expect(out).toMatch(/topic "kcat-list" with 1 partitions/);
  });

  it.each(['none', 'gzip', 'lz4', 'zstd'])(
    '-P -z %s stores the batch opaquely and reads it back',
    async (codec) => {
      const topic = `kcat-${codec}`;
      // Compressible values: librdkafka sends a batch uncompressed when compression would not shrink it.
      const values = [1, 2, 3].map((i) => `v${i}-${'hexcast'.repeat(40)}`);
      await kcat(
        broker.bootstrap,
        ['-P', '-t', topic, '-K:', '-z', codec],
        values.map((v, i) => `k${i + 1}:${v}\n`).join(''),
      );
      const out = await kcat(broker.bootstrap, [
        '-C',
        '-t',
        topic,
        '-o',
        'beginning',
        '-e',
        '-f',
        '%k=%s\\n',
      ]);
      expect(out.trim().split('\n')).toEqual(values.map((v, i) => `k${i + 1}=${v}`));
      const log = broker.topics.get(topic)!.partitions[0]!;
      const stored = readBatchHeader(Buffer.concat(log.read(0, 1 << 20).chunks))!;
      expect(stored.codec).toBe({ none: 0, gzip: 1, lz4: 3, zstd: 4 }[codec]);
      if (codec === 'none' || codec === 'gzip') {
        const kafka = kafkaFor(broker);
        const consumer = kafka.consumer({ groupId: `kjs-${codec}`, maxWaitTimeInMs: 100 });
        const received: string[] = [];
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void received.push(String(message.value)) });
        await waitFor(() => received.length === 3);
        await consumer.disconnect();
        expect(received).toEqual(values);
      }
    },
  );

  it('-C -o -5 -e reads the tail; -Q finds offsets by time', async () => {
    const kafka = kafkaFor(broker);
    const producer = kafka.producer();
    await producer.connect();
    const base = Date.now() - 100_000;
    await producer.send({
      topic: 'kcat-tail',
      messages: Array.from({ length: 10 }, (_, i) => ({
        value: `m${i}`,
        timestamp: String(base + i * 1000),
      })),
    });
    await producer.disconnect();
    const tail = await kcat(broker.bootstrap, ['-C', '-t', 'kcat-tail', '-o', '-5', '-e', '-f', '%s\\n']);
    expect(tail.trim().split('\n')).toEqual(['m5', 'm6', 'm7', 'm8', 'm9']);
    const q = await kcat(broker.bootstrap, ['-Q', '-t', `kcat-tail:0:${base + 3500}`]);
    expect(q).toMatch(/kcat-tail \[0\]\s+offset 4/);
  });

  it('-G twice: the second run prints nothing new (offsets committed on close)', async () => {
    await kcat(broker.bootstrap, ['-P', '-t', 'kcat-group'], 'a\nb\nc\n');
    const args = ['-G', 'kcat-g', '-X', 'auto.offset.reset=earliest', '-e', '-f', '%s\\n', 'kcat-group'];
    const first = await kcat(broker.bootstrap, args);
    expect(first.trim().split('\n')).toEqual(['a', 'b', 'c']);
    const second = await kcat(broker.bootstrap, args);
    expect(second.trim()).toBe('');
    await kcat(broker.bootstrap, ['-P', '-t', 'kcat-group'], 'd\n');
    const third = await kcat(broker.bootstrap, args);
    expect(third.trim()).toBe('d');
  });

  it('kafkajs → kcat and kcat → kafkajs are byte-identical (keys, values, headers)', async () => {
    const kafka = kafkaFor(broker);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'cross-kjs',
      messages: [
        { key: 'clé-1', value: 'välue ✓ 1', headers: { h1: 'x', 'trace-id': 'abc' } },
        { key: 'k2', value: '{"json":true}', headers: { h1: 'y' } },
      ],
    });
    await producer.disconnect();
    const fromKcat = await kcat(broker.bootstrap, [
      '-C',
      '-t',
      'cross-kjs',
      '-o',
      'beginning',
      '-e',
      '-f',
      '%k|%s|%h\\n',
    ]);
    expect(fromKcat.trim().split('\n')).toEqual([
      'clé-1|välue ✓ 1|h1=x,trace-id=abc',
      'k2|{"json":true}|h1=y',
    ]);

    await kcat(
      broker.bootstrap,
      ['-P', '-t', 'cross-kcat', '-K', '|', '-H', 'origin=kcat', '-H', 'n=1'],
      'ключ|значение ✓\nk|v\n',
    );
    const consumer = kafka.consumer({ groupId: 'cross-kjs-reader', maxWaitTimeInMs: 100 });
    const got: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'cross-kcat', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) =>
        void got.push({
          key: String(message.key),
          value: String(message.value),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        }),
    });
    await waitFor(() => got.length === 2);
    await consumer.disconnect();
    expect(got).toEqual([
      { key: 'ключ', value: 'значение ✓', headers: { origin: 'kcat', n: '1' } },
      { key: 'k', value: 'v', headers: { origin: 'kcat', n: '1' } },
    ]);
  });
});
