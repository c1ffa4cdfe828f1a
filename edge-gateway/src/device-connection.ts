import { Duplex } from 'node:stream';
import { PUBLISH_CHANNELS, type PublishChannel } from './acl.js';

/**
 * What the gateway does with a device's QoS1 PUBLISH on its own topic, read by the connection
 * itself instead of aedes: `done(null)` acknowledges it (PUBACK), `done(error)` closes the
 * connection without acknowledging (the device resends). The payload is a view into the socket's
 * chunk: valid until `done` is called.
 */
export type PublishHandler<Owner> = (
  owner: Owner,
  channel: PublishChannel,
  payload: Buffer,
  done: (error: Error | null) => void,
) => void;

/** PUBLISH, QoS 1: the fixed header's type and QoS bits (DUP and RETAIN masked out). */
const PUBLISH_QOS1 = 0x32;
const PUBACK = 0x40;
/** A frame announced larger than this goes to aedes as it is: the connection is not read here. */
const MAX_FAST_FRAME = 256 * 1024;

/**
 * One device connection, between its socket (TCP, or a WebSocket's stream) and aedes.
 *
 * aedes (with mqtt-packet) spends more per message than the gateway's whole ingest: a parser's
 * objects, a buffer list, `debug` calls, streams and closures for every PUBLISH. The gateway's
 * hot traffic is one kind of frame: a device publishing QoS1 on its own topic (`hx/d/{id}/loc`,
 * `ev`, `ack`). Once aedes has accepted the connection (`ready`, on `clientReady`), this class
 * reads those frames itself, hands them to the gateway's handler and writes their PUBACKs (one
 * write per connection per turn). Every other frame — CONNECT, SUBSCRIBE, a device's PUBACKs for
 * its inbox, PINGREQ, DISCONNECT, anything on another topic or malformed — reaches aedes byte for
 * byte, in order. A PUBLISH is read here only while nothing is waiting for aedes on this
 * connection, so a device's messages reach the bus in the order it sent them.
 *
 * aedes refreshes its keepalive timer on the packets it reads, and it no longer reads most of
 * them: the gateway passes keepalive 0 to aedes and the connection keeps the timer itself
 * (`keepalive`), refreshed by every byte read.
 */
export class DeviceConnection<Owner> extends Duplex {
  readonly #socket: Duplex;
  readonly #handler: PublishHandler<Owner>;
  /** The socket's reading side ended: aedes gets the end once it has read what came before. */
  #ended = false;
  /** The unread end of the last chunk: a frame not complete yet. */
  #partial: Buffer | null = null;
  /**
   * Once aedes accepted the connection (MQTT 3.1/3.1.1): who it is, as the handler knows it (aedes'
   * client), and its topics' start `hx/d/{id}/` as bytes.
   */
  #ready: { owner: Owner; prefix: Buffer } | null = null;
  /** Set for good when the stream cannot be framed here (malformed, or a very large frame). */
  #passthrough = false;
  /** Messages the gateway holds (its bus is behind): reading stops until they are taken. */
  #held = 0;
  /** aedes asked for no more bytes (`push` returned false) until it reads. */
  #aedesFull = false;
  #acks: number[] = [];
  #flushScheduled = false;
  #keepalive: NodeJS.Timeout | null = null;

