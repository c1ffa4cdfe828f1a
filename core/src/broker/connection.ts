import type { Socket } from 'node:net';
import type { Counter } from 'prom-client';
import { MalformedRequest, Reader, type Writer } from '../kafka-protocol/index.js';
import type { Logger } from '../observability/index.js';
import {
  API_BY_KEY,
  API_VERSIONS_KEY,
  API_VERSIONS_MAX,
  BEFORE_AUTHENTICATION,
  unsupportedApiVersionsResponse,
} from './apis/api-versions.js';
import type { BrokerContext, RequestHeader } from './context.js';
import type { SaslSession } from './sasl.js';

const MIN_FRAME = 8; // api_key + api_version + correlation_id
const MAX_QUEUED_FRAMES = 32;

export interface ConnectionMetrics {
  requests: Counter<'api'>;
  rejected: Counter<'reason'>;
}

export interface ConnectionOptions {
  maxFrameBytes: number;
  logger: Logger;
  metrics: ConnectionMetrics;
  /** host:port of the listener the client came in by. */
  advertised: () => { host: string; port: number };
  /** This connection's SASL state when the listener requires SASL, else null. */
  sasl: SaslSession | null;
}

/**
 * One client socket: frames are parsed with bounded lengths and handled one at a time, in
 * order (a parked Fetch or JoinGroup holds back what follows, as in Kafka).
 */
export class Connection {
  readonly #chunks: Buffer[] = [];
  #buffered = 0;
  #expected = -1;
  readonly #queue: Buffer[] = [];
  #running = false;
  #closed = false;

  constructor(
    readonly socket: Socket,
    readonly ctx: BrokerContext,
    readonly options: ConnectionOptions,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (data) => this.#onData(data));
    socket.on('error', () => undefined); // a reset peer is normal; 'close' follows
    socket.on('close', () => {
      this.#closed = true;
      this.#queue.length = 0;
    });
  }

  close(): void {
    this.#closed = true;
    this.socket.destroy();
  }

  #reject(reason: string, detail?: string): void {
    this.options.metrics.rejected.inc({ reason });
    this.options.logger.warn(
      { reason, detail, remote: this.socket.remoteAddress },
      'closing connection on bad request',
    );
    this.close();
  }

  #onData(data: Buffer): void {
    if (this.#closed) return;
    this.#chunks.push(data);
    this.#buffered += data.length;
    for (;;) {
      if (this.#expected < 0) {
        if (this.#buffered < 4) break;
        const size = this.#take(4).readInt32BE(0);
        if (size < MIN_FRAME) {
          this.#reject('malformed', `frame size ${size}`);
          return;
        }
        if (size > this.options.maxFrameBytes) {
          this.#reject('frame-too-large', `frame size ${size} > ${this.options.maxFrameBytes}`);
          return;
        }
        this.#expected = size;
      }
      if (this.#buffered < this.#expected) break;
      this.#queue.push(this.#take(this.#expected));
      this.#expected = -1;
    }
    if (this.#queue.length >= MAX_QUEUED_FRAMES) this.socket.pause();
    if (!this.#running) void this.#drain();
  }

  #take(n: number): Buffer {
    const first = this.#chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.#chunks[0]!;
        const used = Math.min(chunk.length, n - filled);
        chunk.copy(out, filled, 0, used);
        filled += used;
        if (used === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(used);
      }
    }
    this.#buffered -= n;
    return out;
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const frame = this.#queue.shift()!;
        if (this.#queue.length < MAX_QUEUED_FRAMES / 2 && this.socket.isPaused()) this.socket.resume();
        await this.#handle(frame);
        if (this.socket.writableNeedDrain && !this.#closed) {
          await new Promise<void>((resolve) => {
            const done = () => {
              this.socket.off('drain', done);
              this.socket.off('close', done);
              resolve();
            };
            this.socket.once('drain', done);
            this.socket.once('close', done);
          });
        }
      }
    } finally {
      this.#running = false;
    }
  }

  async #handle(frame: Buffer): Promise<void> {
    const r = new Reader(frame);
    let header: RequestHeader | undefined;
    try {
      const apiKey = r.int16();
      const apiVersion = r.int16();
      const correlationId = r.int32();
      if (apiKey === API_VERSIONS_KEY && apiVersion > API_VERSIONS_MAX) {
        this.options.metrics.requests.inc({ api: 'ApiVersions' });
        return this.#respond(correlationId, unsupportedApiVersionsResponse());
      }
      const spec = API_BY_KEY.get(apiKey);
      if (spec === undefined) return this.#reject('unknown-api', `api key ${apiKey}`);
      if (apiVersion < spec.minImplemented || apiVersion > spec.maxVersion) {
        return this.#reject('unsupported-version', `${spec.name} v${apiVersion}`);
      }
      const sasl = this.options.sasl;
      if (sasl !== null && !sasl.authenticated && !BEFORE_AUTHENTICATION.has(apiKey)) {
        return this.#reject('unauthenticated', `${spec.name} before SASL authentication`);
      }
      const clientId = r.nullableString(); // a plain nullable string in both header versions
      const flexible = apiVersion >= spec.flexibleFrom;
      if (flexible) r.skipTaggedFields(); // request header v2
      r.flexible = flexible;
      header = { apiKey, apiVersion, correlationId, clientId, flexible };
      this.options.metrics.requests.inc({ api: spec.name });
      const response = await spec.handler(this.ctx, r, header, {
        host: this.socket.remoteAddress ?? '',
        advertised: this.options.advertised(),
        sasl,
      });
      // A flexible body ends with its tagged fields (none), under response header v1 (tagged
      // fields too), except ApiVersions' header, always v0 (KIP-511).
      if (response !== null)
        this.#respond(correlationId, response.tags(), flexible && apiKey !== API_VERSIONS_KEY);
      if (sasl?.failed) {
        // As Kafka: a failed authentication gets its answer, then the connection ends.
        this.options.metrics.rejected.inc({ reason: 'authentication-failed' });
        this.#closed = true;
        this.socket.end();
      }
    } catch (error) {
      if (error instanceof MalformedRequest) return this.#reject('malformed', error.message);
      this.options.logger.error({ err: error, apiKey: header?.apiKey }, 'request handler failed');
      this.#reject('handler-error');
    }
  }

  #respond(correlationId: number, body: Writer, taggedHeader = false): void {
    if (this.#closed) return;
    const chunks = body.chunks();
    const head = Buffer.alloc(taggedHeader ? 9 : 8); // a tagged header ends with 0: no tagged fields
    head.writeInt32BE(head.length - 4 + body.length, 0);
    head.writeInt32BE(correlationId, 4);
    this.socket.cork();
    this.socket.write(head);
    for (const chunk of chunks) this.socket.write(chunk);
    this.socket.uncork();
  }
}
