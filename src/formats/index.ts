/**
 * The format registry: every output format by id, and the one way to build
 * their input from a stored record.
 */
import { normalize } from '../schema/index.js';
import { ecsFormat } from './ecs.js';
import type { Format, FormatId, FormatInput } from './format.contract.js';
import { ocsfFormat } from './ocsf.js';
import { rawFormat } from './raw.js';
import { cefFormat } from './cef.js';
import { leefFormat } from './leef.js';
import { sentinelFormat } from './sentinel.js';
import { splunkFormat } from './splunk.js';

export type { Format, FormatId, FormatInput } from './format.contract.js';

/** Every registered format, in documentation order. */
export const FORMATS: readonly Format[] = [
  ecsFormat,
  ocsfFormat,
  cefFormat,
  leefFormat,
  splunkFormat,
  sentinelFormat,
  rawFormat,
];

/** The format with this id, or undefined when none is registered. */
export function getFormat(id: string): Format | undefined {
  return FORMATS.find((f) => f.id === id);
}

/** Ids of the registered formats. */
export function formatIds(): FormatId[] {
  return FORMATS.map((f) => f.id);
}

/**
 * Parses and normalizes one record as received. Text that is not JSON still
 * yields an input (record `null`, a generic event whose `invalidReason` says
 * why), so encoding never loses a record.
 *
 * @example
 * const input = toFormatInput(stored.raw);
 * getFormat('ecs')?.encode(input);
 */
export function toFormatInput(raw: string): FormatInput {
  let record: unknown;
  try {
    record = JSON.parse(raw) as unknown;
  } catch (err) {
    const { event } = normalize(null);
    const reason = `record is not JSON: ${err instanceof Error ? err.message : String(err)}`;
    return { raw, record: null, event: { ...event, invalidReason: reason } };
  }
  return { raw, record, event: normalize(record).event };
}
