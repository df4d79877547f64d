/**
 * A collector stand-in for the crash test (store.crash.test.ts): commits blobs of 200 records to the
 * store in <dataDir> as fast as it can and prints each blob's content id once its commit returned,
 * until it is killed.
 */
import { openStore } from './index.js';
import { makeBlob, makeRecord } from './testing.js';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: testing-writer.ts <dataDir>');
const store = await openStore({ dataDir });
for (let i = 0; ; i += 1) {
  const blob = makeBlob(new Date(Date.parse('2026-01-10T00:00:00.000Z') + i * 1000).toISOString());
  const records = Array.from({ length: 200 }, (_, n) =>
    makeRecord({ Subject: `message ${i}/${n}`, Padding: 'x'.repeat(500) }, { links: [`nmid:${i}`] }),
  );
  await store.recordListing(blob.tenantId, blob.contentType, [blob], blob.contentCreated);
  await store.storeRecords(blob, records.slice(0, 100));
  await store.commitBlob(blob, records.slice(100));
  process.stdout.write(`${blob.contentId}\n`);
}