  constructor(socket: Duplex, handler: PublishHandler<Owner>) {
    super({ allowHalfOpen: false });
    this.#socket = socket;
    this.#handler = handler;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => {
      this.#ended = true;
      this.push(null);
    });
    socket.on('error', (error) => this.destroy(error));
    // Closed without an end (reset, destroyed): aedes hears of it now. After an end it reads
    // what is left first (a DISCONNECT, say), then ends the client itself.
    socket.on('close', () => {
      if (!this.#ended) this.destroy();
    });
  }

  /**
   * aedes accepted the connection: PUBLISHes on `hx/d/{deviceId}/…` are read here from now on.
   * Only for MQTT 3.1 and 3.1.1 (version 3, 4): an MQTT 5 PUBLISH carries properties.
   */
  ready(owner: Owner, deviceId: string, protocolVersion: number): void {
    if (protocolVersion !== 3 && protocolVersion !== 4) return;
    this.#ready = { owner, prefix: Buffer.from(`hx/d/${deviceId}/`) };
  }

  /** Closes the connection when nothing arrives for 1.5 × `seconds` (MQTT-3.1.2-24); 0: never. */
  keepalive(seconds: number): void {
    if (this.#keepalive !== null) clearTimeout(this.#keepalive);
    this.#keepalive = null;
    if (seconds <= 0) return;
    this.#keepalive = setTimeout(() => this.destroy(new Error('keep alive timeout')), seconds * 1500 + 1);
    this.#keepalive.unref();
  }

  /** The gateway holds one of this connection's messages: stop reading until it is taken. */
  hold(): void {
    this.#held++;
    this.#socket.pause();
  }

  /** A held message was taken. */
  release(): void {
    if (--this.#held === 0) this.#resume();
  }

  #resume(): void {
    if (this.#held === 0 && !this.#aedesFull && !this.destroyed) this.#socket.resume();
  }

  #onData(chunk: Buffer): void {
    this.#keepalive?.refresh();
    if (this.#passthrough) {
      this.#toAedes(chunk);
      return;
    }
    const buf = this.#partial === null ? chunk : Buffer.concat([this.#partial, chunk]);
    this.#partial = null;
    let pos = 0;
    /** Start of the frames not yet given to aedes. */
    let slowFrom = -1;
    // A message answered with an error closes the connection: what follows it is not read.
    while (pos < buf.length && !this.destroyed) {
      // Fixed header: a byte, then the remaining length (1–4 bytes, 7 bits each).
      let length = 0;
      let multiplier = 1;
      let at = pos + 1;
      let complete = false;
      for (let n = 0; n < 4 && at < buf.length; n++) {
        const byte = buf[at++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      // Incomplete with fewer than five bytes read: the rest of the length is still to come.
      if (!complete && at - pos <= 4) break;
      if (!complete || length > MAX_FAST_FRAME) {
        // Five length bytes (not MQTT: aedes closes the connection) or a very large frame: aedes
        // reads the rest of the stream.
        this.#passthroughFrom(buf, slowFrom === -1 ? pos : slowFrom);
        return;
      }
      const end = at + length;
      if (end > buf.length) break;
      if (slowFrom === -1 && this.#readHere(buf, pos, at, end)) {
        pos = end;
        continue;
      }
      if (slowFrom === -1) slowFrom = pos;
      pos = end;
    }
    if (slowFrom !== -1) this.#toAedes(buf.subarray(slowFrom, pos));
    if (pos < buf.length) this.#partial = buf.subarray(pos);
  }

  /** Handles the frame [start, end) if it is a device PUBLISH read here; false: it goes to aedes. */
  #readHere(buf: Buffer, start: number, body: number, end: number): boolean {
    const ready = this.#ready;
    if (ready === null || (buf[start]! & 0xf6) !== PUBLISH_QOS1 || this.readableLength > 0) return false;
    const { owner, prefix } = ready;
    // Too short for a topic length and a packet id: aedes refuses it (a device's bytes never throw here).
    if (end - body < 4) return false;
    const topicLength = buf.readUInt16BE(body);
    const topicStart = body + 2;
    const idAt = topicStart + topicLength;
    if (idAt + 2 > end || topicLength <= prefix.length) return false;
    if (buf.compare(prefix, 0, prefix.length, topicStart, topicStart + prefix.length) !== 0) return false;
    const channel = channelAt(buf, topicStart + prefix.length, idAt);
    const packetId = buf.readUInt16BE(idAt);
    if (channel === null || packetId === 0) return false;
    this.#handler(owner, channel, buf.subarray(idAt + 2, end), (error) => {
      if (error !== null) this.destroy(error);
      else this.#puback(packetId);
    });
    return true;
  }

  #passthroughFrom(buf: Buffer, from: number): void {
    this.#passthrough = true;
    this.#toAedes(buf.subarray(from));
  }

  #toAedes(bytes: Buffer): void {
    if (!this.push(bytes)) {
      this.#aedesFull = true;
      this.#socket.pause();
    }
  }

  #puback(packetId: number): void {
    if (this.destroyed) return;
    this.#acks.push(packetId);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(() => this.#flushAcks());
  }

  #flushAcks(): void {
    this.#flushScheduled = false;
    const acks = this.#acks;
    this.#acks = [];
    if (this.destroyed || acks.length === 0) return;
    const out = Buffer.allocUnsafe(acks.length * 4);
    for (let i = 0; i < acks.length; i++) {
      out[i * 4] = PUBACK;
      out[i * 4 + 1] = 2;
      out.writeUInt16BE(acks[i]!, i * 4 + 2);
    }
    this.#socket.write(out);
  }

  override _read(): void {
    this.#aedesFull = false;
    this.#resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#socket.write(chunk, callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this.#socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) this.#socket.write(chunks[i]!.chunk);
    this.#socket.write(chunks[chunks.length - 1]!.chunk, callback);
    this.#socket.uncork();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#keepalive !== null) clearTimeout(this.#keepalive);
    this.#acks = [];
    this.#socket.destroy();
    callback(error);
  }
}

const CHANNEL_BYTES = PUBLISH_CHANNELS.map((channel) => ({ channel, bytes: Buffer.from(channel) }));

/** The channel named by buf[start, end) (`loc`, `ev`, `ack`), or null. */
function channelAt(buf: Buffer, start: number, end: number): PublishChannel | null {
  for (const { channel, bytes } of CHANNEL_BYTES) {
    if (end - start === bytes.length && buf.compare(bytes, 0, bytes.length, start, end) === 0) return channel;
  }
  return null;
}
