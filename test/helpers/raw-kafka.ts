import net from 'node:net';

/** A bare Kafka-protocol socket for sending hand-built frames and reading raw responses. */
export class RawKafkaClient {
  readonly socket: net.Socket;
  #buffer = Buffer.alloc(0);
  #waiters: Array<(frame: Buffer) => void> = [];
  closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d) => {
      this.#buffer = Buffer.concat([this.#buffer, d]);
      while (this.#buffer.length >= 4 && this.#buffer.length >= 4 + this.#buffer.readInt32BE(0)) {
        const size = this.#buffer.readInt32BE(0);
        const frame = this.#buffer.subarray(4, 4 + size);
        this.#buffer = this.#buffer.subarray(4 + size);
        this.#waiters.shift()?.(frame);
      }
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static connect(port: number): Promise<RawKafkaClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawKafkaClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes raw bytes (may be an invalid frame). */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a framed request (header v1 + body) and waits for its response frame. */
  request(
    apiKey: number,
    apiVersion: number,
    correlationId: number,
    body: Buffer,
    clientId = 'raw',
  ): Promise<Buffer> {
    const head = Buffer.alloc(8 + 2 + Buffer.byteLength(clientId));
    head.writeInt16BE(apiKey, 0);
    head.writeInt16BE(apiVersion, 2);
    head.writeInt32BE(correlationId, 4);
    head.writeInt16BE(Buffer.byteLength(clientId), 8);
    head.write(clientId, 10);
    const payload = Buffer.concat([head, body]);
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    const response = this.next();
    this.socket.write(Buffer.concat([size, payload]));
    return response;
  }

  next(): Promise<Buffer> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }
}

export function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

/** Classic (non-flexible) Kafka encodings, built by hand for hand-made frames. */
export const classic = {
  i8: (v: number) => Buffer.from([v & 0xff]),
  i16: (v: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return b;
  },
  i32: (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return b;
  },
  i64: (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    return b;
  },
  str: (s: string | null) =>
    s === null ? classic.i16(-1) : Buffer.concat([classic.i16(Buffer.byteLength(s)), Buffer.from(s)]),
  bytes: (b: Buffer) => Buffer.concat([classic.i32(b.length), b]),
  arr: (items: Buffer[]) => Buffer.concat([classic.i32(items.length), ...items]),
};
