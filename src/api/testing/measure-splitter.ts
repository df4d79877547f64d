/**
 * Measures the blob splitter: `node --import tsx src/api/testing/measure-splitter.ts [MB]`.
 * Splits an in-memory body of Defender-like records fed in 64 KiB chunks,
 * without and with JSON.parse of each element; prints the best of three runs.
 */
import { randomUUID } from 'node:crypto';
import { JsonArraySplitter } from '../json-array-splitter.js';

function record(i: number): string {
  return JSON.stringify({
    CreationTime: '2026-11-20T10:00:00',
    Id: randomUUID(),
    Operation: 'TIMailData',
    OrganizationId: '5b0e2a43-6f1c-4c3e-9d27-2d7c5a0e9a11',
    RecordType: 28,
    UserKey: 'ThreatIntel',
    UserType: 4,
    Version: 1,
    Workload: 'ThreatIntelligence',
    UserId: 'ThreatIntel',
    AttachmentData: [{ FileName: `invoice ${i} "final" [v2] {x}.docx`, FileType: 'docx', FileVerdict: 1 }],
    DeliveryAction: 'Blocked',
    Directionality: 'Inbound',
    InternetMessageId: `<msg${i}@example.com>`,
    NetworkMessageId: randomUUID(),
    P1Sender: 'billing@example.net',
    P2Sender: 'billing@example.net',
    Recipients: ['finance@contoso.com', 'müller@contoso.com'],
    SenderIp: '203.0.113.5',
    Subject: `Überweisung Rechnung ${i} 請求書 — {urgent}`,
    Verdict: 'Malware',
    PolicyAction: 'Quarantine',
    ThreatsAndDetectionTech: ['Malware:["File detonation"]'],
    EventDeepLink: `https://security.microsoft.com/?id=${i}`,
  });
}

function measure(body: Buffer, parse: boolean): number {
  const splitter = new JsonArraySplitter({ parse });
  const started = performance.now();
  for (let o = 0; o < body.length; o += 65_536) splitter.push(body.subarray(o, o + 65_536));
  splitter.end();
  return body.length / 1_048_576 / ((performance.now() - started) / 1000);
}

const targetMb = Number(process.argv[2] ?? 100);
const parts: string[] = [];
for (let size = 0, i = 0; size < targetMb * 1_048_576; i++) {
  const r = record(i);
  parts.push(r);
  size += Buffer.byteLength(r) + 1;
}
const body = Buffer.from(`[${parts.join(',')}]`);
const best = (parse: boolean) => Math.max(...[1, 2, 3].map(() => measure(body, parse)));
process.stdout.write(
  `${(body.length / 1_048_576).toFixed(0)} MB, ${parts.length} records: split ${best(false).toFixed(0)} MB/s, split+parse ${best(true).toFixed(0)} MB/s\n`,
);
