import type Database from 'better-sqlite3';
import { StoreVersionError } from '../errors.js';
import { hashPart, timePrefix } from './keys.js';

/**
 * One schema step. Steps run in order, each in the same transaction as the
 * `PRAGMA user_version` bump that records it, so a crash mid-migration leaves
 * the file at the previous version. Never edit a released step: add a new one.
 */
export interface Migration {
  version: number;
  description: string;
  up: (db: Database.Database) => void;
}

/*
 * Version 1, the first schema.
 *
 * records      one row per stored audit record. `seq` is the offset sinks tail
 *              from; AUTOINCREMENT so an offset is never handed out twice, even
 *              after retention deletes the newest rows. `raw` is the record text
 *              exactly as received. recipients/links are JSON arrays (NULL when
 *              empty, the common case).
 * dedupe       a 16-byte hash of (tenant, record Id) of every stored record (see
 *              legacyKey in keys.ts, which now follows a time prefix), kept longer than the
 *              records may be (at least 8 days): the API re-sends for 7 days.
 *              `seq` points at the record while it exists (for related()).
 * record_links link key → record, for related(); rows go with their record
 *              (trigger), so retention needs no extra pass.
 * blobs        the blob ledger: pending → delivered | dropped (with reason).
 * cursors      end of the last fully listed window per tenant × content type.
 * streams      per tenant × content type counters; every write path creates the
 *              row, so status() lists a stream as soon as anything happened.
 *              records/invalid_records follow the rows present (delete trigger);
 *              duplicates and blobs_delivered are running totals.
 * last_errors  the last error per tenant × content type (NULL once cleared).
 * sink_offsets the offset each sink has delivered up to.
 */
const V1 = `
CREATE TABLE records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT NOT NULL,
  record_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  content_id TEXT NOT NULL,
  stored_at TEXT NOT NULL,
  record_type INTEGER,
  creation_time TEXT,
  operation TEXT,
  workload TEXT,
  user_id TEXT,
  verdict TEXT,
  delivery_action TEXT,
  sender TEXT,
  recipients TEXT,
  url TEXT,
  sha256 TEXT,
  investigation_status TEXT,
  links TEXT,
  invalid_reason TEXT,
  -- Last, so that reading the index columns above never walks the (often overflowing) raw text.
  raw TEXT NOT NULL
);
CREATE INDEX records_type_time ON records (record_type, creation_time);
CREATE INDEX records_time ON records (creation_time);
CREATE INDEX records_verdict ON records (verdict) WHERE verdict IS NOT NULL;
CREATE INDEX records_sender ON records (sender) WHERE sender IS NOT NULL;
CREATE INDEX records_url ON records (url) WHERE url IS NOT NULL;
CREATE INDEX records_sha256 ON records (sha256) WHERE sha256 IS NOT NULL;

CREATE TABLE dedupe (
  k BLOB NOT NULL PRIMARY KEY,
  seen_at TEXT NOT NULL,
  seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX dedupe_seen_at ON dedupe (seen_at);

CREATE TABLE record_links (
  tenant_id TEXT NOT NULL,
  link_key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, link_key, seq)
) WITHOUT ROWID;

CREATE TABLE blobs (
  content_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  content_uri TEXT NOT NULL,
  content_created TEXT NOT NULL,
  content_expiration TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dropped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_error TEXT,
  drop_reason TEXT,
  drop_detail TEXT,
  listed_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (content_id, tenant_id)
) WITHOUT ROWID;
CREATE INDEX blobs_pending ON blobs (tenant_id, content_type, content_created) WHERE state = 'pending';
CREATE INDEX blobs_open ON blobs (tenant_id, content_type, state, drop_reason) WHERE state <> 'delivered';
CREATE INDEX blobs_expiration ON blobs (content_expiration) WHERE state = 'delivered';

CREATE TABLE cursors (
  tenant_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  cursor TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, content_type)
) WITHOUT ROWID;

CREATE TABLE streams (
  tenant_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0,
  invalid_records INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  blobs_delivered INTEGER NOT NULL DEFAULT 0,
  newest_delivered TEXT,
  PRIMARY KEY (tenant_id, content_type)
) WITHOUT ROWID;

CREATE TABLE last_errors (
  tenant_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  error TEXT,
  at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, content_type)
) WITHOUT ROWID;

CREATE TABLE sink_offsets (
  sink TEXT PRIMARY KEY,
  delivered_offset INTEGER NOT NULL,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER records_deleted AFTER DELETE ON records BEGIN
  DELETE FROM record_links
   WHERE tenant_id = OLD.tenant_id AND seq = OLD.seq
     AND link_key IN (SELECT value FROM json_each(OLD.links));
  UPDATE streams
     SET records = records - 1,
         invalid_records = invalid_records - (OLD.invalid_reason IS NOT NULL)
   WHERE tenant_id = OLD.tenant_id AND content_type = OLD.content_type;
END;
`;

