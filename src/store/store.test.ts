import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type RecordInput, type Store } from './index.js';
import { makeBlob, makeRecord, TENANT } from './testing.js';

const DAY = 86_400_000;
let dir: string;
let nowMs: number;
const open: Store[] = [];

async function storeAt(linkBatch?: number): Promise<Store> {
  const store = await openStore({ dataDir: dir, clock: () => new Date(nowMs), linkBatch });
  open.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atp-siem-store-'));
  nowMs = Date.parse('2026-01-10T12:00:00.000Z');
});
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function ids(records: { id: string }[]): string[] {
  return records.map((r) => r.id);
}

describe('dedupe by tenant and record Id', () => {
  it('stores a record repeated within one blob once', async () => {
    const store = await storeAt();
    const record = makeRecord();
    const result = await store.commitBlob(makeBlob(), [record, makeRecord(), record]);
    expect(result).toEqual({ inserted: 2, duplicates: 1, invalid: 0 });
    expect(await store.readFrom(0, 10)).toHaveLength(2);
  });

  it('stores a record re-sent in a later blob once', async () => {
    const store = await storeAt();
    const record = makeRecord();
    await store.commitBlob(makeBlob(), [record]);
    const second = await store.commitBlob(makeBlob('2026-01-10T11:00:00.000Z'), [record, makeRecord()]);
    expect(second).toEqual({ inserted: 1, duplicates: 1, invalid: 0 });
    expect(await store.readFrom(0, 10)).toHaveLength(2);
  });

  it('remembers stored Ids across a restart', async () => {
    const record = makeRecord();
    const first = await storeAt();
    await first.commitBlob(makeBlob(), [record]);
    await first.close();
    const second = await storeAt();
    expect(await second.commitBlob(makeBlob(), [record])).toEqual({ inserted: 0, duplicates: 1, invalid: 0 });
    expect(await second.readFrom(0, 10)).toHaveLength(1);
    expect((await second.status())[0]?.duplicates).toBe(1);
  });

  it('refuses a record without an Id instead of counting it as a duplicate', async () => {
    const store = await storeAt();
    const blob = makeBlob();
    const noId = { ...makeRecord(), id: null } as unknown as RecordInput;
    await expect(store.commitBlob(blob, [makeRecord(), noId])).rejects.toThrow(/NOT NULL/);
    expect(await store.readFrom(0, 10)).toEqual([]);
    expect(await store.blobState(blob.contentId)).toBeNull();
  });

  it('keeps the same Id apart in two tenants', async () => {
    const store = await storeAt();
    const record = makeRecord();
    await store.commitBlob(makeBlob(), [record]);
    const other = { ...makeBlob(), tenantId: '99999999-2222-3333-4444-555555555555' };
    expect(await store.commitBlob(other, [record])).toEqual({ inserted: 1, duplicates: 0, invalid: 0 });
  });
});

