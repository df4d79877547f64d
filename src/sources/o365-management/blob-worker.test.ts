import { beforeEach, describe, expect, it } from 'vitest';
import type { PendingBlob } from '../../store/types.js';
import { processBlob, recordId, retryDelayMs, type BlobWorkerDeps } from './blob-worker.js';
import { fallbackExtractIndex } from './fallback-index.js';
import { ManualClock, MemoryStore, ScriptedClient, apiError, records } from './fakes.test-util.js';

const T = '11111111-1111-1111-1111-111111111111';
const NOW = Date.parse('2026-11-25T12:00:00.000Z');

describe('processBlob', () => {
  let store: MemoryStore;
  let client: ScriptedClient;
  let clock: ManualClock;
  let deps: BlobWorkerDeps;
  let blob: PendingBlob;

  beforeEach(async () => {
    store = new MemoryStore();
    client = new ScriptedClient(T);
    clock = new ManualClock(NOW);
    deps = {
      store,
      client,
      clock,
      extractIndex: fallbackExtractIndex,
      retryBaseMs: 1_000,
      retryMaxMs: 60_000,
    };
    blob = {
      tenantId: T,
      contentType: 'Audit.General',
      contentId: 'c1',
      contentUri: 'http://127.0.0.1/audit/c1',
      contentCreated: new Date(NOW - 3_600_000).toISOString(),
      contentExpiration: new Date(NOW + 6 * 86_400_000).toISOString(),
      attempts: 0,
      lastError: null,
    };
    await store.addBlobs([blob]);
  });

  it('stores every record and marks the blob delivered', async () => {
    client.blobs.set(blob.contentUri, records(['a', 'b', 'c']));
    const outcome = await processBlob(blob, deps);
    expect(outcome).toMatchObject({ kind: 'delivered', result: { inserted: 3, duplicates: 0 } });
    expect(await store.blobState('c1')).toBe('delivered');
    expect([...store.records.keys()].sort()).toEqual([`${T}/a`, `${T}/b`, `${T}/c`]);
  });

  it('counts duplicate Ids within and across blobs instead of storing them twice', async () => {
    client.blobs.set(blob.contentUri, records(['a', 'a', 'b']));
    const outcome = await processBlob(blob, deps);
    expect(outcome.result).toEqual({ inserted: 2, duplicates: 1, invalid: 0 });
  });

  it('stores a large blob in chunks, committing the last chunk with the delivered state', async () => {
    const ids = Array.from({ length: 2_500 }, (_, i) => `r${i}`);
    client.blobs.set(blob.contentUri, records(ids));
    const outcome = await processBlob(blob, { ...deps, chunkRecords: 1_000 });
    expect(outcome).toMatchObject({ kind: 'delivered', result: { inserted: 2_500 } });
    expect(store.storeCalls).toBe(3);
  });

  it('stores chunks in order while an asynchronous indexer works on the next one', async () => {
    const ids = Array.from({ length: 2_500 }, (_, i) => `r${i}`);
    client.blobs.set(blob.contentUri, records(ids));
    const slow = {
      index: async (batch: Array<{ value: unknown }>) => {
        await new Promise((r) => setTimeout(r, 5));
        return batch.map((r) => fallbackExtractIndex(r.value));
      },
      close: async () => undefined,
    };
    const outcome = await processBlob(blob, { ...deps, indexer: slow, chunkRecords: 1_000 });
    expect(outcome).toMatchObject({ kind: 'delivered', result: { inserted: 2_500 } });
    expect([...store.records.keys()].map((k) => k.split('/')[1])).toEqual(ids);
  });

  it('leaves the blob for a retry when indexing fails', async () => {
    client.blobs.set(blob.contentUri, records(['a', 'b']));
    const broken = {
      index: async () => Promise.reject(new Error('worker died')),
      close: async () => undefined,
    };
    expect(await processBlob(blob, { ...deps, indexer: broken })).toMatchObject({ kind: 'retry' });
    expect(await store.blobState('c1')).toBe('pending');
  });

  it('drops a blob already past its expiration without calling the API', async () => {
    const expired = { ...blob, contentExpiration: new Date(NOW - 1).toISOString() };
    const outcome = await processBlob(expired, deps);
    expect(outcome).toMatchObject({ kind: 'dropped', reason: 'expired' });
    expect(client.fetches.size).toBe(0);
    expect(await store.blobState('c1')).toBe('dropped');
  });

  it('judges expiration on the server clock', async () => {
    const soon = { ...blob, contentExpiration: new Date(NOW + 30_000).toISOString() };
    client.skewMs = 60_000;
    expect(await processBlob(soon, deps)).toMatchObject({ kind: 'dropped', reason: 'expired' });
  });

  it.each([
    ['BLOB_EXPIRED', 'AF20051', 'expired'],
    ['BLOB_NOT_FOUND', 'AF20050', 'gone'],
    ['BLOB_INVALID_ID', 'AF20052', 'invalid-id'],
  ])('drops the blob when the API answers %s (%s) with reason %s', async (code, af, reason) => {
    client.blobs.set(blob.contentUri, apiError(code, false, af));
    const outcome = await processBlob(blob, deps);
    expect(outcome).toMatchObject({ kind: 'dropped', reason });
    expect(store.ledger.get('c1')).toMatchObject({ state: 'dropped', dropReason: reason });
  });

  it('schedules a retry with backoff when the fetch fails retryably, leaving the blob pending', async () => {
    client.blobs.set(blob.contentUri, apiError('API_THROTTLED', true, 'AF429'));
    const outcome = await processBlob(blob, deps);
    expect(outcome.kind).toBe('retry');
    const row = store.ledger.get('c1');
    expect(row).toMatchObject({ state: 'pending', attempts: 1 });
    const next = Date.parse(row?.nextAttemptAt ?? '');
    expect(next).toBeGreaterThanOrEqual(NOW + 500);
    expect(next).toBeLessThanOrEqual(NOW + 1_500);
    expect(await store.pendingBlobs(T, 'Audit.General', new Date(NOW).toISOString(), 10)).toHaveLength(0);
    expect(await store.pendingBlobs(T, 'Audit.General', new Date(next).toISOString(), 10)).toHaveLength(1);
  });

  it('honours Retry-After when the server sends one', async () => {
    client.blobs.set(
      blob.contentUri,
      Object.assign(apiError('API_THROTTLED', true, 'AF429'), { retryAfterMs: 30_000 }),
    );
    const outcome = await processBlob(blob, deps);
    expect(outcome.kind === 'retry' && Date.parse(outcome.nextAttemptAt) - NOW).toBe(30_000);
  });

  it('retries a malformed blob, then drops it as malformed after the last attempt', async () => {
    client.blobs.set(blob.contentUri, apiError('BLOB_MALFORMED', true));
    expect((await processBlob(blob, { ...deps, maxMalformedAttempts: 2 })).kind).toBe('retry');
    const again = { ...blob, attempts: 1 };
    expect(await processBlob(again, { ...deps, maxMalformedAttempts: 2 })).toMatchObject({
      kind: 'dropped',
      reason: 'malformed',
    });
  });

  it('keeps records stored before a mid-stream failure and dedupes them on the next attempt', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `r${i}`);
    client.blobs.set(blob.contentUri, records(ids));
    // First attempt: a stream that breaks after 15 records.
    const brokenClient = Object.create(client) as ScriptedClient;
    brokenClient.fetchBlob = async function* () {
      yield* records(ids.slice(0, 15));
      throw apiError('NETWORK', true);
    };
    const first = await processBlob(blob, { ...deps, client: brokenClient, chunkRecords: 10 });
    expect(first).toMatchObject({ kind: 'retry', result: { inserted: 10 } });
    const second = await processBlob({ ...blob, attempts: 1 }, { ...deps, chunkRecords: 10 });
    expect(second).toMatchObject({ kind: 'delivered', result: { inserted: 15, duplicates: 10 } });
  });

  it('abandons between chunks when asked to stop, leaving the blob pending', async () => {
    client.blobs.set(blob.contentUri, records(Array.from({ length: 30 }, (_, i) => `r${i}`)));
    const outcome = await processBlob(blob, { ...deps, chunkRecords: 10, stopping: () => true });
    expect(outcome.kind).toBe('abandoned');
    expect(await store.blobState('c1')).toBe('pending');
  });

  it('asks for a subscription repair on AF20022 and retries later', async () => {
    const lost: string[] = [];
    client.blobs.set(blob.contentUri, apiError('SUBSCRIPTION_MISSING', false, 'AF20022'));
    const outcome = await processBlob(blob, { ...deps, onSubscriptionLost: (ct) => lost.push(ct) });
    expect(outcome.kind).toBe('retry');
    expect(lost).toEqual(['Audit.General']);
  });
});

describe('recordId', () => {
  it('uses the record Id, or a content hash for a record without one', () => {
    expect(recordId({ Id: 'x' }, '{"Id":"x"}')).toBe('x');
    expect(recordId({ Foo: 1 }, '{"Foo":1}')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(recordId(null, 'null')).toBe(recordId(null, 'null'));
  });
});

describe('retryDelayMs', () => {
  it('grows exponentially and stays under the cap', () => {
    const d = (n: number) => retryDelayMs(n, { baseMs: 1_000, maxMs: 60_000, random: () => 0.5 });
    expect([d(0), d(1), d(2), d(10)]).toEqual([1_000, 2_000, 4_000, 60_000]);
  });
});