/*
 * Version 2: ingest cost no longer grows with the store.
 *
 * Measured on v1: a commit of 1000 records slowed from 27 µs to 56 µs a record as the store grew from
 * 100k to 300k records, because every B-tree keyed by something random (the dedupe hash, sender, URL,
 * SHA-256, link keys) had nearly all its leaf pages dirtied, and so rewritten, by every commit.
 *
 * dedupe        keyed by the record's CreationTime in minutes (8 hex digits) and then the hash of (tenant,
 *               Id) in base64 (see keys.ts), so a blob's keys land in a few neighbouring pages. A re-sent record
 *               is the same record, CreationTime included (spec §5.3: duplicates come from the service's
 *               own retries). Should a re-send ever carry another CreationTime, it would be stored once
 *               more: a duplicate, never a loss. `seq` is the offset that claimed the key.
 * dedupe_legacy the v1 keys whose record is already gone (shorter retention than 8 days), so that their
 *               CreationTime is unknown: checked by hash alone until retention ages them out.
 * record_links  filled in batches of several thousand records after they are stored (link_index.upto is
 *               the last offset whose links are in it); related() scans the few records after it.
 * The partial indexes on verdict, sender, URL and SHA-256 are dropped: no query used them (verdict is
 * matched with LIKE '%…%', which no index serves), and each cost a random write per record.
 */
const V2 = `
CREATE TABLE dedupe_v2 (
  k TEXT NOT NULL PRIMARY KEY,
  seen_at TEXT NOT NULL,
  seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE dedupe_legacy (
  k TEXT NOT NULL PRIMARY KEY,
  seen_at TEXT NOT NULL
) WITHOUT ROWID;
`;

/** The rest of step 2, after its keys were rewritten by migrateDedupeKeys. */
const V2_AFTER_KEYS = `
DROP TABLE dedupe;
ALTER TABLE dedupe_v2 RENAME TO dedupe;
CREATE INDEX dedupe_seen_at ON dedupe (seen_at);
CREATE INDEX dedupe_legacy_seen_at ON dedupe_legacy (seen_at);

DROP INDEX records_verdict;
DROP INDEX records_sender;
DROP INDEX records_url;
DROP INDEX records_sha256;

CREATE TABLE link_index (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  upto INTEGER NOT NULL
);
INSERT INTO link_index (id, upto) VALUES (1, coalesce((SELECT max(seq) FROM records), 0));
`;

/**
 * v1 keys were the 16 bytes of SHA-256 that dedupeKey (keys.ts) now writes in base64, after the
 * CreationTime prefix. Keys whose record is still stored get the prefix from its creation_time; the others go
 * to dedupe_legacy (their CreationTime is unknown), in the same base64 form.
 */
function migrateDedupeKeys(db: Database.Database): void {
  // A SQL function for the key, so that the rewrite streams inside SQLite however many keys there are.
  const v1Hash = (k: unknown): string => hashPart(Buffer.from(k as Uint8Array).toString('base64'));
  db.function('atp_siem_v1_hash', { deterministic: true }, v1Hash);
  db.function('atp_siem_v2_key', { deterministic: true }, (creationTime: unknown, k: unknown) => {
    return timePrefix(creationTime as string | null) + v1Hash(k);
  });
  db.exec(`
    INSERT INTO dedupe_v2 (k, seen_at, seq)
      SELECT atp_siem_v2_key(r.creation_time, d.k), d.seen_at, d.seq FROM dedupe d JOIN records r ON r.seq = d.seq
      WHERE true ON CONFLICT DO NOTHING;
    INSERT INTO dedupe_legacy (k, seen_at)
      SELECT atp_siem_v1_hash(d.k), d.seen_at FROM dedupe d WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.seq = d.seq)
      ON CONFLICT DO NOTHING;
  `);
}

