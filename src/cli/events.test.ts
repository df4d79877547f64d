import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type RecordInput } from '../store/index.js';
import { makeBlob, makeRecord } from '../store/testing.js';
import { runCommand, spawnCli } from './common.test-util.js';
import { register } from './events.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atp-siem-events-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const hoursAgo = (h: number): string => new Date(Date.now() - h * 3_600_000).toISOString();

/** Hostile text an attacker controls: colours, a screen clear, a title change, a bidi override, a newline. */
const HOSTILE =
  'Invoice \u001b[31mPAID\u001b[0m\u001b[2J\u001b]0;pwned\u0007 \u202egpj.exe\r\nfake line \u009b';

function seedRecords(): Record<string, RecordInput> {
  const phish = makeRecord(
    { Subject: HOSTILE, P2Sender: 'ceo@evil.example' },
    {
      recordType: 28,
      verdict: 'Phish',
      deliveryAction: 'Blocked',
      sender: 'ceo@evil.example',
      creationTime: hoursAgo(2),
    },
  );
  // Raw text kept byte for byte: odd spacing, escapes, key order and a non-ASCII character.
  phish.raw = phish.raw
    .replace('{', '{ ')
    .replace('"Subject":', '"Subject" :')
    .replace('Invoice', 'Facture n\\u00b0 é');
  return {
    phish,
    malware: makeRecord(
      { Subject: 'Quarterly report', AttachmentData: [{ FileName: 'report.xlsm', FileVerdict: 1 }] },
      {
        recordType: 28,
        verdict: 'Malware',
        deliveryAction: 'Blocked',
        sender: 'hr@vendor.example',
        creationTime: hoursAgo(1),
      },
    ),
    click: makeRecord(
      { Url: 'https://bad.example/\u001b[8m', UrlClickAction: 4 },
      {
        recordType: 41,
        userId: 'bob@contoso.test',
        url: 'https://bad.example/\u001b[8m',
        creationTime: hoursAgo(0.5),
      },
    ),
    file: makeRecord(
      { FileData: { FileName: 'payload.exe', MalwareFamily: 'Trojan:Win32/Test' } },
      { recordType: 47, userId: 'amy@contoso.test', creationTime: hoursAgo(30) },
    ),
    investigation: makeRecord(
      { InvestigationName: 'Mail with Malware is zapped', InvestigationType: 'ZappedMalwareInvestigation' },
      { recordType: 64, investigationStatus: 'Remediated', creationTime: hoursAgo(3) },
    ),
    logon: makeRecord(
      { ObjectId: 'portal' },
      {
        recordType: 15,
        operation: 'UserLoggedIn',
        userId: 'amy@contoso.test',
        invalidReason: 'ClientIP malformed',
        creationTime: hoursAgo(4),
      },
    ),
  };
}

async function seed(): Promise<Record<string, RecordInput>> {
  const records = seedRecords();
  const store = await openStore({ dataDir: dir });
  await store.commitBlob(makeBlob(), Object.values(records));
  await store.close();
  return records;
}

describe('atp-siem events', () => {
  it('--json prints each record exactly as received, one per line, oldest first', async () => {
    const r = await seed();
    const out = await runCommand(register, ['events', '--data', dir, '--json']);
    expect(out).toBe(
      [r.file, r.logon, r.investigation, r.phish, r.malware, r.click].map((x) => `${x!.raw}\n`).join(''),
    );
    const phish = await runCommand(register, ['events', '--data', dir, '--json', '--type', 'phish']);
    expect(phish).toBe(`${r.phish!.raw}\n`);
  });

  it('selects by type, since and limit', async () => {
    const r = await seed();
    const lines = async (...args: string[]) =>
      (await runCommand(register, ['events', '--data', dir, '--json', ...args]))
        .trim()
        .split('\n')
        .filter(Boolean);
    expect(await lines('--type', 'malware')).toEqual([r.file!.raw, r.malware!.raw]);
    expect(await lines('--type', 'url-click')).toEqual([r.click!.raw]);
    expect(await lines('--type', 'file')).toEqual([r.file!.raw]);
    expect(await lines('--type', 'investigation')).toEqual([r.investigation!.raw]);
    expect(await lines('--since', '24h')).toHaveLength(5);
    expect(await lines('--since', '90m')).toEqual([r.malware!.raw, r.click!.raw]);
    expect(await lines('--since', hoursAgo(2.5))).toEqual([r.phish!.raw, r.malware!.raw, r.click!.raw]);
    expect(await lines('--limit', '2')).toEqual([r.malware!.raw, r.click!.raw]);
    expect(await lines('--tenant', 'other-tenant')).toEqual([]);
  });

  it('shows a readable table in which hostile text cannot reach the terminal as control codes', async () => {
    await seed();
    const out = await runCommand(register, ['events', '--data', dir]);
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(out).toContain(
      'Facture n° é \\x1b[31mPAID\\x1b[0m\\x1b[2J\\x1b]0;pwned\\x07 \\u202egpj.exe\\x0d\\x0afake',
    );
    const rows = out.trimEnd().split('\n');
    expect(rows).toHaveLength(7);
    expect(rows[0]).toMatch(
      /^TIME \(UTC\) +TYPE +VERDICT \/ ACTION +SENDER \/ USER +SUBJECT \/ URL \/ FILE +ID$/,
    );
    expect(out).toMatch(/mail +Phish \/ Blocked +ceo@evil\.example +Facture/);
    expect(out).toMatch(/mail +Malware \/ Blocked +hr@vendor\.example +Quarterly report \/ report\.xlsm/);
    expect(out).toMatch(/url-click +BlockPageOverride +bob@contoso\.test +https:\/\/bad\.example\/\\x1b\[8m/);
    expect(out).toMatch(/file +Trojan:Win32\/Test +amy@contoso\.test +payload\.exe/);
    expect(out).toMatch(/investigation +Remediated +ZappedMalwareInvestigation +Mail with Malware is zapped/);
    expect(out).toMatch(/UserLoggedIn .* INVALID: ClientIP malformed/);
  });

  it('rejects a bad --since or --limit with the fix, before touching the store', async () => {
    await expect(
      runCommand(register, ['events', '--data', join(dir, 'none'), '--since', 'yesterday']),
    ).rejects.toThrow(/--since "yesterday" .* such as 30m, 24h or 7d, or an ISO time/);
    await expect(runCommand(register, ['events', '--data', dir, '--limit', '0'])).rejects.toThrow(
      /--limit "0" .* whole number of 1 or more/,
    );
    await expect(runCommand(register, ['events', '--data', dir, '--type', 'spam'])).rejects.toThrow(
      /Allowed choices/,
    );
  });

  it('prints raw records byte for byte through the real command line', async () => {
    const r = await seed();
    const run = await spawnCli(['events', '--data', dir, '--json', '--type', 'phish']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${r.phish!.raw}\n`);
  });
});