describe('transactions', () => {
  it('a failing record mid-commit stores nothing and leaves the blob pending', async () => {
    const store = await storeAt();
    const blob = makeBlob();
    await store.recordListing(TENANT, blob.contentType, [blob], '2026-01-10T11:00:00.000Z');
    const good = makeRecord();
    const broken = { ...makeRecord(), raw: { not: 'text' } } as unknown as RecordInput;
    await expect(store.commitBlob(blob, [good, broken, makeRecord()])).rejects.toThrow();

    expect(await store.blobState(blob.contentId)).toBe('pending');
    expect(await store.readFrom(0, 10)).toEqual([]);
    const [status] = await store.status();
    expect(status).toMatchObject({ records: 0, duplicates: 0, blobsDelivered: 0, blobsPending: 1 });
    // The good record was not remembered either: retrying stores it.
    expect(await store.commitBlob(blob, [good])).toEqual({ inserted: 1, duplicates: 0, invalid: 0 });
  });

  it('records a window listing and its cursor together, or neither', async () => {
    const store = await storeAt();
    const first = makeBlob();
    expect(await store.recordListing(TENANT, 'Audit.General', [first], '2026-01-10T11:00:00.000Z')).toBe(1);
    const broken = { ...makeBlob(), contentUri: null } as unknown as ReturnType<typeof makeBlob>;
    const second = makeBlob('2026-01-10T11:30:00.000Z');
    await expect(
      store.recordListing(TENANT, 'Audit.General', [second, broken], '2026-01-10T12:00:00.000Z'),
    ).rejects.toThrow();
    expect(await store.getCursor(TENANT, 'Audit.General')).toBe('2026-01-10T11:00:00.000Z');
    expect(await store.blobState(second.contentId)).toBeNull();
  });

  it('leaves known blobs as they are when a window is listed again', async () => {
    const store = await storeAt();
    const [a, b] = [makeBlob(), makeBlob('2026-01-10T10:30:00.000Z')];
    await store.recordListing(TENANT, 'Audit.General', [a, b], '2026-01-10T11:00:00.000Z');
    await store.commitBlob(a, []);
    await store.dropBlob(b, 'gone', 'AF20050');
    const c = makeBlob('2026-01-10T10:45:00.000Z');
    expect(await store.addBlobs([a, b, c])).toBe(1);
    expect(await store.getCursor(TENANT, 'Audit.General')).toBe('2026-01-10T11:00:00.000Z');
    expect([await store.blobState(a.contentId), await store.blobState(b.contentId)]).toEqual([
      'delivered',
      'dropped',
    ]);
  });

  it('stores chunks of a large blob while it stays pending, then commits the last chunk', async () => {
    const store = await storeAt();
    const blob = makeBlob();
    await store.addBlobs([blob]);
    const chunk1 = [makeRecord(), makeRecord()];
    const chunk2 = [makeRecord()];
    expect(await store.storeRecords(blob, chunk1)).toEqual({ inserted: 2, duplicates: 0, invalid: 0 });
    expect(await store.blobState(blob.contentId)).toBe('pending');
    // A crash after the first chunk: the attempt repeats it, and the repeat only counts duplicates.
    expect(await store.storeRecords(blob, chunk1)).toEqual({ inserted: 0, duplicates: 2, invalid: 0 });
    expect(await store.commitBlob(blob, chunk2)).toEqual({ inserted: 1, duplicates: 0, invalid: 0 });
    expect(await store.blobState(blob.contentId)).toBe('delivered');
    expect(ids(await store.readFrom(0, 10))).toEqual(ids([...chunk1, ...chunk2]));
  });
});