/*
 * Version 3: delivery to SIEMs.
 *
 * sink_offsets  gains the sink's running counts (delivered, filtered, dead-lettered, failed attempts, records the
 *               retention hard cap deleted before delivery), its delivery state and last error, so that
 *               `atp-siem sinks status` in another process shows what the running service is doing.
 * dead_letters  events a SIEM refused for good, with its reason and a copy of the record (retention may
 *               delete the record itself), until they are re-sent or cleared; one row per sink and record
 *               (refused again in a replay, it counts another attempt).
 */
const V3 = `
ALTER TABLE sink_offsets ADD COLUMN delivered_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sink_offsets ADD COLUMN filtered_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sink_offsets ADD COLUMN retried_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sink_offsets ADD COLUMN dead_lettered_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sink_offsets ADD COLUMN dropped_by_retention INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sink_offsets ADD COLUMN state TEXT NOT NULL DEFAULT 'closed';
ALTER TABLE sink_offsets ADD COLUMN last_error TEXT;
ALTER TABLE sink_offsets ADD COLUMN last_error_at TEXT;
ALTER TABLE sink_offsets ADD COLUMN last_delivered_at TEXT;

CREATE TABLE dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sink TEXT NOT NULL,
  seq INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  record_id TEXT NOT NULL,
  raw TEXT NOT NULL,
  reason TEXT NOT NULL,
  at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX dead_letters_sink ON dead_letters (sink, id);
CREATE UNIQUE INDEX dead_letters_sink_seq ON dead_letters (sink, seq);
`;

/*
 * Version 4: the dashboard's reports (src/store/sqlite/dashboard-store.ts).
 *
 * A projection of the Defender records (28, 41, 47, 64), built after ingest by the dashboard's projector from
 * the records table (never on the collector's path), up to dash_progress.offset:
 * dash_events          one narrow row per Defender record with the columns the tables filter and sort on.
 * dash_messages        one row per (tenant, NetworkMessageId): the mail's life (first seen, original and latest
 *                      location, removed after delivery, remediated by an investigation, clicks) and its state.
 * dash_investigations  one row per (tenant, investigation id): its latest status and pending actions.
 * dash_keys            (tenant, key, offset) for the keys a row shares with others: `nmid:`, `url:`, `sha256:`
 *                      and `ss:` (sender and subject), for timelines, clusters and "also seen in mail".
 * dash_totals          the same counts over all retained days, for the top-N candidates.
 * dash_hourly/daily    pre-aggregated counts per (dimension, hour|day, tenant, value) for the charts and top-N
 *                      panels, so that a report over a million events reads thousands of rows, not a million.
 * Rows go with their record (trigger on records) or, for the aggregates, by age in retention.
 */
