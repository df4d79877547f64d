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
