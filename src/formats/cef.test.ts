import { describe, expect, it } from 'vitest';
import { parseCef } from '../../test/helpers/cef-leef-parser.js';
import { loadRecordFixture } from '../../test/fixtures/records/index.js';
import { SEVERITY_NUMBER, cefFormat, truncate } from './cef.js';
import { toFormatInput } from './index.js';

/** A fixture record with some fields replaced. */
function variant(name: string, changes: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(loadRecordFixture(name).raw) as object), ...changes });
}

const encode = (raw: string): ReturnType<typeof parseCef> => parseCef(cefFormat.encode(toFormatInput(raw)));

describe('cef format', () => {
  it('maps a blocked malware mail to the standard keys', () => {
    const e = encode(loadRecordFixture('mail-28-malware-blocked').raw);
    expect(e).toMatchObject({
      version: '0',
      deviceVendor: 'Microsoft',
      deviceProduct: 'Defender for Office 365',
      signatureId: '28:TIMailData',
      name: 'Malware email blocked',
      severity: String(SEVERITY_NUMBER.medium),
    });
    expect(e.extensions).toMatchObject({
      rt: String(Date.parse('2026-11-20T08:15:42Z')),
      externalId: '3c0e8f41-1d6a-4b7e-9a52-6f1e0d2c9b01',
      act: 'quarantined',
      outcome: 'failure',
      src: '198.51.100.23',
      duser: 'megan.bowen@contoso.example',
      fname: 'invoice.exe',
      fileHash: '091b572abf984382a95b9455e407f284e24bfb616890abc3fcdb2be68813f39d',
      cs1Label: 'Verdict',
      cs1: 'Malware',
      deviceDirection: '0',
    });
  });

  it('cuts values to the CEF key lengths without splitting a surrogate pair', () => {
    const e = encode(variant('mail-28-malware-blocked', { Subject: 'x'.repeat(5000), Id: 'i'.repeat(100) }));
    expect(e.extensions.msg).toBe('x'.repeat(1023));
    expect(e.extensions.externalId).toBe('i'.repeat(40));
    const emoji = encode(variant('mail-28-malware-blocked', { Subject: '😀'.repeat(600) }));
    expect(emoji.extensions.msg).toBe('😀'.repeat(511));
    expect(truncate('a😀', 2)).toBe('a');
  });

  it('escapes hostile header and extension text so it reads back unchanged', () => {
    const subject = 'a=b \\ c | d\ne\rf\tg cs1=forged';
    const e = encode(variant('mail-28-malware-blocked', { Subject: subject, Operation: 'TI|Mail\\Data\nx' }));
    expect(e.extensions.msg).toBe(subject);
    expect(e.extensions.cs1).toBe('Malware');
    expect(e.signatureId).toBe('28:TI|Mail\\Data x');
  });

  it('puts IPv4 clients in src with their port and IPv6 ones in c6a2', () => {
    const v4 = encode(loadRecordFixture('audit-1-exchange-admin-clientip-port').raw);
    expect(v4.extensions).toMatchObject({
      src: '198.51.100.4',
      spt: '50123',
      suser: 'admin@contoso.example',
    });
    const v6 = encode(loadRecordFixture('audit-15-sts-logon').raw);
    expect(v6.extensions).toMatchObject({ c6a2: '2001:db8:1::42', c6a2Label: 'Source IPv6 Address' });
    expect(v6.extensions.src).toBeUndefined();
  });

  it('flags records that failed validation in flexString2', () => {
    const e = encode(loadRecordFixture('invalid-41-no-url').raw);
    expect(e.extensions.flexString2Label).toBe('InvalidReason');
    expect(e.extensions.flexString2).toMatch(/Url: missing/);
  });

  it('uses cs4 for the investigation status of AIR records', () => {
    const e = encode(loadRecordFixture('air-64-remediated-strings').raw);
    expect(e.extensions).toMatchObject({
      cs4Label: 'InvestigationStatus',
      cs4: 'Remediated',
      cs5Label: 'InvestigationId',
    });
    expect(e.name).toBe('Automated investigation: Remediated');
  });

  it('turns a CRLF in a header field into one space, before cutting the name to 512', () => {
    const short = encode(JSON.stringify({ RecordType: 28, Verdict: 'a\r\nb', Operation: 'TI\r\nMail' }));
    expect(short.name).toBe('a b email detected after delivery');
    expect(short.signatureId).toBe('28:TI Mail');

    // Found by the property test: NUL, CRLF, then 120 runs of `|=\<LF><TAB>^😀` (8 UTF-16 units each).
    const run = '|=\\\n\t^😀';
    const verdict = `\u0000\r\n${run}${run.repeat(120)}`;
    const e = encode(JSON.stringify({ RecordType: 28, Verdict: verdict }));
    // NUL and CRLF become two spaces (not three), so the cut at 512 falls between a `^` and its emoji.
    const cleanRun = '|=\\  ^😀';
    expect(e.name).toBe(`  ${cleanRun.repeat(63)}|=\\  ^`);
    expect(e.name).toHaveLength(512);
    // With one unit in front instead of two, unit 512 is the first half of that emoji: the whole pair goes.
    const oneInFront = encode(JSON.stringify({ RecordType: 28, Verdict: `x${run.repeat(121)}` }));
    expect(oneInFront.name).toBe(`x${cleanRun.repeat(63)}|=\\  ^`);
    expect(oneInFront.name).toHaveLength(511);
    // Extension values keep every line break, escaped, and read back exactly.
    expect(e.extensions.cs1).toBe(` \r\n${run}${run.repeat(120)}`);
  });
});

