import { readFileSync } from 'node:fs';
import { ERROR_CODES, HexcastError, isHexcastError, toHexcastError } from '@hexcast/core';
import { GATEWAY_CODES, SDK_ERROR_CODES } from '@hexcast/mobile-sdk';
import { describe, expect, it } from 'vitest';

const [docs = '', sdkDocs = ''] = readFileSync(
  new URL('../../../docs/errors.md', import.meta.url),
  'utf8',
).split('## SDK error codes');
const codesIn = (text: string) => new Set([...text.matchAll(/^\|\s*`(HX_[A-Z0-9_]+)`/gm)].map((m) => m[1]));
const documented = codesIn(docs);

describe('error codes', () => {
  it.each(Object.keys(ERROR_CODES))('%s is documented in docs/errors.md', (code) => {
    expect(documented.has(code)).toBe(true);
  });

  it('documents every SDK code, and no other, in its own table', () => {
    expect([...codesIn(sdkDocs)].sort()).toEqual([...SDK_ERROR_CODES].sort());
  });

  it('every refusal code of the device protocol is a gateway error code', () => {
    expect(GATEWAY_CODES.filter((code) => !(code in ERROR_CODES))).toEqual([]);
  });

  it('docs/errors.md lists no code that does not exist', () => {
    const extra = [...documented].filter((code) => !(code! in ERROR_CODES));
    expect(extra).toEqual([]);
  });

  it('documents the status and retriability the code declares', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${code}\``));
      expect(row, code).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      expect(cells[2], code).toBe(String(spec.status));
      expect(cells[3], code).toBe(spec.retriable ? 'yes' : 'no');
    }
  });

  it('codes follow HX_<AREA>_<NAME>', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^HX_[A-Z0-9]+_[A-Z0-9_]+$/);
  });

  it('HexcastError carries code, status, retriable and a cause', () => {
    const cause = new Error('socket closed');
    const error = new HexcastError('HX_BUS_CONNECT_FAILED', 'cannot reach broker', {
      cause,
      details: { host: 'x' },
    });
    expect(error.status).toBe(503);
    expect(error.retriable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toEqual({
      code: 'HX_BUS_CONNECT_FAILED',
      message: 'cannot reach broker',
      details: { host: 'x' },
    });
    expect(isHexcastError(error, 'HX_BUS_CONNECT_FAILED')).toBe(true);
    expect(isHexcastError(error, 'HX_CONFIG_INVALID')).toBe(false);
    expect(new HexcastError('HX_BUS_CONNECT_FAILED', 'x', { retriable: false }).retriable).toBe(false);
    const wrapped = toHexcastError(new TypeError('boom'), 'HX_BUS_HANDLER_FAILED');
    expect(wrapped.code).toBe('HX_BUS_HANDLER_FAILED');
    expect(wrapped.message).toBe('boom');
    expect(toHexcastError(error, 'HX_BUS_HANDLER_FAILED')).toBe(error);
  });
});