describe('blob ledger', () => {
  it('hands out due pending blobs, oldest contentCreated first', async () => {
    const store = await storeAt();
    const late = makeBlob('2026-01-10T09:00:00.000Z');
    const early = makeBlob('2026-01-10T08:00:00.000Z');
    const waiting = makeBlob('2026-01-10T07:00:00.000Z');
    await store.recordListing(TENANT, 'Audit.General', [late, early, waiting], '2026-01-10T10:00:00.000Z');
    await store.retryBlob(waiting, 'HTTP 503', '2026-01-10T12:05:00Z');

    const due = await store.pendingBlobs(TENANT, 'Audit.General', '2026-01-10T12:00:00.000Z', 10);
    expect(due.map((b) => b.contentId)).toEqual([early.contentId, late.contentId]);
    expect(await store.pendingBlobs(TENANT, 'Audit.General', '2026-01-10T12:00:00.000Z', 1)).toHaveLength(1);
    const later = await store.pendingBlobs(TENANT, 'Audit.General', '2026-01-10T12:05:00.000Z', 10);
    expect(later[0]).toMatchObject({ contentId: waiting.contentId, attempts: 1, lastError: 'HTTP 503' });
    expect(await store.pendingBlobs(TENANT, 'Audit.Exchange', '2026-01-10T12:05:00.000Z', 10)).toEqual([]);
  });

  it('counts attempts and never reopens a delivered or dropped blob on retry', async () => {
    const store = await storeAt();
    const [a, b] = [makeBlob(), makeBlob()];
    await store.addBlobs([a, b]);
    await store.retryBlob(a, 'reset', '2026-01-10T12:00:00.000Z');
    await store.retryBlob(a, 'reset again', '2026-01-10T12:00:00.000Z');
    const due = await store.pendingBlobs(TENANT, a.contentType, '2026-01-11T00:00:00Z', 10);
    expect(due.find((p) => p.contentId === a.contentId)).toMatchObject({
      attempts: 2,
      lastError: 'reset again',
    });
    await store.commitBlob(a, []);
    await store.dropBlob(b, 'expired', 'AF20051');
    await store.retryBlob(a, 'late failure', '2026-01-10T12:00:00.000Z');
    await store.retryBlob(b, 'late failure', '2026-01-10T12:00:00.000Z');
    expect([await store.blobState(a.contentId), await store.blobState(b.contentId)]).toEqual([
      'delivered',
      'dropped',
    ]);
    expect(await store.pendingBlobs(TENANT, a.contentType, '2026-01-11T00:00:00Z', 10)).toEqual([]);
  });

  it('shows drops by reason, pending blobs, counters and the last error in status', async () => {
    const store = await storeAt();
    const blobs = [makeBlob(), makeBlob(), makeBlob(), makeBlob('2026-01-10T11:00:00.000Z'), makeBlob()];
    await store.recordListing(TENANT, 'Audit.General', blobs, '2026-01-10T11:30:00.000Z');
    await store.dropBlob(blobs[0]!, 'expired', 'AF20051');
    await store.dropBlob(blobs[1]!, 'expired', 'AF20051');
    await store.dropBlob(blobs[2]!, 'malformed', 'not a JSON array');
    const invalid = makeRecord({}, { invalidReason: 'RecordType missing' });
    await store.commitBlob(blobs[3]!, [makeRecord(), invalid, invalid]);
    await store.setLastError(TENANT, 'Audit.General', 'HTTP 503 from the API', '2026-01-10T11:59:00Z');

    expect(await store.status()).toEqual([
      {
        tenantId: TENANT,
        contentType: 'Audit.General',
        cursor: '2026-01-10T11:30:00.000Z',
        newestContentCreated: '2026-01-10T11:00:00.000Z',
        records: 2,
        invalidRecords: 1,
        duplicates: 1,
        blobsDelivered: 1,
        blobsPending: 1,
        blobsDropped: { expired: 2, malformed: 1 },
        lastError: 'HTTP 503 from the API',
        lastErrorAt: '2026-01-10T11:59:00.000Z',
      },
    ]);
    await store.setLastError(TENANT, 'Audit.General', null, '2026-01-10T12:00:00Z');
    expect((await store.status())[0]).toMatchObject({ lastError: null, lastErrorAt: null });
  });

  it('counts a blob delivered once however often it is committed, and keeps the newest contentCreated', async () => {
    const store = await storeAt();
    const newer = makeBlob('2026-01-10T11:00:00.000Z');
    await store.commitBlob(newer, []);
    await store.commitBlob(newer, []);
    await store.commitBlob(makeBlob('2026-01-10T09:00:00.000Z'), []);
    expect((await store.status())[0]).toMatchObject({
      blobsDelivered: 2,
      newestContentCreated: '2026-01-10T11:00:00.000Z',
    });
  });
});

