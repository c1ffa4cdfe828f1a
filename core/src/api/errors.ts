import type { FastifyError, FastifyInstance } from 'fastify';
import { HexcastError, isHexcastError } from '../errors/index.js';

/** Every error leaves as `{ code, message }` with the code's status; nothing internal leaks. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const error = new HexcastError(
      'HX_API_NOT_FOUND',
      `no route ${request.method} ${request.url.split('?')[0]}`,
    );
    return reply.code(error.status).send(error.toJSON());
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isHexcastError(error)) return reply.code(error.status).send(error.toJSON());
    if (error.validation !== undefined) {
      const hx = new HexcastError(
        'HX_API_VALIDATION',
        `${error.validationContext ?? 'request'} ${error.message}`,
      );
      return reply.code(400).send(hx.toJSON());
    }
    const status = error.statusCode ?? 500;
    if (status === 429)
      return reply.code(429).send(new HexcastError('HX_API_RATE_LIMITED', error.message).toJSON());
    if (status >= 400 && status < 500) {
      // Malformed JSON, wrong content type, body too large: fastify's own 4xx, coded as ours.
      return reply.code(status).send({ code: 'HX_API_VALIDATION', message: error.message, details: {} });
    }
    request.log.error({ err: error }, 'unhandled API error');
    return reply.code(500).send(new HexcastError('HX_API_INTERNAL', 'internal error').toJSON());
  });
}
