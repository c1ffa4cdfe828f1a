export { ERROR_CODES, type ErrorCode, type ErrorSpec } from './codes.js';
export { HexcastError, type HexcastErrorOptions, isHexcastError, toHexcastError } from './hexcast-error.js';