describe('offsets and sinks', () => {
  it('hands out increasing offsets that readFrom tails page by page', async () => {
    const store = await storeAt();
    const records = Array.from({ length: 25 }, () => makeRecord());
    await store.commitBlob(makeBlob(), records.slice(0, 10));
    await store.commitBlob(makeBlob(), records.slice(10));

    const seen: string[] = [];
    let offset = await store.getSinkOffset('splunk');
    expect(offset).toBe(0);
    for (;;) {
      const page = await store.readFrom(offset, 7);
      if (page.length === 0) break;
      const offsets = page.map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(offsets[0]).toBeGreaterThan(offset);
      seen.push(...ids(page));
      offset = page[page.length - 1]!.offset;
      await store.setSinkOffset('splunk', offset);
    }
    expect(seen).toEqual(ids(records));
    expect(await store.getSinkOffset('splunk')).toBe(offset);
    expect(await store.getSinkOffset('syslog')).toBe(0);
  });

  it('never hands out an offset twice, even after retention removed every record', async () => {
    const store = await storeAt();
    await store.commitBlob(makeBlob(), [makeRecord(), makeRecord()]);
    const last = (await store.readFrom(0, 10)).at(-1)!.offset;
    nowMs += 2 * DAY;
    await store.enforceRetention(new Date(nowMs).toISOString(), 1);
    expect(await store.readFrom(0, 10)).toEqual([]);
    await store.close();
    const reopened = await storeAt();
    await reopened.commitBlob(makeBlob(), [makeRecord()]);
    expect((await reopened.readFrom(last, 10))[0]?.offset).toBeGreaterThan(last);
  });

  it('returns a stored record exactly as received, with its index', async () => {
    const store = await storeAt();
    const raw = '{ "Id" : "x-1",  "Subject":"caf\\u00e9 \u202e", "RecordType":28 }';
    const record = {
      ...makeRecord({}, { recipients: ['a@x.test', 'b@x.test'], links: ['nmid:1'] }),
      id: 'x-1',
      raw,
    };
    const blob = makeBlob();
    await store.commitBlob(blob, [record]);
    const [stored] = await store.readFrom(0, 1);
    expect(stored).toMatchObject({
      id: 'x-1',
      raw,
      tenantId: TENANT,
      contentId: blob.contentId,
      index: record.index,
    });
    expect(stored?.storedAt).toBe('2026-01-10T12:00:00.000Z');
  });
});

describe('retention', () => {
  it('deletes records stored before the retention period and keeps dedupe keys for 8 days', async () => {
    const store = await storeAt();
    const old = makeRecord({}, { links: ['nmid:old'] });
    await store.commitBlob(makeBlob(), [old]);
    nowMs += 2 * DAY;
    const young = makeRecord();
    await store.commitBlob(makeBlob(), [young]);

    nowMs += 1 * DAY; // old is 3 days old, young 1 day
    expect(await store.enforceRetention(new Date(nowMs).toISOString(), 2)).toMatchObject({
      records: 1,
      ids: 0,
    });
    expect(ids(await store.readFrom(0, 10))).toEqual([young.id]);
    expect((await store.status())[0]).toMatchObject({ records: 1 });
    // The API may still re-send the old record: it is recognised, not stored again.
    expect(await store.commitBlob(makeBlob(), [old])).toEqual({ inserted: 0, duplicates: 1, invalid: 0 });

    nowMs += 5 * DAY + 1; // old's key is now over 8 days old
    expect(await store.enforceRetention(new Date(nowMs).toISOString(), 2)).toMatchObject({
      records: 1,
      ids: 1,
    });
    expect(await store.commitBlob(makeBlob(), [old])).toEqual({ inserted: 1, duplicates: 0, invalid: 0 });
  });

  it('keeps dedupe keys as long as the records when retention is longer than 8 days', async () => {
    const store = await storeAt();
    const record = makeRecord();
    await store.commitBlob(makeBlob(), [record]);
    nowMs += 20 * DAY;
    expect(await store.enforceRetention(new Date(nowMs).toISOString(), 30)).toMatchObject({
      records: 0,
      ids: 0,
    });
    expect(await store.commitBlob(makeBlob(), [record])).toEqual({ inserted: 0, duplicates: 1, invalid: 0 });
  });

  it('goes by stored time, so a late blob of old events survives until its sinks could read it', async () => {
    const store = await storeAt();
    const ancient = makeRecord({}, { creationTime: '2025-12-01T00:00:00.000Z' });
    await store.commitBlob(makeBlob(), [ancient]);
    expect(await store.enforceRetention(new Date(nowMs + DAY / 2).toISOString(), 1)).toMatchObject({
      records: 0,
      ids: 0,
    });
    expect(ids(await store.readFrom(0, 10))).toEqual([ancient.id]);
  });
});

