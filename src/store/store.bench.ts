/**
 * Store micro-benchmark: how many records per second commitBlob stores, against JSON.parse of the same
 * blobs (the floor of what fetching a blob costs). Run: `npx tsx src/store/store.bench.ts [records] [blobSize]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from './index.js';
import { makeBlob, makeRecord } from './testing.js';
import type { RecordInput } from './types.js';

const total = Number(process.argv[2] ?? 100_000);
const blobSize = Number(process.argv[3] ?? 1000);

/** A mix like a Defender tenant's feed: mostly mails, some clicks, files and investigations, other audit. */
function recordAt(i: number): RecordInput {
  const creationTime = new Date(Date.parse('2026-01-10T00:00:00Z') + i * 997).toISOString();
  const nmid = `nmid:${(i >> 2).toString(16).padStart(8, '0')}-1111-2222-3333-444455556666`;
  switch (i % 10) {
    case 0:
      return makeRecord(
        { Url: `https://bad${i % 97}.example/landing?id=${i}`, UserIp: '203.0.113.9', AppName: 'Mail' },
        {
          recordType: 41,
          creationTime,
          userId: `user${i % 500}@contoso.test`,
          url: `https://bad${i % 97}.example/`,
          links: [nmid, `url:https://bad${i % 97}.example/`],
        },
      );
    case 1:
      return makeRecord(
        { FileData: { FileName: `report-${i}.docm`, SHA256: 'A'.repeat(64), FileSize: '20480' } },
        {
          recordType: 47,
          creationTime,
          userId: `user${i % 500}@contoso.test`,
          verdict: 'Malware',
          sha256: 'a'.repeat(64),
        },
      );
    case 2:
    case 3:
      return makeRecord(
        {
          ClientIP: '198.51.100.7',
          ResultStatus: 'Succeeded',
          ObjectId: `https://contoso.sharepoint.com/sites/x/doc${i}.docx`,
        },
        {
          recordType: 6,
          creationTime,
          operation: 'FileAccessed',
          workload: 'SharePoint',
          userId: `user${i % 500}@contoso.test`,
        },
      );
    default:
      return makeRecord(
        {
          Subject: `Invoice ${i} overdue, please review the attached document today`,
          P1Sender: `bounce-${i}@mailer.example`,
          P2Sender: `billing@vendor${i % 50}.example`,
          Recipients: [`user${i % 500}@contoso.test`],
          SenderIp: '192.0.2.44',
          ThreatsAndDetectionTech: ['Phish: [URL malicious reputation]', 'Spam: [General filter]'],
          AuthDetails: [
            { Name: 'SPF', Value: 'Fail' },
            { Name: 'DKIM', Value: 'None' },
            { Name: 'DMARC', Value: 'Fail' },
          ],
          EventDeepLink: `https://security.microsoft.com/?hash=/threatexplorer?messageParams=${nmid}`,
        },
        {
          recordType: 28,
          creationTime,
          verdict: i % 3 === 0 ? 'Malware' : 'Phish',
          deliveryAction: 'Blocked',
          sender: `billing@vendor${i % 50}.example`,
          recipients: [`user${i % 500}@contoso.test`],
          links: [nmid],
        },
      );
  }
}

const records = Array.from({ length: total }, (_, i) => recordAt(i));
const blobs: { blob: ReturnType<typeof makeBlob>; records: RecordInput[]; text: string }[] = [];
for (let i = 0; i < total; i += blobSize) {
  const slice = records.slice(i, i + blobSize);
  blobs.push({ blob: makeBlob(), records: slice, text: `[${slice.map((r) => r.raw).join(',')}]` });
}
const bytes = blobs.reduce((n, b) => n + b.text.length, 0);

/** Records per second by wall clock and by this process's CPU time (steadier on a busy machine). */
async function rate(
  count: number,
  work: () => Promise<unknown> | unknown,
): Promise<{ wall: number; cpu: number }> {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  await work();
  const used = process.cpuUsage(cpu);
  return {
    wall: count / ((performance.now() - wall) / 1000),
    cpu: count / ((used.user + used.system) / 1e6),
  };
}

const parse = await rate(total, () => {
  for (const b of blobs) JSON.parse(b.text);
});
const dir = mkdtempSync(join(tmpdir(), 'atp-siem-bench-'));
const store = await openStore({ dataDir: dir });
try {
  const commit = await rate(total, async () => {
    for (const b of blobs) await store.commitBlob(b.blob, b.records);
  });
  const duplicate = await rate(total, async () => {
    for (const b of blobs) await store.commitBlob(makeBlob(), b.records);
  });
  const read = await rate(total, async () => {
    for (let offset = 0; ;) {
      const page = await store.readFrom(offset, 1000);
      if (page.length === 0) break;
      offset = page[page.length - 1]!.offset;
    }
  });
  // Reference: the same texts into one bare table, one transaction per blob: what this disk and CPU allow.
  const bare = new Database(join(dir, 'bare.db'));
  bare.pragma('journal_mode = WAL');
  bare.pragma('synchronous = NORMAL');
  bare.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, id TEXT, raw TEXT)');
  const insert = bare.prepare('INSERT INTO t (id, raw) VALUES (?, ?)');
  const floor = await rate(total, () => {
    for (const b of blobs) bare.transaction(() => b.records.forEach((r) => insert.run(r.id, r.raw)))();
  });
  bare.close();
  const fmt = (r: { wall: number; cpu: number }): string =>
    `${Math.round(r.wall).toLocaleString('en-US').padStart(9)} records/s (by CPU time ${Math.round(r.cpu).toLocaleString('en-US')})`;
  console.log(
    `records: ${total} in blobs of ${blobSize}, ${(bytes / total).toFixed(0)} bytes each on average`,
  );
  console.log(`JSON.parse of the blobs:     ${fmt(parse)}`);
  console.log(`commitBlob, new records:     ${fmt(commit)}`);
  console.log(`commitBlob, all duplicates:  ${fmt(duplicate)}`);
  console.log(`readFrom, pages of 1000:     ${fmt(read)}`);
  console.log(`bare SQLite table (floor):   ${fmt(floor)}`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