const V4 = `
CREATE TABLE dash_progress (id INTEGER PRIMARY KEY CHECK (id = 1), offset INTEGER NOT NULL, newest_t INTEGER);
INSERT INTO dash_progress (id, offset) VALUES (1, 0);
CREATE TABLE dash_tenants (tenant_id TEXT PRIMARY KEY) WITHOUT ROWID;

CREATE TABLE dash_events (
  seq INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  t INTEGER NOT NULL,
  kind TEXT NOT NULL,
  action TEXT NOT NULL,
  verdict TEXT,
  verdict_raw TEXT,
  tech TEXT,
  delivery_action TEXT,
  orig_loc TEXT,
  latest_loc TEXT,
  detection_type TEXT,
  policy TEXT,
  direction TEXT,
  override TEXT,
  sender TEXT,
  sender_domain TEXT,
  sender_ip TEXT,
  recipient TEXT,
  subject TEXT,
  nmid TEXT,
  url TEXT,
  url_domain TEXT,
  click_action TEXT,
  app TEXT,
  file_name TEXT,
  site TEXT,
  path TEXT,
  family TEXT,
  sha256 TEXT,
  user_key TEXT,
  inv_id TEXT,
  search TEXT,
  summary TEXT NOT NULL,
  extra TEXT
);
CREATE INDEX dash_events_kind_t ON dash_events (kind, t);
CREATE INDEX dash_events_user ON dash_events (user_key, t) WHERE user_key IS NOT NULL;
CREATE INDEX dash_events_through ON dash_events (t) WHERE action = 'clicked-through-warning';
CREATE INDEX dash_events_through_user ON dash_events (user_key, t) WHERE action = 'clicked-through-warning';
CREATE INDEX dash_events_click_url ON dash_events (url, t) WHERE kind = 'url-click';

CREATE TABLE dash_keys (
  tenant_id TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (tenant_id, key, seq)
) WITHOUT ROWID;

CREATE TABLE dash_messages (
  tenant_id TEXT NOT NULL,
  nmid TEXT NOT NULL,
  first_t INTEGER,
  last_t INTEGER NOT NULL,
  first_seq INTEGER,
  recipient TEXT,
  sender TEXT,
  subject TEXT,
  verdict TEXT,
  orig_loc TEXT,
  orig_class TEXT,
  latest_loc TEXT,
  latest_class TEXT,
  latest_t INTEGER,
  removed_t INTEGER,
  remediated_t INTEGER,
  clicks INTEGER NOT NULL DEFAULT 0,
  click_throughs INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  open INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, nmid)
) WITHOUT ROWID;
CREATE INDEX dash_messages_open ON dash_messages (first_t) WHERE open = 1;
CREATE INDEX dash_messages_remediated ON dash_messages (remediated_t) WHERE remediated_t IS NOT NULL;

CREATE TABLE dash_investigations (
  tenant_id TEXT NOT NULL,
  inv_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  t INTEGER NOT NULL,
  name TEXT,
  type TEXT,
  status TEXT,
  start_t INTEGER,
  pending INTEGER NOT NULL DEFAULT 0,
  pending_since INTEGER,
  actions INTEGER NOT NULL DEFAULT 0,
  mails INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, inv_id)
) WITHOUT ROWID;
CREATE INDEX dash_investigations_t ON dash_investigations (t, status, type);
CREATE INDEX dash_investigations_order ON dash_investigations ((pending > 0), t);
CREATE INDEX dash_investigations_pending ON dash_investigations (t) WHERE pending > 0;

CREATE TABLE dash_hourly (
  dim TEXT NOT NULL, b INTEGER NOT NULL, tenant_id TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (dim, b, tenant_id, value)
) WITHOUT ROWID;
CREATE TABLE dash_daily (
  dim TEXT NOT NULL, b INTEGER NOT NULL, tenant_id TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (dim, b, tenant_id, value)
) WITHOUT ROWID;

CREATE INDEX dash_daily_value ON dash_daily (dim, value, b);
-- Each top-N value's count over everything retained, per tenant and over all tenants ('*'): the candidates
-- of a top-N query (see SqliteDashboardStore.topRanked).
CREATE TABLE dash_totals (
  dim TEXT NOT NULL, tenant_id TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (dim, tenant_id, value)
) WITHOUT ROWID;
CREATE INDEX dash_totals_n ON dash_totals (dim, tenant_id, n);

CREATE TRIGGER dash_events_follow_records AFTER DELETE ON records BEGIN
  DELETE FROM dash_events WHERE seq = old.seq;
END;
`;

/** Every schema step, oldest first. The last one's version is the current schema. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'records, dedupe keys, links, blob ledger, cursors, counters, sink offsets',
    up: (db) => db.exec(V1),
  },
  {
    version: 2,
    description: 'time-ordered dedupe keys, links indexed in batches, no per-record random indexes',
    up: (db) => {
      db.exec(V2);
      migrateDedupeKeys(db);
      db.exec(V2_AFTER_KEYS);
    },
  },
  {
    version: 3,
    description: 'sink delivery state and counters, dead letters',
    up: (db) => db.exec(V3),
  },
  {
    version: 4,
    description: 'dashboard reports: projection of Defender records, message and investigation state, counts',
    up: (db) => db.exec(V4),
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** The schema version a database file is at (0 for a new, empty file). */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database to the latest schema, one transaction per step.
 * A no-op when it is current; refuses a file written by a newer atp-siem,
 * since this version cannot know what the newer schema means.
 * @example migrateDatabase(db, '/var/lib/atp-siem/atp-siem.db');
 */
export function migrateDatabase(
  db: Database.Database,
  file: string,
  steps: readonly Migration[] = MIGRATIONS,
): number {
  const latest = steps[steps.length - 1]?.version ?? 0;
  const current = schemaVersion(db);
  if (current > latest) throw new StoreVersionError(file, current, latest);
  let applied = 0;
  for (const step of steps) {
    if (step.version <= current) continue;
    db.transaction(() => {
      // Another process may have run this step since we looked: check again under the write lock.
      if (schemaVersion(db) >= step.version) return;
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
      applied += 1;
    }).immediate();
  }
  return applied;
}
