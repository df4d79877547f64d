import type { BlobRef, BlobState, EventQuery, PendingBlob, RecordInput, StoredRecord } from '../types.js';
import { canonicalTime } from './time.js';

/** A `records` row as SQLite returns it. */
export interface RecordRow {
  seq: number;
  tenant_id: string;
  record_id: string;
  content_type: string;
  content_id: string;
  stored_at: string;
  raw: string;
  record_type: number | null;
  creation_time: string | null;
  operation: string | null;
  workload: string | null;
  user_id: string | null;
  verdict: string | null;
  delivery_action: string | null;
  sender: string | null;
  recipients: string | null;
  url: string | null;
  sha256: string | null;
  investigation_status: string | null;
  links: string | null;
  invalid_reason: string | null;
}

export interface BlobRow {
  content_id: string;
  tenant_id: string;
  content_type: string;
  content_uri: string;
  content_created: string;
  content_expiration: string;
  state: BlobState;
  attempts: number;
  last_error: string | null;
}

/** The columns an insert into `records` fills, in the order recordRow() gives their values. */
export const RECORD_INSERT_COLUMNS = [
  'seq',
  'tenant_id',
  'record_id',
  'content_type',
  'content_id',
  'stored_at',
  'raw',
  'record_type',
  'creation_time',
  'operation',
  'workload',
  'user_id',
  'verdict',
  'delivery_action',
  'sender',
  'recipients',
  'url',
  'sha256',
  'investigation_status',
  'links',
  'invalid_reason',
] as const;

/** JSON text for a list column; NULL for the (common) empty list, so most rows carry nothing. */
function listColumn(list: readonly string[] | undefined): string | null {
  return list && list.length > 0 ? JSON.stringify(list) : null;
}

function parseList(text: string | null): string[] {
  if (text === null) return [];
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.map(String) : [];
}

/**
 * The values of RECORD_INSERT_COLUMNS for one record, appended to `into`.
 * `?? null` because the index comes from parsing attacker-shaped input: an absent field must bind as NULL, not fail.
 */
export function pushRecordRow(
  into: unknown[],
  seq: number,
  blob: BlobRef,
  storedAt: string,
  record: RecordInput,
): void {
  const ix = record.index;
  into.push(
    seq,
    blob.tenantId,
    record.id,
    blob.contentType,
    blob.contentId,
    storedAt,
    record.raw,
    ix.recordType ?? null,
    canonicalTime(ix.creationTime),
    ix.operation ?? null,
    ix.workload ?? null,
    ix.userId ?? null,
    ix.verdict ?? null,
    ix.deliveryAction ?? null,
    ix.sender ?? null,
    listColumn(ix.recipients),
    ix.url ?? null,
    ix.sha256 ?? null,
    ix.investigationStatus ?? null,
    listColumn(ix.links),
    ix.invalidReason ?? null,
  );
}

export function toStoredRecord(row: RecordRow): StoredRecord {
  return {
    offset: row.seq,
    tenantId: row.tenant_id,
    contentType: row.content_type,
    contentId: row.content_id,
    id: row.record_id,
    raw: row.raw,
    storedAt: row.stored_at,
    index: {
      recordType: row.record_type,
      creationTime: row.creation_time,
      operation: row.operation,
      workload: row.workload,
      userId: row.user_id,
      verdict: row.verdict,
      deliveryAction: row.delivery_action,
      sender: row.sender,
      recipients: parseList(row.recipients),
      url: row.url,
      sha256: row.sha256,
      investigationStatus: row.investigation_status,
      links: parseList(row.links),
      invalidReason: row.invalid_reason,
    },
  };
}

export function toPendingBlob(row: BlobRow): PendingBlob {
  return {
    tenantId: row.tenant_id,
    contentType: row.content_type,
    contentId: row.content_id,
    contentUri: row.content_uri,
    contentCreated: row.content_created,
    contentExpiration: row.content_expiration,
    attempts: row.attempts,
    lastError: row.last_error,
  };
}

type EventKind = NonNullable<EventQuery['kind']>;

/**
 * What each report kind selects. Verdict matching is by substring, case-insensitive (SQLite LIKE), because
 * Verdict has no documented value set (spec §9.2.2; seen: Phish, Malware; plausible: HighConfPhish).
 * - malware: mails (28) whose verdict mentions malware, and every file detection (47): a record 47 is a
 *   malicious file found by Safe Attachments in SharePoint, OneDrive or Teams.
 * - phish: mails (28) whose verdict mentions phish (Phish, HighConfPhish, ...).
 * - url-click: Safe Links clicks (41); file: file detections (47); investigation: AIR (64); all: everything.
 */
export const EVENT_KINDS: Record<EventKind, string | null> = {
  malware: "((record_type = 28 AND verdict LIKE '%malware%') OR record_type = 47)",
  phish: "(record_type = 28 AND verdict LIKE '%phish%')",
  'url-click': '(record_type = 41)',
  file: '(record_type = 47)',
  investigation: '(record_type = 64)',
  all: null,
};

/** The SQL for a report query (newest first) and its bind values. */
export function eventQuerySql(query: EventQuery): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.tenantId !== undefined) {
    where.push('tenant_id = ?');
    params.push(query.tenantId);
  }
  if (query.recordTypes && query.recordTypes.length > 0) {
    where.push(`record_type IN (${query.recordTypes.map(() => '?').join(', ')})`);
    params.push(...query.recordTypes);
  }
  const kind = query.kind === undefined ? null : EVENT_KINDS[query.kind];
  if (kind === undefined) throw new TypeError(`unknown event kind ${JSON.stringify(query.kind)}`);
  if (kind !== null) where.push(kind);
  if (query.since !== undefined) {
    const since = canonicalTime(query.since);
    if (since === null) throw new TypeError(`since is not an ISO time: ${JSON.stringify(query.since)}`);
    where.push('creation_time >= ?');
    params.push(since);
  }
  params.push(query.limit ?? -1);
  const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  return { sql: `SELECT * FROM records ${clause} ORDER BY creation_time DESC, seq DESC LIMIT ?`, params };
}
