import { Duplex } from 'node:stream';
import { DeviceConnection } from '@hexcast/edge-gateway';
import fc from 'fast-check';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The connection's framing alone, against mqtt-packet's encoder, with a socket double: which
 * frames it reads itself and which bytes reach aedes. The gateway's wire tests
 * (ingest-wire.test.ts, acl.test.ts, auth.test.ts) run the same code under aedes over TCP and
 * WebSocket.
 */
class SocketDouble extends Duplex {
  readonly written: Buffer[] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.written.push(chunk);
    callback();
  }
}

interface Read {
  channel: string;
  payload: Buffer;
  done: (error: Error | null) => void;
}

function connection() {
  const socket = new SocketDouble();
  const read: Read[] = [];
  const conn = new DeviceConnection<string>(socket, (owner, channel, payload, done) => {
    expect(owner).toBe('dev-1');
    read.push({ channel, payload: Buffer.from(payload), done });
  });
  const toAedes: Buffer[] = [];
  return { socket, conn, read, toAedes };
}

/** The PUBACK packet ids written to the socket, in order. */
function pubacks(socket: SocketDouble): number[] {
  const bytes = Buffer.concat(socket.written);
  const ids: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) {
    expect([bytes[i], bytes[i + 1]]).toEqual([0x40, 2]);
    ids.push(bytes.readUInt16BE(i + 2));
  }
  return ids;
}

const publish = (topic: string, qos: 0 | 1 | 2, messageId: number, payload: Buffer, flags = 0) =>
  mqttPacket.generate({
    cmd: 'publish',
    topic,
    qos,
    messageId,
    payload,
    dup: (flags & 1) === 1,
    retain: (flags & 2) === 2,
  } as Packet);

/** A frame, and whether the connection should read it itself (given nothing waits for aedes). */
const frame = fc.oneof(
  {
    arbitrary: fc.record({
      channel: fc.constantFrom('loc', 'ev', 'ack'),
      size: fc.oneof(fc.nat(300), fc.integer({ min: 16_000, max: 20_000 })),
      flags: fc.nat(3),
    }),
    weight: 4,
  },
  fc.constantFrom(
    'qos0-own',
    'qos2-own',
    'other-device',
    'inbox',
    'channel-prefix',
    'ping',
    'subscribe',
    'puback',
    'id-zero',
    'short',
  ),
);

function encode(spec: typeof frame extends fc.Arbitrary<infer T> ? T : never, id: number) {
  const payload = Buffer.alloc(typeof spec === 'string' ? 12 : spec.size, id % 251);
  if (typeof spec !== 'string') {
    return { bytes: publish(`hx/d/dev-1/${spec.channel}`, 1, id, payload, spec.flags), id, payload };
  }
  const bytes: Record<typeof spec, () => Buffer> = {
    'qos0-own': () => publish('hx/d/dev-1/loc', 0, 0, payload),
    'qos2-own': () => publish('hx/d/dev-1/loc', 2, id, payload),
    'other-device': () => publish('hx/d/dev-2/loc', 1, id, payload),
    inbox: () => publish('hx/d/dev-1/inbox', 1, id, payload),
    'channel-prefix': () => publish('hx/d/dev-1/locx', 1, id, payload),
    ping: () => mqttPacket.generate({ cmd: 'pingreq' }),
    subscribe: () =>
      mqttPacket.generate({
        cmd: 'subscribe',
        messageId: id,
        subscriptions: [{ topic: 'hx/d/dev-1/inbox', qos: 1 }],
      }),
    puback: () => mqttPacket.generate({ cmd: 'puback', messageId: id }),
    'id-zero': () => Buffer.from([0x32, 2 + 14 + 2, 0, 14, ...Buffer.from('hx/d/dev-1/loc'), 0, 0]),
    // A QoS1 PUBLISH too short to hold a topic length and a packet id (0–3 bytes): aedes refuses it.
    short: () => Buffer.from([0x32, id % 4, ...[0, 14, 0].slice(0, id % 4)]),
  };
  return { bytes: bytes[spec](), id: null, payload };
}