describe('related records', () => {
  it('finds the mails and clicks an investigation concerns, within the tenant only', async () => {
    const store = await storeAt();
    const mail = makeRecord({}, { recordType: 28, links: ['nmid:m1', 'url:http://bad.test/'] });
    const click = makeRecord(
      {},
      { recordType: 41, links: ['url:http://bad.test/'], creationTime: '2026-01-10T10:05:00Z' },
    );
    const unrelated = makeRecord({}, { recordType: 28, links: ['nmid:m2'] });
    const investigation = makeRecord({}, { recordType: 64, links: ['nmid:m1', 'url:http://bad.test/'] });
    await store.commitBlob(makeBlob(), [mail, click, unrelated, investigation]);
    const otherTenant = { ...makeBlob(), tenantId: '99999999-2222-3333-4444-555555555555' };
    await store.commitBlob(otherTenant, [makeRecord({}, { links: ['nmid:m1'] })]);

    const offsetOf = async (id: string) =>
      (await store.readFrom(0, 100)).find((r) => r.id === id)?.offset ?? -1;
    expect(ids(await store.related(await offsetOf(investigation.id)))).toEqual([mail.id, click.id]);
    expect(ids(await store.related(await offsetOf(click.id)))).toEqual([mail.id, investigation.id]);
    expect(await store.related(await offsetOf(unrelated.id))).toEqual([]);
    expect(await store.related(987_654)).toEqual([]);
    expect(await store.related(await offsetOf(investigation.id), 1)).toHaveLength(1);
  });
});

describe('related records, links indexed in batches', () => {
  it('finds links both already in the link index and among the records stored since', async () => {
    const store = await storeAt(3);
    const mail = makeRecord({}, { recordType: 28, links: ['nmid:a'] });
    const filler = [makeRecord(), makeRecord()];
    await store.commitBlob(makeBlob(), [mail, ...filler]); // 3 records: the pass runs, mail is indexed
    const click = makeRecord({}, { recordType: 41, links: ['nmid:a'] });
    const investigation = makeRecord({}, { recordType: 64, links: ['nmid:a'] });
    await store.commitBlob(makeBlob(), [click, investigation]); // 2 more: not yet indexed
    const stored = await store.readFrom(0, 100);
    const at = (id: string) => stored.find((r) => r.id === id)?.offset ?? -1;
    expect(ids(await store.related(at(mail.id)))).toEqual([click.id, investigation.id]);
    expect(ids(await store.related(at(investigation.id)))).toEqual([mail.id, click.id]);
    await store.commitBlob(makeBlob(), [makeRecord()]); // the pass runs again: all are indexed now
    expect(ids(await store.related(at(investigation.id)))).toEqual([mail.id, click.id]);
    expect(await store.related(at(filler[0]!.id))).toEqual([]);
  });

  it('forgets the links of records that retention deleted', async () => {
    const store = await storeAt(1);
    const old = makeRecord({}, { links: ['sha256:ab'] });
    await store.commitBlob(makeBlob(), [old]);
    nowMs += 3 * DAY;
    const young = makeRecord({}, { links: ['sha256:ab'] });
    await store.commitBlob(makeBlob(), [young]);
    await store.enforceRetention(new Date(nowMs).toISOString(), 2);
    const [only] = await store.readFrom(0, 10);
    expect(only?.id).toBe(young.id);
    expect(await store.related(only!.offset)).toEqual([]);
  });
});

