/**
 * A minimal indexer used until src/schema's extractIndex is wired in: reads
 * the common fields only and flags records without an Id or RecordType.
 */
import type { IndexedFields } from '../../store/types.js';

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** @example fallbackExtractIndex({ Id: 'x', RecordType: 28 }).recordType // 28 */
export function fallbackExtractIndex(record: unknown): IndexedFields {
  const r = (typeof record === 'object' && record !== null ? record : {}) as Record<string, unknown>;
  const recordType =
    typeof r.RecordType === 'number' ? r.RecordType : Number.parseInt(String(r.RecordType), 10);
  const creation = str(r.CreationTime);
  return {
    recordType: Number.isFinite(recordType) ? recordType : null,
    // The wire value has no zone; it is UTC (spec §5.2).
    creationTime: creation ? (/[zZ]|[+-]\d\d:\d\d$/.test(creation) ? creation : `${creation}Z`) : null,
    operation: str(r.Operation),
    workload: str(r.Workload),
    userId: str(r.UserId),
    verdict: null,
    deliveryAction: null,
    sender: null,
    recipients: [],
    url: null,
    sha256: null,
    investigationStatus: null,
    links: [],
    invalidReason: str(r.Id) ? (Number.isFinite(recordType) ? null : 'RecordType missing') : 'Id missing',
  };
}
