import Database from 'better-sqlite3';
import { StoreNotFoundError, StoreVersionError } from '../errors.js';
import type {
  BlobRef,
  BlobState,
  CommitResult,
  ContentTypeStatus,
  DeadLetter,
  EventQuery,
  RetentionOptions,
  RetentionResult,
  SinkProgress,
  SinkStart,
  SinkState,
  SinkStatus,
  PendingBlob,
  RecordInput,
  StoredRecord,
  Store,
} from '../types.js';
import { migrateDatabase, SCHEMA_VERSION, schemaVersion } from './migrations.js';
import {
  type BlobRow,
  eventQuerySql,
  pushRecordRow,
  RECORD_INSERT_COLUMNS,
  type RecordRow,
  toPendingBlob,
  toStoredRecord,
} from './rows.js';
import { dedupeKey, legacyKey } from './keys.js';
import { canonicalTime, daysBefore, requireTime } from './time.js';

export interface SqliteStoreOptions {
  /** The database file. */
  file: string;
  /** Open for reading only (status and events CLIs): no file is created, nothing is migrated. */
  readonly?: boolean;
  /**
   * `normal` (default) or `full`. In WAL mode `normal` fsyncs at checkpoints, not at each commit: a killed
   * process (kill -9, crash) loses no committed transaction and never corrupts the file; only an OS crash or
   * power cut can roll back the last commits, and then cursor, ledger and records roll back together, so the
   * collector simply lists and fetches those blobs again (the API keeps them 7 days). `full` also survives that,
   * at the price of one fsync per commit.
   */
  synchronous?: 'normal' | 'full';
  /** How long a statement waits for another process's write lock before failing (ms). */
  busyTimeoutMs?: number;
  /** Clock for stored_at and ledger times (tests inject one). */
  clock?: () => Date;
  /** Records stored between two passes that add their links to record_links (tests use a small one). */
  linkBatch?: number;
}

/** Minimum age of a dedupe key whatever the record retention: longer than the API's 7 days of re-sends. */
export const DEDUPE_KEEP_DAYS = 8;
/** Retention deletes in slices so that a large purge never holds the write lock for long. */
const DELETE_SLICE = 5000;
const MAX_ERROR_CHARS = 2000;
/** Sink lag is counted exactly up to this many records after the offset (see lagAfter). */
const LAG_EXACT_UP_TO = 20_000;
/** Rows per multi-row insert (21 columns × 64 stays far below SQLite's bound-parameter limit). */
const BATCH_ROWS = 64;
/**
 * Records stored before their links are added to record_links in one sorted pass. Link keys are random, so
 * adding them commit by commit rewrote most of that index's pages each time; in one pass per this many
 * records each page is written about once. related() scans the records after the last pass itself.
 */
const LINK_BATCH = 20_000;

/** Multi-row inserts of the ingest path (see batch()). */
const BATCH_INSERTS = {
  claim: {
    head: 'INSERT INTO dedupe (k, seen_at, seq)',
    columns: 3,
    tail: ' ON CONFLICT DO NOTHING RETURNING seq',
  },
  record: {
    head: `INSERT INTO records (${RECORD_INSERT_COLUMNS.join(', ')})`,
    columns: RECORD_INSERT_COLUMNS.length,
    tail: '',
  },
} as const;

const BLOB_COLUMNS = 'content_id, tenant_id, content_type, content_uri, content_created, content_expiration';

/**
 * The embedded default Store: one SQLite file in WAL mode, so CLIs read while the collector writes.
 * Every write method is one IMMEDIATE transaction (the write lock is taken up front, so two processes
 * never deadlock upgrading a read lock).
 * @example const store = new SqliteStore({ file: 'data/atp-siem.db' }); await store.migrate();
 */
