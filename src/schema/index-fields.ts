/**
 * `extractIndex()`: the columns the store indexes about a record. The shape
 * is `IndexedFields` of src/store/types.ts, redeclared here structurally
 * because `schema` imports nothing; a type test keeps the two identical.
 */
import type { NormalizedEvent } from './event.js';
import { fastIndex } from './index-fast.js';
import { normalize } from './normalize.js';

/** Same shape as `IndexedFields` in src/store/types.ts. */
export interface IndexedFields {
  recordType: number | null;
  creationTime: string | null;
  operation: string | null;
  workload: string | null;
  userId: string | null;
  verdict: string | null;
  deliveryAction: string | null;
  sender: string | null;
  recipients: string[];
  url: string | null;
  sha256: string | null;
  investigationStatus: string | null;
  links: string[];
  invalidReason: string | null;
}

/**
 * The store's index columns from a normalized event. `userId` is the person
 * the event is about when there is one (the clicking user rather than
 * `ThreatIntel`), else `UserId` as recorded. `sender` is the header From,
 * else the envelope sender. `sha256` is the first file's hash.
 */
export function indexFromEvent(event: NormalizedEvent): IndexedFields {
  return {
    recordType: event.recordType,
    creationTime: event.time,
    operation: event.operation,
    workload: event.workload,
    userId: event.actors.user?.id ?? event.actors.recordedUser.id,
    verdict: event.threat?.verdict ?? null,
    deliveryAction: event.email?.deliveryAction ?? null,
    sender: event.actors.from ?? event.actors.mailFrom,
    recipients: event.actors.recipients,
    url: event.urlClick?.url ?? event.urls[0] ?? null,
    sha256: event.files.find((f) => f.sha256 !== null)?.sha256 ?? null,
    investigationStatus: event.investigation?.status ?? null,
    links: event.links,
    invalidReason: event.invalidReason,
  };
}

/**
 * Index columns for one parsed record, ready for `RecordInput.index`. Valid
 * records take the fast path of index-fast.ts; any record it cannot prove
 * valid takes `extractIndexReference`, so the result is always the same.
 *
 * @example
 * store.commitBlob(blob, records.map((r) => ({ id: r.Id, raw, index: extractIndex(r) })));
 */
export function extractIndex(record: unknown): IndexedFields {
  return fastIndex(record) ?? extractIndexReference(record);
}

/** The definition of the index columns: the full normalized event, then its columns (about ten times slower). */
export function extractIndexReference(record: unknown): IndexedFields {
  return indexFromEvent(normalize(record).event);
}
