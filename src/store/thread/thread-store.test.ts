import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, storeFile, StoreVersionError, type Store } from '../index.js';
import { SCHEMA_VERSION } from '../sqlite/migrations.js';
import { makeBlob, makeRecord, TENANT } from '../testing.js';
import { openThreadStore } from './thread-store.js';

let dir: string;
const open: Store[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atp-siem-thread-'));
});
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function threadStore(): Promise<Store> {
  const store = await openThreadStore({ dataDir: dir });
  open.push(store);
  return store;
}

describe('the store in a worker thread', () => {
  it('stores, dedupes and reports like the store itself, and a direct reader sees what it committed', async () => {
    const store = await threadStore();
    const blob = makeBlob();
    const a = makeRecord({}, { links: ['nmid:1'] });
    const b = makeRecord({}, { recordType: 41, links: ['nmid:1'] });
    await store.recordListing(TENANT, 'Audit.General', [blob], '2026-01-10T11:00:00.000Z');
    expect(await store.commitBlob(blob, [a, b, a])).toEqual({ inserted: 2, duplicates: 1, invalid: 0 });
    expect(await store.blobState(blob.contentId)).toBe('delivered');
    expect(await store.getCursor(TENANT, 'Audit.General')).toBe('2026-01-10T11:00:00.000Z');
    const stored = await store.readFrom(0, 10);
    expect(stored.map((r) => r.raw)).toEqual([a.raw, b.raw]);
    expect((await store.related(stored[0]!.offset)).map((r) => r.id)).toEqual([b.id]);
    expect((await store.status())[0]).toMatchObject({ records: 2, duplicates: 1, blobsDelivered: 1 });

    const reader = await openStore({ dataDir: dir, readonly: true });
    expect((await reader.readFrom(0, 10)).map((r) => r.id)).toEqual([a.id, b.id]);
    await reader.close();
  });

  it('keeps calls in the order they were made', async () => {
    const store = await threadStore();
    const blobs = Array.from({ length: 20 }, () => makeBlob());
    const records = blobs.map(() => makeRecord());
    await Promise.all(blobs.map((blob, i) => store.commitBlob(blob, [records[i]!])));
    expect((await store.readFrom(0, 100)).map((r) => r.id)).toEqual(records.map((r) => r.id));
  });

  it('calls that arrive together share a commit, yet one failing call fails alone', async () => {
    const store = await threadStore();
    const good = [makeRecord(), makeRecord()];
    const outcomes = await Promise.allSettled([
      store.commitBlob(makeBlob(), [good[0]!]),
      store.retryBlob(makeBlob(), 'boom', 'not a time'),
      store.commitBlob(makeBlob(), [good[1]!]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.readFrom(0, 10)).map((r) => r.id)).toEqual(good.map((r) => r.id));
  });

  it('rejects with the store error itself: its class, message and code', async () => {
    const store = await threadStore();
    const failing = store.retryBlob(makeBlob(), 'boom', 'not a time');
    await expect(failing).rejects.toBeInstanceOf(TypeError);
    await expect(failing).rejects.toThrow('nextAttemptAt is not an ISO time');
    // The thread goes on after a failed call.
    expect(await store.getSinkOffset('none')).toBe(0);
  });

  it('refuses a store of a newer schema with StoreVersionError, as openStore does', async () => {
    await (await openStore({ dataDir: dir })).close();
    const db = new Database(storeFile(dir));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await expect(openThreadStore({ dataDir: dir })).rejects.toBeInstanceOf(StoreVersionError);
  });

  it('after close, calls are refused and closing again is harmless', async () => {
    const store = await openThreadStore({ dataDir: dir });
    await store.commitBlob(makeBlob(), [makeRecord()]);
    await store.close();
    await store.close();
    await expect(store.status()).rejects.toThrow('closed');
  });
});
