import { type Broker, encodeBatch } from '@hexcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { classic, RawKafkaClient } from '../../helpers/raw-kafka.js';

const { i8, i16, i32, i64, str, bytes } = classic;
const cat = (...parts: Buffer[]) => Buffer.concat(parts);

function header(apiKey: number, version: number, correlationId: number): Buffer {
  return cat(i16(apiKey), i16(version), i32(correlationId), str('fuzz'));
}

const batch = encodeBatch({
  baseOffset: 0,
  records: [{ timestamp: 1, key: Buffer.from('k'), value: Buffer.from('v'), headers: [] }],
});
const SEEDS: Array<[number, number, Buffer]> = [
  [18, 2, Buffer.alloc(0)],
  [3, 6, cat(i32(1), str('fuzz-t'), i8(1))],
  [0, 7, cat(i16(-1), i16(1), i32(1000), i32(1), str('fuzz-t'), i32(1), i32(0), bytes(batch))],
  [
    1,
    11,
    cat(
      i32(-1),
      i32(0),
      i32(1),
      i32(1 << 20),
      i8(0),
      i32(0),
      i32(-1),
      i32(1),
      str('fuzz-t'),
      i32(1),
      i32(0),
      i32(-1),
      i64(0),
      i64(0),
      i32(1 << 20),
      i32(0),
      str(''),
    ),
  ],
  [2, 3, cat(i32(-1), i8(0), i32(1), str('fuzz-t'), i32(1), i32(0), i64(-1))],
  [10, 2, cat(str('fuzz-g'), i8(0))],
  [
    11,
    5,
    cat(
      str('fuzz-g'),
      i32(10_000),
      i32(1000),
      str(''),
      i16(-1),
      str('consumer'),
      i32(1),
      str('range'),
      bytes(Buffer.alloc(4)),
    ),
  ],
  [8, 5, cat(str('fuzz-g'), i32(-1), str(''), i32(1), str('fuzz-t'), i32(1), i32(0), i64(1), i16(-1))],
  [9, 4, cat(str('fuzz-g'), i32(-1))],
  [19, 3, cat(i32(1), str('fuzz-new'), i32(2), i16(1), i32(0), i32(0), i32(100), i8(0))],
  [15, 2, cat(i32(1), str('fuzz-g'))],
  [22, 1, cat(i16(-1), i32(1000))],
];

describe('broker fuzzing', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ maxFrameBytes: 1 << 20 });
  });
  afterAll(async () => {
    await broker.close();
  });

  it('survives thousands of random and mutated frames and keeps serving', async () => {
    let seed = 0x5eed;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const heapBefore = process.memoryUsage().heapUsed;
    const outcomes = { answered: 0, closed: 0, parked: 0 };
    for (let round = 0; round < 150; round++) {
      const client = await RawKafkaClient.connect(broker.port);
      for (let k = 0; k < 20; k++) {
        const [apiKey, version, body] = SEEDS[rand(SEEDS.length)]!;
        let payload = cat(header(apiKey, version, round * 100 + k), body);
        switch (rand(5)) {
          case 0: // flip bytes
            payload = Buffer.from(payload);
            for (let f = 0; f < 1 + rand(4); f++) payload[rand(payload.length)] = rand(256);
            break;
          case 1: // truncate
            payload = payload.subarray(0, rand(payload.length));
            break;
          case 2: // random garbage
            payload = Buffer.from(Array.from({ length: rand(200) }, () => rand(256)));
            break;
          case 3: // huge declared lengths inside
            payload = Buffer.from(payload);
            if (payload.length > 14)
              payload.writeInt32BE(0x7fffffff - rand(1000), 10 + rand(payload.length - 14));
            break;
          default: // valid seed
        }
        const framed = cat(i32(rand(10) === 0 ? rand(1 << 30) : payload.length), payload);
        client.write(framed);
      }
      // A valid probe last: requests are handled in order, so its answer means every frame
      // before it was processed; a close means the broker rejected one of them.
      const probeId = 900_000 + round;
      const answered = client.request(18, 2, probeId, Buffer.alloc(0)).then(() => 'answered' as const);
      const closed = client.closed.then(() => 'closed' as const);
      let timer: NodeJS.Timeout | undefined;
      const parked = new Promise<'parked'>((resolve) => {
        timer = setTimeout(() => resolve('parked'), 1000);
      });
      outcomes[await Promise.race([answered, closed, parked])]++;
      clearTimeout(timer);
      client.close();
    }
    expect(outcomes.answered).toBeGreaterThan(0);
    expect(outcomes.closed).toBeGreaterThan(0);
    // Still healthy: a fresh connection gets answers.
    const probe = await RawKafkaClient.connect(broker.port);
    const res = await probe.request(18, 2, 424242, Buffer.alloc(0));
    expect(res.readInt32BE(0)).toBe(424242);
    const meta = await probe.request(3, 6, 424243, cat(i32(-1), i8(0)));
    expect(meta.readInt32BE(0)).toBe(424243);
    probe.close();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(heapGrowth).toBeLessThan(256 * 1024 * 1024);
  });
});
