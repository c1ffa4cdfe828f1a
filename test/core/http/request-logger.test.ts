import { Writable } from 'node:stream';
import { createLogger, lazyRequestLogger } from '@hexcast/core';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';

describe('lazyRequestLogger (Fastify childLoggerFactory)', () => {
  const apps: Array<{ close(): Promise<unknown> }> = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    vi.restoreAllMocks();
  });

  it('makes no pino child for a request that does not log, and a real one, request id bound, for one that does', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger(
      {},
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()));
          done();
        },
      }),
    );
    const app = Fastify({
      loggerInstance: logger as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
      childLoggerFactory: lazyRequestLogger,
    });
    apps.push(app);
    app.get('/quiet', async (request) => ({ level: request.log.level }));
    app.get('/loud', async (request) => {
      request.log.info({ token: 'hx_secret' }, 'hello');
      return { id: request.id };
    });
    // Children made from here on (the server's own, if any, are made before).
    await app.ready();
    const child = vi.spyOn(logger, 'child');
    for (let i = 0; i < 20; i++) {
      const res = await app.inject({ method: 'GET', url: '/quiet' });
      expect(res.json()).toEqual({ level: 'info' });
    }
    expect(child).not.toHaveBeenCalled();
    const loud = await app.inject({ method: 'GET', url: '/loud' });
    expect(child).toHaveBeenCalledTimes(1);
    const line = lines.find((l) => l.msg === 'hello');
    // The request id bound as Fastify binds it, and the logger's redaction still applies.
    expect(line).toMatchObject({ reqId: loud.json().id, token: '[redacted]', level: 30 });
  });
});
