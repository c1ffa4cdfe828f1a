import type { FastifyReply, FastifyRequest } from 'fastify';

export interface EventStream {
  /** Writes one event; a client that reads too slowly is closed (it resumes with Last-Event-ID). */
  send(event: string, data: unknown, id?: number): void;
  close(): void;
  readonly closed: boolean;
  /** Runs once the stream ends, whoever ended it. */
  onClose(listener: () => void): void;
}

export interface EventStreamOptions {
  keepAliveMs?: number;
  /** Buffered bytes past which the client is too slow and the stream is closed. */
  maxBufferedBytes?: number;
  /** The reconnect delay the client is told (`retry:`). */
  retryMs?: number;
}

/** The `Last-Event-ID` a reconnecting client sent, or 0. */
export function lastEventId(request: FastifyRequest): number {
  const id = Number(request.headers['last-event-id']);
  return Number.isInteger(id) && id > 0 ? id : 0;
}

/**
 * Takes the reply over as Server-Sent Events: the headers (no proxy buffering), a comment every
 * `keepAliveMs` so idle connections stay open, and one close path for a client that leaves and a
 * client that cannot keep up.
 */
export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  options: EventStreamOptions = {},
): EventStream {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  if (options.retryMs !== undefined) out.write(`retry: ${options.retryMs}\n\n`);
  const listeners: Array<() => void> = [];
  const maxBuffered = options.maxBufferedBytes ?? 1 << 20;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    for (const l of listeners) l();
    out.end();
  };
  const keepAlive = setInterval(() => out.write(': keep-alive\n\n'), options.keepAliveMs ?? 15_000);
  request.raw.on('close', close);
  return {
    send(event, data, id) {
      if (closed) return;
      out.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      if (out.writableLength > maxBuffered) close();
    },
    close,
    get closed() {
      return closed;
    },
    onClose(listener) {
      listeners.push(listener);
    },
  };
}
