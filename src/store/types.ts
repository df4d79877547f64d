/**
 * The store contract. Everything outside src/store talks to storage through
 * this interface only (no SQL elsewhere), so that a PostgreSQL backend for
 * several replicas can sit beside the embedded SQLite default later. Methods
 * are async for that reason even though better-sqlite3 is synchronous.
 */

/** Columns extracted from a record for reports and queries. Null when absent. */
export interface IndexedFields {
  recordType: number | null;
  /** ISO-8601 UTC with `Z` (the wire value has no zone; it is UTC). */
  creationTime: string | null;
  operation: string | null;
  workload: string | null;
  userId: string | null;
  /** Defender fields (record types 28, 41, 47, 64); null for other records. */
  verdict: string | null;
  deliveryAction: string | null;
  sender: string | null;
  /** Recipients, as a list. */
  recipients: string[];
  url: string | null;
  sha256: string | null;
  investigationStatus: string | null;
  /**
   * Keys that link records about the same thing, e.g. `nmid:<NetworkMessageId>`
   * and `url:<url>`: an investigation (64) shares them with the mails (28) and
   * clicks (41) it concerns.
   */
  links: string[];
  /** Why the record failed validation; null when it is valid. Invalid records are kept all the same. */
  invalidReason: string | null;
}

/** One audit record as received, with what the store indexes about it. */
export interface RecordInput {
  /** The record's `Id` (dedupe key, unique within a tenant). */
  id: string;
  /** The record exactly as received: the JSON text of that array element. */
  raw: string;
  index: IndexedFields;
}

/** A content item from /subscriptions/content, as the store keeps it. */
export interface BlobRef {
  tenantId: string;
  contentType: string;
  contentId: string;
  contentUri: string;
  /** ISO-8601 UTC. */
  contentCreated: string;
  contentExpiration: string;
}

export type BlobState = 'pending' | 'delivered' | 'dropped';

export interface PendingBlob extends BlobRef {
  attempts: number;
  lastError: string | null;
}

export interface CommitResult {
  /** Records newly stored. */
  inserted: number;
  /** Records whose Id was already stored (within or across blobs, windows, restarts). */
  duplicates: number;
  /** Records stored but flagged invalid. */
  invalid: number;
}

export interface StoredRecord {
  /**
   * Monotonically increasing position in the store; sinks tail from it. Never reused (not even after
   * retention deleted the newest records); not contiguous: there can be gaps.
   */
  offset: number;
  tenantId: string;
  contentType: string;
  contentId: string;
  id: string;
  raw: string;
  index: IndexedFields;
  /** ISO-8601 UTC, when the collector stored it. */
  storedAt: string;
}

export interface EventQuery {
  /** Record types to include; empty or absent = all. */
  recordTypes?: number[];
  /**
   * Extra predicate on top of recordTypes, a named report filter (see EVENT_KINDS in src/store/sqlite/rows.ts):
   * malware = mails (28) whose Verdict mentions malware, plus every file detection (47); phish = mails (28) whose
   * Verdict mentions phish (Phish, HighConfPhish, ...); url-click = 41; file = 47; investigation = 64; all = no filter.
   */
  kind?: 'malware' | 'phish' | 'url-click' | 'file' | 'investigation' | 'all';
  /** Only records whose creationTime is at or after this ISO instant. */
  since?: string;
  tenantId?: string;
  limit?: number;
}

export interface ContentTypeStatus {
  tenantId: string;
  contentType: string;
  /** End of the last window whose listing is fully recorded (ISO), or null before the first. */
  cursor: string | null;
  /** Newest contentCreated among delivered blobs (ISO), for lag. */
  newestContentCreated: string | null;
  records: number;
  invalidRecords: number;
  duplicates: number;
  blobsDelivered: number;
  blobsPending: number;
  /** Dropped blobs by reason (expired, malformed, gone, ...). */
  blobsDropped: Record<string, number>;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface Store {
  /** Creates tables or migrates them to the current version. */
  migrate(): Promise<void>;

  getCursor(tenantId: string, contentType: string): Promise<string | null>;
  /**
   * Records a fully listed window in one transaction: every listed blob not
   * yet known enters the ledger as pending, and the cursor moves to windowEnd.
   * Blobs already in the ledger (any state) are left as they are.
   * Returns how many blobs were new.
   */
  recordListing(tenantId: string, contentType: string, blobs: BlobRef[], windowEnd: string): Promise<number>;
  /** Adds listed blobs to the ledger (straggler sweep) without moving the cursor. Returns how many were new. */
  addBlobs(blobs: BlobRef[]): Promise<number>;
  /** Pending blobs due for an attempt (next attempt at or before `now`), oldest contentCreated first. */
  pendingBlobs(tenantId: string, contentType: string, now: string, limit: number): Promise<PendingBlob[]>;
  /**
   * Stores one chunk of a large blob's records without changing the blob's
   * state (it stays pending), so that a blob of any size is stored in bounded
   * memory. A crash after a chunk only repeats work: on the next attempt the
   * chunk's records are counted as duplicates.
   */
  storeRecords(blob: BlobRef, records: RecordInput[]): Promise<CommitResult>;
  /**
   * Stores a blob's (last chunk of) records and marks the blob delivered, in one transaction.
   * Records whose Id is already known for the tenant are counted as duplicates and not stored again.
   */
  commitBlob(blob: BlobRef, records: RecordInput[]): Promise<CommitResult>;
  /** Leaves a blob pending, with the error and the time of its next attempt. */
  retryBlob(blob: BlobRef, error: string, nextAttemptAt: string): Promise<void>;
  /** Ends a blob as dropped, with a reason from a small fixed set (expired, gone, malformed, invalid-id). */
  dropBlob(blob: BlobRef, reason: string, detail: string): Promise<void>;
  blobState(contentId: string): Promise<BlobState | null>;

  setLastError(tenantId: string, contentType: string, error: string | null, at: string): Promise<void>;
  status(): Promise<ContentTypeStatus[]>;

  /** Matching records, newest creationTime first (then newest offset), at most `limit` (all when absent). */
  queryEvents(query: EventQuery): Promise<StoredRecord[]>;
  /**
   * Other records of the same tenant sharing a link key with the record at `offset` (see IndexedFields.links),
   * oldest first; empty when there is no record there.
   */
  related(offset: number, limit?: number): Promise<StoredRecord[]>;
  /** Records after `offset`, in offset order, for a sink tailing the store. */
  readFrom(offset: number, limit: number): Promise<StoredRecord[]>;
  getSinkOffset(sink: string): Promise<number>;
  setSinkOffset(sink: string, offset: number): Promise<void>;

  /**
   * Deletes records stored (storedAt, not creationTime: a late blob's old records must still reach the sinks)
   * more than `retentionDays` before `now`; dedupe keys are kept max(retentionDays, 8) days, and delivered blobs
   * leave the ledger a day after they expire. Returns how many records and dedupe keys were deleted.
   */
  enforceRetention(now: string, retentionDays: number): Promise<{ records: number; ids: number }>;
  close(): Promise<void>;
}
