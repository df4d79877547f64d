import type { Format } from './format.contract.js';

/**
 * The record exactly as received: the bytes of its blob array element, not
 * re-serialized, so key order, spacing and number forms are preserved.
 *
 * @example
 * rawFormat.encode(toFormatInput('{"Id":"1"}')); // '{"Id":"1"}'
 */
export const rawFormat: Format = {
  id: 'raw',
  contentType: 'application/json',
  encode: (input) => input.raw,
};