describe('dedupe keys carry the CreationTime', () => {
  it('recognises a re-send whose CreationTime is written another way', async () => {
    const store = await storeAt();
    const record = makeRecord({}, { creationTime: '2026-01-10T10:00:00.000Z' });
    await store.commitBlob(makeBlob(), [record]);
    const resent = { ...record, index: { ...record.index, creationTime: '2026-01-10T10:00:00' } };
    expect(await store.commitBlob(makeBlob(), [resent])).toEqual({ inserted: 0, duplicates: 1, invalid: 0 });
  });

  it('dedupes records without a CreationTime too', async () => {
    const store = await storeAt();
    const record = makeRecord({}, { creationTime: null, invalidReason: 'CreationTime: missing' });
    expect(await store.commitBlob(makeBlob(), [record, record])).toEqual({
      inserted: 1,
      duplicates: 1,
      invalid: 1,
    });
  });
});

describe('event queries', () => {
  async function seeded() {
    const store = await storeAt();
    const byName = {
      malwareMail: makeRecord(
        {},
        { recordType: 28, verdict: 'Malware', creationTime: '2026-01-10T08:00:00Z' },
      ),
      phishMail: makeRecord({}, { recordType: 28, verdict: 'Phish', creationTime: '2026-01-10T09:00:00Z' }),
      highPhish: makeRecord(
        {},
        { recordType: 28, verdict: 'HighConfPhish', creationTime: '2026-01-09T09:00:00Z' },
      ),
      spamMail: makeRecord({}, { recordType: 28, verdict: 'Spam', creationTime: '2026-01-10T09:30:00Z' }),
      click: makeRecord({}, { recordType: 41, creationTime: '2026-01-10T10:00:00Z' }),
      file: makeRecord({}, { recordType: 47, creationTime: '2026-01-10T11:00:00Z' }),
      investigation: makeRecord({}, { recordType: 64, creationTime: '2026-01-10T11:30:00Z' }),
      logon: makeRecord({}, { recordType: 15, creationTime: '2026-01-10T11:45:00Z' }),
    };
    await store.commitBlob(makeBlob(), Object.values(byName));
    return { store, byName };
  }

  it('selects each report kind, newest first', async () => {
    const { store, byName: r } = await seeded();
    const kind = async (k: NonNullable<Parameters<Store['queryEvents']>[0]['kind']>) =>
      ids(await store.queryEvents({ kind: k }));
    expect(await kind('malware')).toEqual(ids([r.file, r.malwareMail]));
    expect(await kind('phish')).toEqual(ids([r.phishMail, r.highPhish]));
    expect(await kind('url-click')).toEqual(ids([r.click]));
    expect(await kind('file')).toEqual(ids([r.file]));
    expect(await kind('investigation')).toEqual(ids([r.investigation]));
    expect(await kind('all')).toHaveLength(8);
    expect(ids(await store.queryEvents({ recordTypes: [15, 41] }))).toEqual(ids([r.logon, r.click]));
  });

  it('filters by creation time, tenant and limit', async () => {
    const { store, byName: r } = await seeded();
    expect(ids(await store.queryEvents({ kind: 'phish', since: '2026-01-10T00:00:00Z' }))).toEqual(
      ids([r.phishMail]),
    );
    expect(ids(await store.queryEvents({ since: '2026-01-10T11:00:00.000Z', limit: 2 }))).toEqual(
      ids([r.logon, r.investigation]),
    );
    expect(await store.queryEvents({ tenantId: 'someone-else' })).toEqual([]);
    expect(await store.queryEvents({ tenantId: TENANT })).toHaveLength(8);
    await expect(store.queryEvents({ since: 'yesterday' })).rejects.toThrow(/not an ISO time/);
  });
});
