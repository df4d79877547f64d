/**
 * A sink's `filter:` as a predicate over stored records: record types, or the Defender report kinds with
 * the same meaning as `atp-siem events --type` (src/store EVENT_KINDS): malware = mails (28) whose verdict
 * mentions malware, and every file detection (47); phish = mails (28) whose verdict mentions phish;
 * url-click = 41; file = 47; investigation = 64. An empty filter takes every record.
 */
import type { SinkFilter } from '../sinks/config.js';
import type { StoredRecord } from '../store/types.js';

function mentions(verdict: string | null, word: string): boolean {
  return verdict !== null && verdict.toLowerCase().includes(word);
}

const KIND_TESTS: Record<SinkFilter['kinds'][number], (r: StoredRecord) => boolean> = {
  malware: (r) =>
    (r.index.recordType === 28 && mentions(r.index.verdict, 'malware')) || r.index.recordType === 47,
  phish: (r) => r.index.recordType === 28 && mentions(r.index.verdict, 'phish'),
  'url-click': (r) => r.index.recordType === 41,
  file: (r) => r.index.recordType === 47,
  investigation: (r) => r.index.recordType === 64,
};

/**
 * The predicate of a filter: a record passes when it matches any listed record type or any listed kind.
 * @example const keep = recordFilter({ recordTypes: [], kinds: ['phish'] }); records.filter(keep)
 */
export function recordFilter(filter: SinkFilter): (record: StoredRecord) => boolean {
  if (filter.recordTypes.length === 0 && filter.kinds.length === 0) return () => true;
  const types = new Set(filter.recordTypes);
  const kinds = filter.kinds.map((k) => KIND_TESTS[k]);
  return (r) =>
    (r.index.recordType !== null && types.has(r.index.recordType)) || kinds.some((test) => test(r));
}