export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly readonly: boolean;
  private readonly clock: () => Date;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly batches = new Map<string, Database.Statement>();
  private readonly linkBatch: number;
  /** Whether v1 dedupe keys without a CreationTime remain (see migration 2); refreshed by retention. */
  private hasLegacyKeys = false;

  constructor(options: SqliteStoreOptions) {
    this.file = options.file;
    this.readonly = options.readonly ?? false;
    this.clock = options.clock ?? (() => new Date());
    this.linkBatch = Math.max(1, options.linkBatch ?? LINK_BATCH);
    this.db = new Database(options.file, { readonly: this.readonly, fileMustExist: this.readonly });
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    if (!this.readonly) {
      // 16 KiB pages for a new file (no effect on an existing one): rows of ~1 KB of raw JSON and seven
      // B-trees per record split pages less often; measured ~1.5x faster ingest than the default 4 KiB.
      this.db.pragma('page_size = 16384');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      // Checkpoint every ~32 MB of WAL rather than the default 1000 pages: each checkpoint fsyncs, and ingest
      // is bound by them on a busy disk (measured up to 1.6x faster); the WAL file is cut back to 64 MB after.
      const pageSize = this.db.pragma('page_size', { simple: true }) as number;
      this.db.pragma(`wal_autocheckpoint = ${Math.ceil((32 * 1024 * 1024) / pageSize)}`);
      this.db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    }
    this.db.pragma('cache_size = -32000');
  }

  async migrate(): Promise<void> {
    if (!this.readonly) {
      migrateDatabase(this.db, this.file);
      this.hasLegacyKeys = this.legacyKeysLeft();
      return;
    }
    const found = schemaVersion(this.db);
    if (found === 0) throw new StoreNotFoundError(this.file);
    if (found !== SCHEMA_VERSION) throw new StoreVersionError(this.file, found, SCHEMA_VERSION);
  }

  async getCursor(tenantId: string, contentType: string): Promise<string | null> {
    const row = this.sql('SELECT cursor FROM cursors WHERE tenant_id = ? AND content_type = ?').get(
      tenantId,
      contentType,
    ) as { cursor: string } | undefined;
    return row?.cursor ?? null;
  }

  async recordListing(
    tenantId: string,
    contentType: string,
    blobs: BlobRef[],
    windowEnd: string,
  ): Promise<number> {
    const cursor = requireTime(windowEnd, 'windowEnd');
    return this.write(() => {
      const added = this.insertBlobs(blobs);
      this.ensureStream(tenantId, contentType);
      this.sql(
        `INSERT INTO cursors (tenant_id, content_type, cursor, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant_id, content_type) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
      ).run(tenantId, contentType, cursor, this.now());
      return added;
    });
  }

  async addBlobs(blobs: BlobRef[]): Promise<number> {
    return this.write(() => this.insertBlobs(blobs));
  }

  async pendingBlobs(
    tenantId: string,
    contentType: string,
    now: string,
    limit: number,
  ): Promise<PendingBlob[]> {
    const rows = this.sql(
      `SELECT * FROM blobs WHERE tenant_id = ? AND content_type = ? AND state = 'pending'
         AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
       ORDER BY content_created, content_id LIMIT ?`,
    ).all(tenantId, contentType, requireTime(now, 'now'), limit) as BlobRow[];
    return rows.map(toPendingBlob);
  }

  async storeRecords(blob: BlobRef, records: RecordInput[]): Promise<CommitResult> {
    return this.write(() => this.insertRecords(blob, records));
  }

  async commitBlob(blob: BlobRef, records: RecordInput[]): Promise<CommitResult> {
    return this.write(() => {
      const result = this.insertRecords(blob, records);
      const before = this.stateOf(blob);
      const now = this.now();
      this.sql(
        `INSERT INTO blobs (${BLOB_COLUMNS}, state, listed_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'delivered', ?, ?)
         ON CONFLICT (content_id, tenant_id) DO UPDATE SET state = 'delivered', next_attempt_at = NULL,
           last_error = NULL, drop_reason = NULL, drop_detail = NULL, updated_at = excluded.updated_at`,
      ).run(...blobValues(blob), now, now);
      if (before !== 'delivered') {
        this.sql(
          `UPDATE streams SET blobs_delivered = blobs_delivered + 1,
             newest_delivered = max(coalesce(newest_delivered, ''), ?)
           WHERE tenant_id = ? AND content_type = ?`,
        ).run(blobValues(blob)[4], blob.tenantId, blob.contentType);
      }
      return result;
    });
  }

  async retryBlob(blob: BlobRef, error: string, nextAttemptAt: string): Promise<void> {
    const next = requireTime(nextAttemptAt, 'nextAttemptAt');
    this.write(() => {
      this.ensureStream(blob.tenantId, blob.contentType);
      const now = this.now();
      // A retry never reopens a blob that is already delivered or dropped.
      this.sql(
        `INSERT INTO blobs (${BLOB_COLUMNS}, state, attempts, next_attempt_at, last_error, listed_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 1, ?, ?, ?, ?)
         ON CONFLICT (content_id, tenant_id) DO UPDATE SET attempts = attempts + 1,
           next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error, updated_at = excluded.updated_at
         WHERE state = 'pending'`,
      ).run(...blobValues(blob), next, clip(error), now, now);
    });
  }

  async dropBlob(blob: BlobRef, reason: string, detail: string): Promise<void> {
    this.write(() => {
      this.ensureStream(blob.tenantId, blob.contentType);
      const now = this.now();
      this.sql(
        `INSERT INTO blobs (${BLOB_COLUMNS}, state, drop_reason, drop_detail, listed_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'dropped', ?, ?, ?, ?)
         ON CONFLICT (content_id, tenant_id) DO UPDATE SET state = 'dropped', next_attempt_at = NULL,
           drop_reason = excluded.drop_reason, drop_detail = excluded.drop_detail, updated_at = excluded.updated_at
         WHERE state = 'pending'`,
      ).run(...blobValues(blob), reason, clip(detail), now, now);
    });
  }

  async blobState(contentId: string): Promise<BlobState | null> {
    const row = this.sql('SELECT state FROM blobs WHERE content_id = ? LIMIT 1').get(contentId) as
      { state: BlobState } | undefined;
    return row?.state ?? null;
  }

  async setLastError(tenantId: string, contentType: string, error: string | null, at: string): Promise<void> {
    const when = requireTime(at, 'at');
    this.write(() => {
      this.ensureStream(tenantId, contentType);
      this.sql(
        `INSERT INTO last_errors (tenant_id, content_type, error, at) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant_id, content_type) DO UPDATE SET error = excluded.error, at = excluded.at`,
      ).run(tenantId, contentType, error === null ? null : clip(error), when);
    });
  }

  async status(): Promise<ContentTypeStatus[]> {
    // One read transaction, so counters and blob counts come from the same snapshot while `run` writes.
    const [rows, open] = this.db.transaction(() => {
      const rows = this.sql(
        `SELECT s.*, c.cursor, e.error, e.at FROM streams s
         LEFT JOIN cursors c USING (tenant_id, content_type)
         LEFT JOIN last_errors e USING (tenant_id, content_type)
       ORDER BY s.tenant_id, s.content_type`,
      ).all() as StreamRow[];
      const open = this.sql(
        `SELECT tenant_id, content_type, state, drop_reason, count(*) AS n FROM blobs WHERE state <> 'delivered'
       GROUP BY tenant_id, content_type, state, drop_reason`,
      ).all() as {
        tenant_id: string;
        content_type: string;
        state: BlobState;
        drop_reason: string | null;
        n: number;
      }[];
      return [rows, open] as const;
    })();
    const byStream = new Map<string, ContentTypeStatus>();
    const result = rows.map((row) => {
      const status: ContentTypeStatus = {
        tenantId: row.tenant_id,
        contentType: row.content_type,
        cursor: row.cursor,
        newestContentCreated: row.newest_delivered,
        records: row.records,
        invalidRecords: row.invalid_records,
        duplicates: row.duplicates,
        blobsDelivered: row.blobs_delivered,
        blobsPending: 0,
        blobsDropped: {},
        lastError: row.error,
        lastErrorAt: row.error === null ? null : row.at,
      };
      byStream.set(`${row.tenant_id}\n${row.content_type}`, status);
      return status;
    });
    for (const group of open) {
      const status = byStream.get(`${group.tenant_id}\n${group.content_type}`);
      if (!status) continue;
      if (group.state === 'pending') status.blobsPending += group.n;
      else {
        const reason = group.drop_reason ?? 'unknown';
        status.blobsDropped[reason] = (status.blobsDropped[reason] ?? 0) + group.n;
      }
    }
    return result;
  }

  async queryEvents(query: EventQuery): Promise<StoredRecord[]> {
    const { sql, params } = eventQuerySql(query);
    return (this.db.prepare(sql).all(...params) as RecordRow[]).map(toStoredRecord);
  }

  async related(offset: number, limit = 50): Promise<StoredRecord[]> {
    // Links of records up to link_index.upto are in record_links; the few stored since are scanned.
    const rows = this.sql(
      `WITH me AS (SELECT seq, tenant_id, links FROM records WHERE seq = :offset),
            keys AS (SELECT j.value AS k FROM me, json_each(me.links) j)
       SELECT * FROM records WHERE seq IN (
         SELECT l.seq FROM me JOIN record_links l ON l.tenant_id = me.tenant_id AND l.link_key IN keys
         UNION
         SELECT r.seq FROM me JOIN records r ON r.tenant_id = me.tenant_id, json_each(r.links) j
          WHERE r.seq > (SELECT upto FROM link_index) AND r.links IS NOT NULL AND j.value IN keys
       ) AND seq <> :offset
       ORDER BY creation_time, seq LIMIT :limit`,
    ).all({ offset, limit }) as RecordRow[];
    return rows.map(toStoredRecord);
  }

  async readFrom(offset: number, limit: number): Promise<StoredRecord[]> {
    const rows = this.sql('SELECT * FROM records WHERE seq > ? ORDER BY seq LIMIT ?').all(
      offset,
      limit,
    ) as RecordRow[];
    return rows.map(toStoredRecord);
  }

  async getSinkOffset(sink: string): Promise<number> {
    const row = this.sql('SELECT delivered_offset FROM sink_offsets WHERE sink = ?').get(sink) as
      { delivered_offset: number } | undefined;
    return row?.delivered_offset ?? 0;
  }

  async setSinkOffset(sink: string, offset: number): Promise<void> {
    this.write(() => {
      this.sql(
        `INSERT INTO sink_offsets (sink, delivered_offset, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (sink) DO UPDATE SET delivered_offset = excluded.delivered_offset, updated_at = excluded.updated_at`,
      ).run(sink, offset, this.now());
    });
  }

  async lastOffset(): Promise<number> {
    const row = this.sql("SELECT seq FROM sqlite_sequence WHERE name = 'records'").get() as
      { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  async offsetBefore(storedAt: string): Promise<number> {
    const at = requireTime(storedAt, 'storedAt');
    // Offsets follow storage order, so the first record stored at or after `at` bounds the range.
    const first = this.sql('SELECT seq FROM records WHERE stored_at >= ? ORDER BY seq LIMIT 1').get(at) as
      { seq: number } | undefined;
    return first === undefined ? this.lastOffset() : first.seq - 1;
  }

  async initSinkOffset(sink: string, start: SinkStart): Promise<number> {
    const existing = this.sql('SELECT delivered_offset FROM sink_offsets WHERE sink = ?').get(sink) as
      { delivered_offset: number } | undefined;
    if (existing) return existing.delivered_offset;
    const offset =
      start.kind === 'oldest'
        ? 0
        : start.kind === 'now'
          ? await this.lastOffset()
          : await this.offsetBefore(start.at);
    this.write(() =>
      this.sql(
        'INSERT INTO sink_offsets (sink, delivered_offset, updated_at) VALUES (?, ?, ?) ON CONFLICT (sink) DO NOTHING',
      ).run(sink, offset, this.now()),
    );
    return this.getSinkOffset(sink);
  }

  async commitSinkProgress(sink: string, progress: SinkProgress): Promise<void> {
    const now = this.now();
    this.write(() => {
      const insert = this.sql(
        `INSERT INTO dead_letters (sink, seq, tenant_id, record_id, raw, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (sink, seq) DO UPDATE SET reason = excluded.reason, at = excluded.at, attempts = attempts + 1`,
      );
      for (const d of progress.deadLetters) {
        insert.run(sink, d.offset, d.tenantId, d.recordId, d.raw, d.reason.slice(0, MAX_ERROR_CHARS), now);
      }
      // The offset only moves forward: a replay never rewinds the live tail.
      this.sql(
        `INSERT INTO sink_offsets (sink, delivered_offset, updated_at, delivered_total, filtered_total,
                                   dead_lettered_total, last_delivered_at)
         VALUES (:sink, :offset, :now, :delivered, :filtered, :dead, CASE WHEN :delivered > 0 THEN :now END)
         ON CONFLICT (sink) DO UPDATE SET
           delivered_offset = max(delivered_offset, excluded.delivered_offset),
           updated_at = excluded.updated_at,
           delivered_total = delivered_total + excluded.delivered_total,
           filtered_total = filtered_total + excluded.filtered_total,
           dead_lettered_total = dead_lettered_total + excluded.dead_lettered_total,
           last_delivered_at = coalesce(excluded.last_delivered_at, last_delivered_at)`,
      ).run({
        sink,
        offset: progress.offset,
        now,
        delivered: progress.delivered,
        filtered: progress.filtered,
        dead: progress.deadLetters.length,
      });
    });
  }

  async setSinkState(
    sink: string,
    state: SinkState,
    lastError: string | null,
    failed: boolean,
  ): Promise<void> {
    const now = this.now();
    this.write(() =>
      this.sql(
        `INSERT INTO sink_offsets (sink, delivered_offset, updated_at, state, last_error, last_error_at, retried_total)
         VALUES (:sink, 0, :now, :state, :error, CASE WHEN :error IS NOT NULL THEN :now END, :failed)
         ON CONFLICT (sink) DO UPDATE SET
           updated_at = excluded.updated_at,
           state = excluded.state,
           last_error = coalesce(excluded.last_error, CASE WHEN excluded.state = 'closed' THEN NULL ELSE last_error END),
           last_error_at = coalesce(excluded.last_error_at, CASE WHEN excluded.state = 'closed' THEN NULL ELSE last_error_at END),
           retried_total = retried_total + excluded.retried_total`,
      ).run({
        sink,
        now,
        state,
        error: lastError === null ? null : lastError.slice(0, MAX_ERROR_CHARS),
        failed: failed ? 1 : 0,
      }),
    );
  }

  async sinkStatus(now: string, sinks?: string[]): Promise<SinkStatus[]> {
    const at = Date.parse(requireTime(now, 'now'));
    const rows = this.sql('SELECT * FROM sink_offsets ORDER BY sink').all() as SinkOffsetRow[];
    const known = new Map(rows.map((r) => [r.sink, r]));
    const names = sinks ?? rows.map((r) => r.sink);
    return names.map((sink) => {
      const r = known.get(sink);
      const offset = r?.delivered_offset ?? 0;
      const lag = this.lagAfter(offset);
      const open = this.sql('SELECT count(*) AS n FROM dead_letters WHERE sink = ?').get(sink) as {
        n: number;
      };
      return {
        sink,
        offset,
        lagEvents: lag.events,
        lagSeconds: lag.oldest === null ? 0 : Math.max(0, Math.round((at - Date.parse(lag.oldest)) / 1000)),
        delivered: r?.delivered_total ?? 0,
        filtered: r?.filtered_total ?? 0,
        retried: r?.retried_total ?? 0,
        deadLettered: r?.dead_lettered_total ?? 0,
        deadLetterOpen: open.n,
        droppedByRetention: r?.dropped_by_retention ?? 0,
        state: (r?.state as SinkState | undefined) ?? 'closed',
        lastError: r?.last_error ?? null,
        lastErrorAt: r?.last_error_at ?? null,
        lastDeliveredAt: r?.last_delivered_at ?? null,
      };
    });
  }

  async deadLetters(sink: string, limit: number, afterId = 0): Promise<DeadLetter[]> {
    const rows = this.sql('SELECT * FROM dead_letters WHERE sink = ? AND id > ? ORDER BY id LIMIT ?').all(
      sink,
      afterId,
      limit,
    ) as DeadLetterRow[];
    return rows.map((r) => ({
      id: r.id,
      sink: r.sink,
      offset: r.seq,
      tenantId: r.tenant_id,
      recordId: r.record_id,
      raw: r.raw,
      reason: r.reason,
      at: r.at,
      attempts: r.attempts,
    }));
  }

  async resolveDeadLetters(
    sink: string,
    delivered: number[],
    rejectedAgain: { id: number; reason: string }[],
  ): Promise<void> {
    const now = this.now();
    this.write(() => {
      const remove = this.sql('DELETE FROM dead_letters WHERE sink = ? AND id = ?');
      for (const id of delivered) remove.run(sink, id);
      const again = this.sql(
        'UPDATE dead_letters SET reason = ?, at = ?, attempts = attempts + 1 WHERE sink = ? AND id = ?',
      );
      for (const r of rejectedAgain) again.run(r.reason.slice(0, MAX_ERROR_CHARS), now, sink, r.id);
      if (delivered.length > 0) {
        this.sql(
          `UPDATE sink_offsets SET delivered_total = delivered_total + ?, last_delivered_at = ? WHERE sink = ?`,
        ).run(delivered.length, now, sink);
      }
    });
  }

  /**
   * Retention is by stored time, not by the record's CreationTime: a late blob can carry records days old,
   * and deleting by creation time would remove them before any sink had read them. Records a listed sink has
   * not delivered are kept (the store is the sinks' buffer) until the hard cap, if one is set.
   */
  async enforceRetention(
    now: string,
    retentionDays: number,
    options: RetentionOptions = {},
  ): Promise<RetentionResult> {
    if (!(retentionDays >= 0)) throw new RangeError(`retentionDays must be 0 or more, got ${retentionDays}`);
    const at = requireTime(now, 'now');
    const recordCutoff = daysBefore(at, retentionDays);
    const idCutoff = daysBefore(at, Math.max(retentionDays, DEDUPE_KEEP_DAYS));
    // Offsets follow storage order, so the old records are the ones before the first young one.
    const young = this.sql('SELECT seq FROM records WHERE stored_at >= ? ORDER BY seq LIMIT 1').get(
      recordCutoff,
    ) as { seq: number } | undefined;
    let bound = young?.seq ?? Number.MAX_SAFE_INTEGER;
    const sinks = options.sinks ?? [];
    const offsets = sinks.map((sink) => ({ sink, offset: this.sinkOffsetOrZero(sink) }));
    const slowest = offsets.reduce((min, s) => Math.min(min, s.offset), Number.MAX_SAFE_INTEGER);
    let heldForSinks = 0;
    const droppedForSinks: Record<string, number> = {};
    if (slowest + 1 < bound) {
      // Keep what the slowest sink has not delivered, except what is past the hard cap.
      const keepFrom = slowest + 1;
      let capBound = keepFrom;
      if (options.hardCapDays !== undefined) {
        const capCutoff = daysBefore(at, Math.max(options.hardCapDays, retentionDays));
        const capYoung = this.sql('SELECT seq FROM records WHERE stored_at >= ? ORDER BY seq LIMIT 1').get(
          capCutoff,
        ) as { seq: number } | undefined;
        capBound = Math.max(keepFrom, Math.min(bound, capYoung?.seq ?? Number.MAX_SAFE_INTEGER));
      }
      const held = this.sql('SELECT count(*) AS n FROM records WHERE seq >= ? AND seq < ?').get(
        capBound,
        bound,
      ) as {
        n: number;
      };
      heldForSinks = held.n;
      if (capBound > keepFrom) {
        for (const { sink, offset } of offsets) {
          const lost = this.sql('SELECT count(*) AS n FROM records WHERE seq > ? AND seq < ?').get(
            offset,
            capBound,
          ) as {
            n: number;
          };
          if (lost.n === 0) continue;
          droppedForSinks[sink] = lost.n;
          this.write(() =>
            this.sql(
              `UPDATE sink_offsets SET dropped_by_retention = dropped_by_retention + ?,
                 last_error = ?, last_error_at = ? WHERE sink = ?`,
            ).run(
              lost.n,
              `retention hard cap deleted ${lost.n} records before this sink delivered them`,
              this.now(),
              sink,
            ),
          );
        }
      }
      bound = capBound;
    }
    const records = this.deleteInSlices(
      'DELETE FROM records WHERE seq IN (SELECT seq FROM records WHERE seq < ? AND stored_at < ? ORDER BY seq LIMIT ?)',
      [bound, recordCutoff],
    );
    const ids =
      this.deleteInSlices(`DELETE FROM dedupe WHERE k IN (SELECT k FROM dedupe WHERE seen_at < ? LIMIT ?)`, [
        idCutoff,
      ]) +
      this.deleteInSlices(
        `DELETE FROM dedupe_legacy WHERE k IN (SELECT k FROM dedupe_legacy WHERE seen_at < ? LIMIT ?)`,
        [idCutoff],
      );
    this.hasLegacyKeys = this.legacyKeysLeft();
    // Delivered blobs are remembered while the API could still list them (7 days) and a day more.
    this.write(() =>
      this.sql("DELETE FROM blobs WHERE state = 'delivered' AND content_expiration < ?").run(
        daysBefore(at, 1),
      ),
    );
    return { records, ids, heldForSinks, droppedForSinks };
  }

  /**
   * Records after `offset` and the storage time of the first. The count is exact up to LAG_EXACT_UP_TO
   * records; past that it is the offset distance (an upper bound: duplicates and retention leave gaps),
   * because counting a backlog of millions row by row every few seconds would read the whole of it.
   */
  private lagAfter(offset: number): { events: number; oldest: string | null } {
    const first = this.sql('SELECT stored_at FROM records WHERE seq > ? ORDER BY seq LIMIT 1').get(offset) as
      { stored_at: string } | undefined;
    if (!first) return { events: 0, oldest: null };
    const last = (this.sql('SELECT max(seq) AS m FROM records').get() as { m: number | null }).m ?? offset;
    const distance = last - offset;
    if (distance > LAG_EXACT_UP_TO) return { events: distance, oldest: first.stored_at };
    const counted = this.sql('SELECT count(*) AS n FROM records WHERE seq > ?').get(offset) as { n: number };
    return { events: counted.n, oldest: first.stored_at };
  }

  private sinkOffsetOrZero(sink: string): number {
    const row = this.sql('SELECT delivered_offset FROM sink_offsets WHERE sink = ?').get(sink) as
      { delivered_offset: number } | undefined;
    return row?.delivered_offset ?? 0;
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    if (!this.readonly) this.db.pragma('optimize');
    this.db.close();
  }

  private deleteInSlices(sql: string, params: unknown[]): number {
    let total = 0;
    for (;;) {
      const changes = this.write(() => this.sql(sql).run(...params, DELETE_SLICE).changes);
      total += changes;
      if (changes < DELETE_SLICE) return total;
    }
  }

  // Conflicts are resolved with ON CONFLICT DO NOTHING, never INSERT OR IGNORE: OR IGNORE would also swallow
  // a NOT NULL violation and silently skip a record or blob that arrived without its Id or URI.
  private insertRecords(blob: BlobRef, records: RecordInput[]): CommitResult {
    const tenant = blob.tenantId;
    const storedAt = this.now();
    // Offsets are assigned here rather than by SQLite so the dedupe key can point at its record in one insert;
    // sqlite_sequence keeps the high-water mark, and the write lock makes this process the only writer.
    // A duplicate's candidate offset is left unused: offsets increase, with gaps.
    const last = this.sql("SELECT seq FROM sqlite_sequence WHERE name = 'records'").get() as
      { seq: number } | undefined;
    let next = (last?.seq ?? 0) + 1;
    const result: CommitResult = { inserted: 0, duplicates: 0, invalid: 0 };
    // Many rows per statement: per-statement overhead, not SQLite's B-tree work, dominated one row at a time.
    for (let start = 0; start < records.length; start += BATCH_ROWS) {
      let batch = records.slice(start, start + BATCH_ROWS);
      if (this.hasLegacyKeys) {
        const fresh = batch.filter((record) => !this.knownByLegacyKey(tenant, record.id));
        result.duplicates += batch.length - fresh.length;
        batch = fresh;
        if (batch.length === 0) continue;
      }
      const base = next;
      next += batch.length;
      const claims: unknown[] = [];
      batch.forEach((record, i) =>
        claims.push(dedupeKey(tenant, record.id, record.index.creationTime), storedAt, base + i),
      );
      const claimed = (this.batch('claim', batch.length).all(claims) as { seq: number }[])
        .map((row) => row.seq)
        .sort((x, y) => x - y);
      result.duplicates += batch.length - claimed.length;
      if (claimed.length === 0) continue;
      const rows: unknown[] = [];
      for (const seq of claimed) {
        const record = batch[seq - base] as RecordInput;
        pushRecordRow(rows, seq, blob, storedAt, record);
        if (record.index.invalidReason != null) result.invalid += 1;
      }
      this.batch('record', claimed.length).run(rows);
      result.inserted += claimed.length;
    }
    if (result.inserted > 0) this.indexLinksWhenDue();
    this.ensureStream(tenant, blob.contentType);
    this.sql(
      `UPDATE streams SET records = records + ?, invalid_records = invalid_records + ?, duplicates = duplicates + ?
       WHERE tenant_id = ? AND content_type = ?`,
    ).run(result.inserted, result.invalid, result.duplicates, tenant, blob.contentType);
    return result;
  }

  /** Adds the links of the records stored since the last pass to record_links, once linkBatch have gathered. */
  private indexLinksWhenDue(): void {
    const { upto } = this.sql('SELECT upto FROM link_index').get() as { upto: number };
    const last = this.sql("SELECT seq FROM sqlite_sequence WHERE name = 'records'").get() as
      { seq: number } | undefined;
    const high = last?.seq ?? 0;
    if (high - upto < this.linkBatch) return;
    // Sorted by key, so the pass walks record_links in order. `WHERE` before ON CONFLICT keeps the
    // upsert clause from parsing as a join constraint.
    this.sql(
      `INSERT INTO record_links (tenant_id, link_key, seq)
       SELECT r.tenant_id, j.value, r.seq FROM records r, json_each(r.links) j
        WHERE r.seq > ? AND r.links IS NOT NULL
        ORDER BY 1, 2, 3
       ON CONFLICT DO NOTHING`,
    ).run(upto);
    this.sql('UPDATE link_index SET upto = ?').run(high);
  }

  private knownByLegacyKey(tenantId: string, recordId: string): boolean {
    return (
      this.sql('SELECT 1 FROM dedupe_legacy WHERE k = ?').get(legacyKey(tenantId, recordId)) !== undefined
    );
  }

  private legacyKeysLeft(): boolean {
    return this.sql('SELECT 1 FROM dedupe_legacy LIMIT 1').get() !== undefined;
  }

  private insertBlobs(blobs: BlobRef[]): number {
    const insert = this.sql(
      `INSERT INTO blobs (${BLOB_COLUMNS}, state, listed_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING`,
    );
    const now = this.now();
    let added = 0;
    for (const blob of blobs) {
      this.ensureStream(blob.tenantId, blob.contentType);
      added += insert.run(...blobValues(blob), now, now).changes;
    }
    return added;
  }

  /** A cached multi-row insert of `rows` rows: dedupe claims (returning the offsets claimed), records or links. */
  private batch(kind: keyof typeof BATCH_INSERTS, rows: number): Database.Statement {
    const key = `${kind}:${rows}`;
    let statement = this.batches.get(key);
    if (!statement) {
      const { head, columns, tail } = BATCH_INSERTS[kind];
      const values = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
      statement = this.db.prepare(
        `${head} VALUES ${Array.from({ length: rows }, () => values).join(', ')}${tail}`,
      );
      this.batches.set(key, statement);
    }
    return statement;
  }

  private stateOf(blob: BlobRef): BlobState | null {
    const row = this.sql('SELECT state FROM blobs WHERE content_id = ? AND tenant_id = ?').get(
      blob.contentId,
      blob.tenantId,
    ) as { state: BlobState } | undefined;
    return row?.state ?? null;
  }

  private ensureStream(tenantId: string, contentType: string): void {
    this.sql('INSERT INTO streams (tenant_id, content_type) VALUES (?, ?) ON CONFLICT DO NOTHING').run(
      tenantId,
      contentType,
    );
  }

  /**
   * Runs `work`, which makes several store calls, in one transaction: each call's own transaction becomes a
   * savepoint inside it, so a call that fails rolls back alone and the others still commit together. One
   * commit for many calls is how the store thread (src/store/thread) writes what arrived meanwhile.
   */
  group<T>(work: () => T): T {
    return this.write(work);
  }

  private write<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

interface SinkOffsetRow {
  sink: string;
  delivered_offset: number;
  updated_at: string;
  delivered_total: number;
  filtered_total: number;
  retried_total: number;
  dead_lettered_total: number;
  dropped_by_retention: number;
  state: string;
  last_error: string | null;
  last_error_at: string | null;
  last_delivered_at: string | null;
}

interface DeadLetterRow {
  id: number;
  sink: string;
  seq: number;
  tenant_id: string;
  record_id: string;
  raw: string;
  reason: string;
  at: string;
  attempts: number;
}

interface StreamRow {
  tenant_id: string;
  content_type: string;
  records: number;
  invalid_records: number;
  duplicates: number;
  blobs_delivered: number;
  newest_delivered: string | null;
  cursor: string | null;
  error: string | null;
  at: string;
}

/** The BLOB_COLUMNS values of a blob, its times in the store's one canonical shape. */
function blobValues(blob: BlobRef): [string, string, string, string, string, string] {
  return [
    blob.contentId,
    blob.tenantId,
    blob.contentType,
    blob.contentUri,
    canonicalTime(blob.contentCreated) ?? blob.contentCreated,
    canonicalTime(blob.contentExpiration) ?? blob.contentExpiration,
  ];
}

function clip(text: string): string {
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}