describe('DeviceConnection (framing, socket double)', () => {
  it('reads exactly the QoS1 PUBLISHes on the device topics, passes every other byte to aedes in order, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(frame, { minLength: 1, maxLength: 40, size: 'max' }),
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 60, size: 'max' }),
        async (specs, cuts) => {
          const { socket, conn, read, toAedes } = connection();
          conn.on('data', (chunk: Buffer) => toAedes.push(Buffer.from(chunk)));
          conn.ready('dev-1', 'dev-1', 4);
          const frames = specs.map((spec, i) => encode(spec, i + 1));
          const stream = Buffer.concat(frames.map((f) => f.bytes));
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const next = Math.min(stream.length, at + cuts[i % cuts.length]!);
            socket.push(stream.subarray(at, next));
            at = next;
            await new Promise(setImmediate);
          }
          // Each frame went one way: read here (an eligible one, its payload whole) or to aedes.
          const aedes = Buffer.concat(toAedes);
          let aedesAt = 0;
          let readAt = 0;
          const readIds: number[] = [];
          for (const f of frames) {
            const here = read[readAt];
            if (f.id !== null && here?.payload.equals(f.payload) === true) {
              readIds.push(f.id);
              readAt++;
              continue;
            }
            expect(aedes.subarray(aedesAt, aedesAt + f.bytes.length).equals(f.bytes)).toBe(true);
            aedesAt += f.bytes.length;
          }
          expect(readAt).toBe(read.length);
          expect(aedesAt).toBe(aedes.length);
          // Every frame a chunk of its own: the eligible ones are all read here, nothing else is.
          const aligned = connection();
          const alignedToAedes: Buffer[] = [];
          aligned.conn.on('data', (chunk: Buffer) => alignedToAedes.push(Buffer.from(chunk)));
          aligned.conn.ready('dev-1', 'dev-1', 4);
          for (const f of frames) {
            aligned.socket.push(f.bytes);
            await new Promise(setImmediate);
          }
          expect(aligned.read.map((r) => r.payload)).toEqual(
            frames.filter((f) => f.id !== null).map((f) => f.payload),
          );
          expect(
            Buffer.concat(alignedToAedes).equals(
              Buffer.concat(frames.filter((f) => f.id === null).map((f) => f.bytes)),
            ),
          ).toBe(true);
          aligned.conn.destroy();
          // One PUBACK each, in the order they are answered, once answered.
          expect(pubacks(socket)).toEqual([]);
          for (const r of [...read].reverse()) r.done(null);
          await new Promise(process.nextTick);
          expect(pubacks(socket)).toEqual([...readIds].reverse());
          conn.destroy();
        },
      ),
      // Up to 40 frames a run (fast-check's default size would stop at 10), ~0.7 s each here.
      { numRuns: 30 },
    );
  });

  it('reads a frame per chunk itself, every one, and answers a whole turn with one write', async () => {
    const { socket, conn, read, toAedes } = connection();
    conn.on('data', (chunk: Buffer) => toAedes.push(chunk));
    conn.ready('dev-1', 'dev-1', 4);
    for (let id = 1; id <= 5; id++) socket.push(publish('hx/d/dev-1/loc', 1, id, Buffer.from(`{"n":${id}}`)));
    await waitFor(() => read.length === 5);
    expect(toAedes).toEqual([]);
    expect(read.map((r) => r.payload.toString())).toEqual([1, 2, 3, 4, 5].map((n) => `{"n":${n}}`));
    for (const r of read) r.done(null);
    await new Promise(process.nextTick);
    expect(socket.written.length).toBe(1);
    expect(pubacks(socket)).toEqual([1, 2, 3, 4, 5]);
    conn.destroy();
  });

  it('reads nothing after a message answered with an error: the connection is closed', async () => {
    const socket = new SocketDouble();
    const read: number[] = [];
    const conn = new DeviceConnection<string>(socket, (_owner, _channel, payload, done) => {
      read.push(payload.length);
      done(new Error('the bus did not take it'));
    });
    conn.on('error', () => {});
    conn.ready('dev-1', 'dev-1', 4);
    const closed = new Promise((resolve) => conn.once('close', resolve));
    socket.push(Buffer.concat([1, 2, 3].map((id) => publish('hx/d/dev-1/loc', 1, id, Buffer.alloc(id)))));
    await closed;
    expect(read).toEqual([1]);
    expect(socket.destroyed).toBe(true);
    expect(socket.written).toEqual([]);
  });

  it('leaves everything to aedes before it is ready, for MQTT 5, and while bytes wait for aedes', async () => {
    const own = (id: number) => publish('hx/d/dev-1/loc', 1, id, Buffer.from('{}'));
    // Not ready: aedes reads it all.
    const a = connection();
    a.conn.on('data', (chunk: Buffer) => a.toAedes.push(chunk));
    a.socket.push(own(1));
    await waitFor(() => a.toAedes.length === 1);
    // MQTT 5: its PUBLISH carries properties; aedes reads it.
    a.conn.ready('dev-1', 'dev-1', 5);
    a.socket.push(own(2));
    await waitFor(() => a.toAedes.length === 2);
    expect(a.read).toEqual([]);
    a.conn.destroy();

    // aedes has not read a SUBSCRIBE yet (its side is not flowing): a PUBLISH after it goes the same way.
    const b = connection();
    b.conn.ready('dev-1', 'dev-1', 4);
    const subscribe = mqttPacket.generate({
      cmd: 'subscribe',
      messageId: 9,
      subscriptions: [{ topic: 'hx/d/dev-1/inbox', qos: 1 }],
    });
    b.socket.push(subscribe);
    await waitFor(() => b.conn.readableLength === subscribe.length);
    b.socket.push(own(3));
    await waitFor(() => b.conn.readableLength === subscribe.length + own(3).length);
    expect(b.read).toEqual([]);
    // Once aedes has read, the next one is read here again.
    expect(Buffer.concat([b.conn.read() as Buffer]).equals(Buffer.concat([subscribe, own(3)]))).toBe(true);
    b.socket.push(own(4));
    await waitFor(() => b.read.length === 1);
    b.conn.destroy();
  });

  it('hands a malformed length to aedes with everything after it, and reads nothing more itself', async () => {
    const { socket, conn, read, toAedes } = connection();
    conn.on('data', (chunk: Buffer) => toAedes.push(chunk));
    conn.ready('dev-1', 'dev-1', 4);
    const bad = Buffer.from([0x32, 0xff, 0xff, 0xff, 0xff, 0x01]);
    const after = publish('hx/d/dev-1/loc', 1, 7, Buffer.from('{}'));
    socket.push(Buffer.concat([bad, after]));
    socket.push(after);
    await waitFor(() => Buffer.concat(toAedes).length === bad.length + 2 * after.length);
    expect(read).toEqual([]);
    conn.destroy();
  });

  it('stops reading its socket while the gateway holds a message, and while aedes is full', async () => {
    const { socket, conn } = connection();
    conn.ready('dev-1', 'dev-1', 4);
    conn.hold();
    conn.hold();
    expect(socket.isPaused()).toBe(true);
    conn.release();
    expect(socket.isPaused()).toBe(true);
    conn.release();
    expect(socket.isPaused()).toBe(false);
    // aedes does not read: past its buffer's mark the socket is paused; a read resumes it.
    const ping = mqttPacket.generate({ cmd: 'pingreq' });
    for (let i = 0; i < 10_000; i++) socket.push(ping); // 20 KB: past aedes' 16 KB mark
    await waitFor(() => socket.isPaused());
    conn.read();
    await waitFor(() => !socket.isPaused());
    conn.destroy();
  });

  it('closes after 1.5 × keepalive without a byte, not while bytes arrive', async () => {
    const { socket, conn } = connection();
    conn.on('data', () => {});
    conn.keepalive(1);
    const closed = new Promise((resolve) => conn.once('close', resolve));
    let error: Error | null = null;
    conn.on('error', (e) => {
      error = e;
    });
    const started = performance.now();
    // Bytes every 0.3 s for 2 s keep it open.
    while (performance.now() - started < 2000) {
      socket.push(mqttPacket.generate({ cmd: 'pingreq' }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(conn.destroyed).toBe(false);
    }
    await closed;
    expect(String(error)).toContain('keep alive timeout');
    expect(socket.destroyed).toBe(true);
  });
});
