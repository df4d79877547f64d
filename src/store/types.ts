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

/** Where a sink that has no offset yet starts: the oldest retained record, the next new one, or a time. */
export type SinkStart = { kind: 'oldest' } | { kind: 'now' } | { kind: 'time'; at: string };

/** An event a SIEM refused for good, kept with the SIEM's reason (and a copy of the record). */
export interface DeadLetterInput {
  offset: number;
  tenantId: string;
  recordId: string;
  raw: string;
  reason: string;
}

export interface DeadLetter extends DeadLetterInput {
  /** Row id in the dead-letter table. */
  id: number;
  sink: string;
  /** ISO-8601 UTC, when it was (last) rejected. */
  at: string;
  /** Times it was sent and rejected. */
  attempts: number;
}

/** What a sink has done since its last commit; committed in one transaction with its new offset. */
export interface SinkProgress {
  /** Every record up to this offset was delivered, dead-lettered or left out by the sink's filter. */
  offset: number;
  delivered: number;
  /** Records left out by the sink's filter. */
  filtered: number;
  deadLetters: DeadLetterInput[];
}

/** Delivery state of a sink: closed (delivering), open (backing off after failures), blocked (operator needed). */
export type SinkState = 'closed' | 'open' | 'half-open' | 'blocked';

export interface SinkStatus {
  sink: string;
  offset: number;
  /** Records stored after the offset (not yet delivered). */
  lagEvents: number;
  /** Seconds since the oldest undelivered record was stored; 0 when caught up. */
  lagSeconds: number;
  delivered: number;
  filtered: number;
  /** Failed attempts (batches sent again). */
  retried: number;
  /** Events ever dead-lettered, and those still in the dead-letter table. */
  deadLettered: number;
  deadLetterOpen: number;
  /** Undelivered records deleted by the retention hard cap. */
  droppedByRetention: number;
  state: SinkState;
  lastError: string | null;
  lastErrorAt: string | null;
  lastDeliveredAt: string | null;
}

export interface RetentionOptions {
  /** Sinks whose undelivered records retention must keep (the enabled sinks of the configuration). */
  sinks?: string[];
  /** Past this many days records go even if a sink has not delivered them (counted per sink). */
  hardCapDays?: number;
}

export interface RetentionResult {
  records: number;
  ids: number;
  /** Records past retention kept because a sink has not delivered them yet. */
  heldForSinks: number;
  /** Undelivered records the hard cap deleted, per sink. */
  droppedForSinks: Record<string, number>;
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
  /** The highest offset handed out so far (0 for an empty store). */
  lastOffset(): Promise<number>;
  /** The offset just before the first record stored at or after `storedAt` (for replays and `start_at`). */
  offsetBefore(storedAt: string): Promise<number>;
  /**
   * The sink's offset; a sink seen for the first time gets one from `start` (oldest: 0; now: lastOffset();
   * time: offsetBefore). An existing offset is never changed by this.
   */
  initSinkOffset(sink: string, start: SinkStart): Promise<number>;
  /** Moves the sink's offset and adds its counts and dead letters, in one transaction. */
  commitSinkProgress(sink: string, progress: SinkProgress): Promise<void>;
  /** Records the sink's delivery state after an attempt; `failed` adds one to its retried count. */
  setSinkState(sink: string, state: SinkState, lastError: string | null, failed: boolean): Promise<void>;
  /** Per sink (all known when `sinks` is absent): offset, lag, counters, state. `now` is ISO. */
  sinkStatus(now: string, sinks?: string[]): Promise<SinkStatus[]>;
  /** The sink's dead letters, oldest first, after row id `afterId`. */
  deadLetters(sink: string, limit: number, afterId?: number): Promise<DeadLetter[]>;
  /** After a re-send: removes the delivered ones, and counts another attempt with the new reason for the others. */
  resolveDeadLetters(
    sink: string,
    delivered: number[],
    rejectedAgain: { id: number; reason: string }[],
  ): Promise<void>;

  /**
   * Deletes records stored (storedAt, not creationTime: a late blob's old records must still reach the sinks)
   * more than `retentionDays` before `now`; dedupe keys are kept max(retentionDays, 8) days, and delivered blobs
   * leave the ledger a day after they expire. Records a sink of `options.sinks` has not delivered yet are kept
   * unless they are older than `options.hardCapDays`. Returns how many records and dedupe keys were deleted.
   */
  enforceRetention(now: string, retentionDays: number, options?: RetentionOptions): Promise<RetentionResult>;
  close(): Promise<void>;
}