describe('cef format: investigation entities', () => {
  const every = (): ReturnType<typeof parseCef> =>
    encode(loadRecordFixture('air-64-every-entity-objects').raw);
  const list = (e: ReturnType<typeof parseCef>, key: string): Record<string, unknown>[] =>
    JSON.parse(e.extensions[key] ?? 'null') as Record<string, unknown>[];

  it('puts the first sender, the users, the first IP, URL and file of an investigation in the standard keys', () => {
    expect(every().extensions).toMatchObject({
      suser: 'bounce+8812@mailer.northwind-payments.example',
      duser: 'diego.siciliani@contoso.example',
      duid: '22222222-3333-4444-8555-666666666666',
      src: '203.0.113.45',
      request: 'https://northwind-payments.example/adjust?id=77&token=a=b',
      fname: 'salary_adjustment.xlsm',
      fileHash: '5f2b8c1e9d0a7364b5c8e1f20a9d3c7b6e4f1a2b3c4d5e6f708192a3b4c5d6e7',
      cs2: 'b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e',
    });
  });

  it('carries every mail, IP, URL, file, mailbox, cluster and action as JSON arrays that read back exactly', () => {
    const e = every();
    expect(list(e, 'mdoNetworkMessageIds')).toEqual([
      'b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e',
      'c0d1e2f3-a4b5-4c6d-8e7f-8091a2b3c4d5',
    ]);
    expect(list(e, 'mdoUrls')).toEqual([
      'https://northwind-payments.example/adjust?id=77&token=a=b',
      'http://cdn.northwind-payments.example/p.js',
    ]);
    expect(list(e, 'mdoMails')[0]).toMatchObject({
      subject: 'Salary adjustment\r\nCEF:0|fake|header| for November',
      p1Sender: 'bounce+8812@mailer.northwind-payments.example',
      p2Sender: 'payroll@northwind-payments.example',
      p2SenderDisplayName: 'Payroll | Team=HR\\Finance',
      recipient: 'diego.siciliani@contoso.example',
      internetMessageId: '<PAY-20261121-0658@northwind-payments.example>',
      deliveryAction: 'Delivered',
      deliveryLocation: 'Inbox',
      threats: ['Phish', 'Malware'],
    });
    expect(list(e, 'mdoIpAddresses')).toEqual(['203.0.113.45', '2001:db8:44::10']);
    expect(list(e, 'mdoFiles')[0]).toMatchObject({
      sha1: '3c5e7a9b1d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c',
      md5: '9a8b7c6d5e4f30211f2e3d4c5b6a7980',
      otherHashes: [{ algorithm: 'SHA256AC', value: 'AC:00ff11ee22dd33cc' }],
      malwareFamily: 'Trojan:O97M/Dropper',
    });
    expect(list(e, 'mdoMailboxes')).toEqual([
      {
        address: 'diego.siciliani@contoso.example',
        upn: 'diego.siciliani@contoso.example',
        displayName: 'Diego Siciliani',
        aadId: '22222222-3333-4444-8555-666666666666',
      },
    ]);
    expect(list(e, 'mdoMailClusters')[0]).toMatchObject({
      query: '(SenderIp:"203.0.113.45")',
      mailCount: 4,
      countByThreatType: { Phish: 3, Malware: 1 },
      countByDeliveryStatus: { Delivered: 3, Junked: 1 },
    });
    expect(
      list(e, 'mdoActions').map((a) => [a.type, a.status, a.approval ?? null, a.approvedBy ?? null]),
    ).toEqual([
      ['EmailRemediation', 'Pending', 'None', null],
      ['BlockUrl', 'Completed', 'Approved', 'secops.lead@contoso.example'],
      ['MailboxConfigurationRemediation', 'Failed', null, null],
    ]);
    expect(list(e, 'mdoActions')[1]).toMatchObject({ targetTypes: ['url', 'mailbox'] });
  });

  it('cuts a list that would pass 4000 characters by whole items, keeps it valid JSON and counts the rest', () => {
    const record = JSON.parse(loadRecordFixture('air-64-every-entity-objects').raw) as { Actions: object[] };
    const action = { ActionType: 'EmailRemediation', ActionStatus: 'Pending', Description: 'd'.repeat(300) };
    record.Actions = Array.from({ length: 40 }, (_, i) => ({ ...action, ActionId: `urn:a:${i}` }));
    const e = encode(JSON.stringify(record));
    const text = e.extensions.mdoActions ?? '';
    expect(text.length).toBeLessThanOrEqual(4000);
    const kept = (JSON.parse(text) as unknown[]).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(40);
    expect(JSON.parse(e.extensions.mdoOmittedItems ?? '{}')).toEqual({ mdoActions: 40 - kept });
  });

  it('counts the lists in bytes as sent: text full of backslashes, quotes and = still keeps them within 5000 bytes', () => {
    const record = JSON.parse(loadRecordFixture('air-64-every-entity-objects').raw) as {
      Actions: object[];
      Data: { Entities: object[] };
    };
    const hostile = `${'\\'.repeat(300)}${'"'.repeat(300)}${'='.repeat(300)}`;
    record.Data.Entities = Array.from({ length: 12 }, (_, i) => ({
      Type: 'mailMessage',
      NetworkMessageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      Subject: hostile,
      Urls: [`https://x.example/?q=${hostile}`],
    }));
    const line = cefFormat.encode(toFormatInput(JSON.stringify(record)));
    const listKeys = /(?:^| )(mdo[A-Za-z]+)=/g;
    const starts = [...line.matchAll(listKeys)].map((m) => (m.index ?? 0) + (m[0].startsWith(' ') ? 1 : 0));
    // From the first list key to the end of the line: the lists (and the omitted-items note) as sent.
    const sent = Buffer.byteLength(line.slice(starts[0] ?? line.length));
    expect(sent).toBeLessThanOrEqual(5000 + 200);
    const e = parseCef(line);
    for (const key of Object.keys(e.extensions).filter((k) => k.startsWith('mdo')))
      expect(() => JSON.parse(e.extensions[key] ?? ''), key).not.toThrow();
  });

  it('keeps all lists of a line within 5000 bytes, join keys first, so the line stays under 8 KiB', () => {
    const record = JSON.parse(loadRecordFixture('air-64-every-entity-objects').raw) as {
      Actions: object[];
      Data: { Entities: object[] };
    };
    const nmid = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    record.Data.Entities = Array.from({ length: 30 }, (_, i) => ({
      Type: 'mailMessage',
      NetworkMessageId: nmid(i),
      Subject: `Überweisung ${i} ${'ü'.repeat(150)}`,
      Recipient: `user${i}@contoso.example`,
    }));
    record.Actions = Array.from({ length: 40 }, (_, i) => ({
      ActionId: `urn:a:${i}`,
      ActionType: 'EmailRemediation',
    }));
    const line = cefFormat.encode(toFormatInput(JSON.stringify(record)));
    expect(Buffer.byteLength(line)).toBeLessThan(8192);
    const e = parseCef(line);
    expect(JSON.parse(e.extensions.mdoNetworkMessageIds ?? '[]')).toHaveLength(30);
    const omitted = JSON.parse(e.extensions.mdoOmittedItems ?? '{}') as Record<string, number>;
    expect(omitted.mdoMails).toBeGreaterThan(0);
    expect(omitted.mdoActions).toBeGreaterThan(0);
  });

  it('leaves the entity keys out of an investigation without entities or actions', () => {
    const keys = Object.keys(encode(loadRecordFixture('air-64-empty-actions-no-data').raw).extensions);
    expect(keys.filter((k) => k.startsWith('mdo'))).toEqual([]);
  });

  it('puts the network message id and URL join keys on mail and click records too', () => {
    expect(encode(loadRecordFixture('mail-28-malware-blocked').raw).extensions.mdoNetworkMessageIds).toBe(
      '["6e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"]',
    );
    const click = encode(loadRecordFixture('click-41-blocked').raw).extensions;
    expect(click.mdoUrls).toBe('["https://login-micros0ft.example.net/oauth?session=812&lang=en"]');
    expect(click.mdoNetworkMessageIds).toBe('["a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"]');
  });
});
