import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCef, parseLeef } from '../../test/helpers/cef-leef-parser.js';
import { getFormat } from '../formats/index.js';
import { convertRecords } from './convert.js';

const CWD = new URL('../..', import.meta.url).pathname;

function mail(id: string, subject = 'Invoice | due = today'): Record<string, unknown> {
  return {
    CreationTime: '2024-03-05T10:11:12',
    Id: id,
    Operation: 'TIMailData',
    OrganizationId: 'b0e0c0a0-0000-0000-0000-000000000001',
    RecordType: 28,
    UserKey: 'ThreatIntel',
    UserType: 4,
    Version: 1,
    Workload: 'ThreatIntelligence',
    UserId: 'ThreatIntel',
    DetectionType: 'Inline',
    DetectionMethod: 'Spoof DMARC',
    InternetMessageId: `<${id}@evil.example>`,
    NetworkMessageId: id,
    P1Sender: 'bad@evil.example',
    P2Sender: 'ceo@evil.example',
    Policy: 'Phish',
    PolicyAction: 'Quarantine',
    Recipients: ['alice@contoso.com'],
    SenderIp: '203.0.113.5',
    Subject: subject,
    Verdict: 'Phish',
    MessageTime: '2024-03-05T10:10:00',
    EventDeepLink: 'https://security.microsoft.com/?hash=/threatexplorer',
    DeliveryAction: 'Blocked',
    OriginalDeliveryLocation: 'Quarantine',
    LatestDeliveryLocation: 'Quarantine',
    Directionality: 'Inbound',
    ThreatsAndDetectionTech: ['Phish: [Spoof DMARC]'],
  };
}

const ID = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], stdin?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: CWD });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

// Each case spawns the CLI (seconds of start-up on a busy machine), so they run concurrently on separate files.
describe.concurrent('atp-siem convert', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atp-convert-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('converts an NDJSON file to CEF, one parseable event per line, exit 0', async () => {
    const file = join(dir, 'records.ndjson');
    await writeFile(file, [mail(ID(1)), mail(ID(2))].map((r) => JSON.stringify(r)).join('\r\n') + '\n\n');
    const r = await runCli(['convert', '--format', 'cef', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout).map(parseCef);
    expect(out.map((e) => e.extensions.externalId)).toEqual([ID(1), ID(2)]);
    expect(out[0]?.extensions.msg).toBe('Invoice | due = today');
  });

  it('streams a pretty-printed content blob (JSON array) from standard input to Splunk HEC events', async () => {
    const blob = JSON.stringify([mail(ID(1)), mail(ID(2)), mail(ID(3))], null, 2);
    const r = await runCli(['convert', '--format', 'splunk'], blob);
    expect(r.code).toBe(0);
    const out = lines(r.stdout).map((l) => JSON.parse(l) as { event: { Id: string }; sourcetype: string });
    expect(out.map((e) => e.event.Id)).toEqual([ID(1), ID(2), ID(3)]);
    expect(out[0]?.sourcetype).toBe('o365:management:activity');
  });

  it('reports a bad line by number on stderr, still converts the others, and exits 1', async () => {
    const input = [
      JSON.stringify(mail(ID(1))),
      '{"Id": "broken"',
      '[1, 2]',
      JSON.stringify(mail(ID(4), 'tab\there')),
    ].join('\n');
    const r = await runCli(['convert', '--format', 'leef', '-'], input);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^line 2: skipped, record is not JSON/m);
    expect(r.stderr).toMatch(/^line 3: skipped, not a JSON object \(got an array\)/m);
    const out = lines(r.stdout).map(parseLeef);
    expect(out.map((e) => e.attributes.externalId)).toEqual([ID(1), ID(4)]);
    expect(out[1]?.attributes.subject).toBe('tab\there');
  });

  it('reports array elements that are not records by index, and a truncated blob after its good records', async () => {
    const file = join(dir, 'blob.json');
    const pretty = JSON.stringify(mail(ID(3)), null, 2);
    await writeFile(file, `[${JSON.stringify(mail(ID(1)))}, "text", ${pretty}, {"Id": `);
    const r = await runCli(['convert', '--format', 'raw', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^array index 1: skipped, not a JSON object \(got string\)/m);
    expect(r.stderr).toMatch(/^array index 3: .*truncated/m);
    expect(lines(r.stdout).map((l) => (JSON.parse(l) as { Id: string }).Id)).toEqual([ID(1), ID(3)]);
    expect(lines(r.stdout)[1]).toBe(JSON.stringify(mail(ID(3))));
  });

  it('converts records that fail validation, with a warning, and still exits 0', async () => {
    const r = await runCli(
      ['convert', '--format', 'ecs'],
      JSON.stringify({ Id: ID(9), RecordType: 'not a number' }),
    );
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    expect(r.stderr).toMatch(/^line 1: warning, converted although invalid/m);
  });

  it('exits 2 with a message naming the fix for an unknown format, a missing format or an unreadable file', async () => {
    const [unknown, missing, unreadable] = await Promise.all([
      runCli(['convert', '--format', 'xml']),
      runCli(['convert', join(dir, 'nope.json')]),
      runCli(['convert', '--format', 'cef', join(dir, 'nope.json')]),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /unknown format "xml"; use one of ecs, ocsf, cef, leef, splunk, sentinel, raw/,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--format/);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/cannot read .*nope\.json.*omit FILE to read standard input/);
  });
});

describe('convertRecords', () => {
  it('splits a large array fed in small chunks without losing or reordering records', async () => {
    const count = 2000;
    const blob = JSON.stringify(Array.from({ length: count }, (_, i) => mail(ID(i), `subject ${i} 😀`)));
    const bytes = Buffer.from(blob);
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let i = 0; i < bytes.length; i += 997) yield bytes.subarray(i, i + 997);
    }
    const out = new PassThrough();
    let text = '';
    out.setEncoding('utf8').on('data', (d: string) => (text += d));
    const reports: string[] = [];
    const summary = await convertRecords({
      input: chunks(),
      format: getFormat('cef')!,
      out,
      report: (m) => reports.push(m),
    });
    expect(reports).toEqual([]);
    expect(summary).toEqual({ converted: count, failed: 0, invalid: 0 });
    const parsed = lines(text).map(parseCef);
    expect(parsed.map((e) => e.extensions.msg)).toEqual(
      Array.from({ length: count }, (_, i) => `subject ${i} 😀`),
    );
  });

  it('splits NDJSON fed a few bytes at a time, with CRLF and characters cut between chunks', async () => {
    const records = [mail(ID(1), 'é😀 one'), mail(ID(2), 'two 中文')];
    const bytes = Buffer.from(records.map((r) => JSON.stringify(r)).join('\r\n') + '\r\n\r\n');
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
    }
    const out = new PassThrough();
    let text = '';
    out.setEncoding('utf8').on('data', (d: string) => (text += d));
    const summary = await convertRecords({
      input: chunks(),
      format: getFormat('raw')!,
      out,
      report: () => {},
    });
    expect(summary).toEqual({ converted: 2, failed: 0, invalid: 0 });
    expect(lines(text).map((l) => JSON.parse(l) as unknown)).toEqual(records);
  });
});
