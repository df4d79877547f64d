import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, storeFile, StoreNotFoundError, StoreVersionError } from './index.js';
import {
  migrateDatabase,
  MIGRATIONS,
  SCHEMA_VERSION,
  schemaVersion,
  type Migration,
} from './sqlite/migrations.js';
import { makeBlob, makeRecord, TENANT } from './testing.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atp-siem-migrate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tables(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    )
      .map((r) => r.name)
      .filter((n) => !n.startsWith('sqlite_'));
  } finally {
    db.close();
  }
}

describe('store migrations', () => {
  it('creates every table on an empty folder and records the schema version', async () => {
    const store = await openStore({ dataDir: join(dir, 'nested', 'data') });
    await store.close();
    const file = storeFile(join(dir, 'nested', 'data'));
    expect(tables(file)).toEqual(
      [
        'blobs',
        'cursors',
        'dash_daily',
        'dash_events',
        'dash_hourly',
        'dash_investigations',
        'dash_keys',
        'dash_messages',
        'dash_progress',
        'dash_tenants',
        'dash_totals',
        'dead_letters',
        'dedupe',
        'dedupe_legacy',
        'last_errors',
        'link_index',
        'record_links',
        'records',
        'sink_offsets',
        'streams',
      ].sort(),
    );
    const db = new Database(file, { readonly: true });
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('page_size', { simple: true })).toBe(16384);
    db.close();
  });

  it('re-opening a current store applies nothing and keeps its data', async () => {
    const first = await openStore({ dataDir: dir });
    const blob = makeBlob();
    await first.commitBlob(blob, [makeRecord()]);
    await first.close();

    const db = new Database(storeFile(dir));
    expect(migrateDatabase(db, storeFile(dir))).toBe(0);
    db.close();
    const again = await openStore({ dataDir: dir });
    expect(await again.readFrom(0, 10)).toHaveLength(1);
    expect(await again.blobState(blob.contentId)).toBe('delivered');
    await again.close();
  });

  it('upgrades a version 1 store: its dedupe keys, legacy keys without a record, and its links', async () => {
    const file = storeFile(dir);
    const db = new Database(file);
    migrateDatabase(db, file, MIGRATIONS.slice(0, 1));
    const v1Key = (id: string) =>
      createHash('sha256').update(TENANT).update('\n').update(id).digest().subarray(0, 16);
    const kept = makeRecord({}, { links: ['nmid:x'] });
    const purged = makeRecord();
    const blob = makeBlob();
    db.prepare(
      `INSERT INTO records (seq, tenant_id, record_id, content_type, content_id, stored_at, creation_time, links, raw)
       VALUES (1, ?, ?, 'Audit.General', ?, '2026-01-10T12:00:00.000Z', '2026-01-10T10:00:00.000Z', '["nmid:x"]', ?)`,
    ).run(TENANT, kept.id, blob.contentId, kept.raw);
    db.prepare(
      "INSERT INTO dedupe VALUES (?, '2026-01-10T12:00:00.000Z', 1), (?, '2026-01-10T12:00:00.000Z', 7)",
    ).run(v1Key(kept.id), v1Key(purged.id));
    db.prepare("INSERT INTO record_links VALUES (?, 'nmid:x', 1)").run(TENANT);
    db.close();

    const store = await openStore({ dataDir: dir, clock: () => new Date('2026-01-11T00:00:00.000Z') });
    const again = { ...purged, index: { ...purged.index, creationTime: '2026-01-09T00:00:00.000Z' } };
    // Both are known: `kept` by its converted key, `again` by its legacy key (its record is gone).
    expect(await store.commitBlob(makeBlob(), [kept, again])).toEqual({
      inserted: 0,
      duplicates: 2,
      invalid: 0,
    });
    const click = makeRecord({}, { recordType: 41, links: ['nmid:x'] });
    await store.commitBlob(makeBlob(), [click]);
    expect((await store.related(1)).map((r) => r.id)).toEqual([click.id]);
    // Legacy keys age out like any other after 8 days; then the purged record is new again.
    expect(await store.enforceRetention('2026-01-19T00:00:00.000Z', 2)).toMatchObject({ records: 2, ids: 2 });
    expect(await store.commitBlob(makeBlob(), [again])).toEqual({ inserted: 1, duplicates: 0, invalid: 0 });
    await store.close();
  });

  it('refuses a store written by a newer version, naming both versions and the fix', async () => {
    const store = await openStore({ dataDir: dir });
    await store.close();
    const db = new Database(storeFile(dir));
    db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    db.close();

    const opening = openStore({ dataDir: dir });
    await expect(opening).rejects.toBeInstanceOf(StoreVersionError);
    await expect(opening).rejects.toThrow(
      `store schema ${SCHEMA_VERSION + 5}; this version knows up to ${SCHEMA_VERSION}`,
    );
    await expect(openStore({ dataDir: dir, readonly: true })).rejects.toThrow(
      /newer atp-siem.*Upgrade atp-siem/,
    );
  });

  it('runs steps in order, each with its version bump, and a failing step leaves the previous version', () => {
    const file = join(dir, 'steps.db');
    const db = new Database(file);
    const ran: number[] = [];
    const steps: Migration[] = [
      ...MIGRATIONS,
      {
        version: SCHEMA_VERSION + 1,
        description: 'add a column',
        up: (d) => (ran.push(1), d.exec('ALTER TABLE cursors ADD note TEXT')),
      },
      {
        version: SCHEMA_VERSION + 2,
        description: 'broken',
        up: (d) => {
          ran.push(2);
          d.exec('CREATE TABLE half_done (x)');
          throw new Error('step failed');
        },
      },
    ];
    expect(() => migrateDatabase(db, file, steps)).toThrow('step failed');
    expect(ran).toEqual([1, 2]);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION + 1);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'").get()).toEqual({
      n: 0,
    });
    db.close();
  });

  it('read-only opening never creates a store: a missing one says how to collect', async () => {
    const opening = openStore({ dataDir: join(dir, 'none'), readonly: true });
    await expect(opening).rejects.toBeInstanceOf(StoreNotFoundError);
    await expect(opening).rejects.toThrow(
      /nothing has been collected there yet.*atp-siem run.*atp-siem demo/,
    );
    expect(existsSync(join(dir, 'none'))).toBe(false);
  });

  it('read-only opening of a file without a schema counts as nothing collected', async () => {
    const db = new Database(storeFile(dir));
    db.exec('CREATE TABLE unrelated (x)');
    db.close();
    await expect(openStore({ dataDir: dir, readonly: true })).rejects.toBeInstanceOf(StoreNotFoundError);
  });

  it('an older store seen read-only asks for one run to upgrade it', () => {
    expect(new StoreVersionError('data/atp-siem.db', 1, 2).message).toMatch(
      /schema 1, older than .* 2.*`atp-siem run` once/,
    );
  });
});
