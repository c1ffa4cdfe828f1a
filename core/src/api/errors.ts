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
      const problems = describeValidation(error.validationContext ?? 'request', error.validation);
      const hx = new HexcastError(
        'HX_API_VALIDATION',
        problems.map((p) => `${p.in}${p.path} ${p.message}`).join('; '),
        { details: { errors: problems } },
      );
      return reply.code(400).send(hx.toJSON());
    }
    if (error.statusCode === 415)
      return reply
        .code(415)
        .send(
          new HexcastError(
            'HX_API_UNSUPPORTED_MEDIA_TYPE',
            `${error.message} (send application/json)`,
          ).toJSON(),
        );
    const status = error.statusCode ?? 500;
    if (status === 413)
      return reply.code(413).send(new HexcastError('HX_API_PAYLOAD_TOO_LARGE', error.message).toJSON());
    if (status === 429)
      return reply.code(429).send(new HexcastError('HX_API_RATE_LIMITED', error.message).toJSON());
    if (status >= 400 && status < 500) {
      // Malformed JSON and fastify's other own 4xx, coded as ours.
      return reply.code(status).send({ code: 'HX_API_VALIDATION', message: error.message, details: {} });
    }
    request.log.error({ err: error }, 'unhandled API error');
    return reply.code(500).send(new HexcastError('HX_API_INTERNAL', 'internal error').toJSON());
  });
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

export interface ValidationProblem {
  /** `body`, `querystring`, `params`, `headers`. */
  in: string;
  /** JSON pointer into it (`/offer/budget`); a missing property's own name is appended. */
  path: string;
  message: string;
  /** For a value that must be one of a few: all of them. */
  allowed?: unknown[];
}

/**
 * Every problem of a request at once (ajv runs with allErrors), one per field: a union of
 * literals reports its allowed values together instead of one "must be equal to constant" each.
 */
export function describeValidation(where: string, issues: readonly AjvIssue[]): ValidationProblem[] {
  const byPath = new Map<string, ValidationProblem>();
  for (const issue of issues) {
    const missing = issue.keyword === 'required' ? `/${String(issue.params.missingProperty)}` : '';
    const extra =
      issue.keyword === 'additionalProperties' ? `/${String(issue.params.additionalProperty)}` : '';
    const path = `${issue.instancePath}${missing}${extra}`;
    const known = byPath.get(path);
    if (issue.keyword === 'const') {
      const allowed = [...(known?.allowed ?? []), issue.params.allowedValue];
      byPath.set(path, {
        in: where,
        path,
        message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`,
        allowed,
      });
      continue;
    }
    if (issue.keyword === 'anyOf' && known?.allowed !== undefined) continue; // said by its branches
    if (known !== undefined) continue; // the first problem per field is the one to fix
    const message =
      issue.keyword === 'required'
        ? 'is required'
        : issue.keyword === 'additionalProperties'
          ? 'is not a known field'
          : (issue.message ?? issue.keyword);
    byPath.set(path, { in: where, path, message });
  }
  return [...byPath.values()];
}
