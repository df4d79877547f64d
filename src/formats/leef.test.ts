import { describe, expect, it } from 'vitest';
import { parseLeef } from '../../test/helpers/cef-leef-parser.js';
import { loadRecordFixture } from '../../test/fixtures/records/index.js';
import { SEVERITY_NUMBER } from './cef.js';
import { toFormatInput } from './index.js';
import { LEEF_DEV_TIME_FORMAT, LEEF_VALUE_LIMIT, leefFormat } from './leef.js';

function variant(name: string, changes: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(loadRecordFixture(name).raw) as object), ...changes });
}

const encode = (raw: string): string => leefFormat.encode(toFormatInput(raw));

describe('leef format', () => {
  it('writes a LEEF 2.0 header declaring the tab delimiter in hex', () => {
    const line = encode(loadRecordFixture('click-41-blocked').raw);
    expect(line.startsWith('LEEF:2.0|Microsoft|Defender for Office 365|1.0|41:TIUrlClickData|x09|')).toBe(
      true,
    );
    const e = parseLeef(line);
    expect(e.delimiter).toBe('\t');
    expect(e.attributes).toMatchObject({
      devTime: '2026-11-20T09:05:30.000Z',
      devTimeFormat: LEEF_DEV_TIME_FORMAT,
      cat: 'click-blocked',
      sev: String(SEVERITY_NUMBER.medium),
      src: '203.0.113.7',
      usrName: 'alex.wilber@contoso.example',
      url: 'https://login-micros0ft.example.net/oauth?session=812&lang=en',
      clickAction: 'Blockpage',
    });
  });

  it('keeps tabs, line breaks, backslashes and = in values readable and cuts long values', () => {
    const subject = 'pay\tnow\r\nor = else \\ x09 ^|';
    const e = parseLeef(encode(variant('mail-28-spam-junked', { Subject: subject })));
    expect(e.attributes.subject).toBe(subject);
    const long = parseLeef(encode(variant('mail-28-spam-junked', { Subject: 'y'.repeat(9000) })));
    expect(long.attributes.subject).toBe('y'.repeat(LEEF_VALUE_LIMIT));
  });

  it('leaves devTime out when the record has no usable time, and flags invalid records', () => {
    const e = parseLeef(encode(loadRecordFixture('invalid-28-missing-and-bad-fields').raw));
    expect(e.attributes.devTime).toBeUndefined();
    expect(e.attributes.invalidReason).toMatch(/CreationTime/);
  });
});

describe('leef format: investigation entities', () => {
  it('puts the first IP, user, URL and sender of an investigation in src, usrName, url and sender', () => {
    const e = parseLeef(encode(loadRecordFixture('air-64-every-entity-objects').raw));
    expect(e.attributes).toMatchObject({
      src: '203.0.113.45',
      usrName: 'diego.siciliani@contoso.example',
      url: 'https://northwind-payments.example/adjust?id=77&token=a=b',
      sender: 'bounce+8812@mailer.northwind-payments.example',
      recipients: 'diego.siciliani@contoso.example',
      networkMessageId: 'b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e',
    });
  });

  it('carries every entity and action as JSON arrays that read back exactly, hostile text included', () => {
    const a = parseLeef(encode(loadRecordFixture('air-64-every-entity-objects').raw)).attributes;
    const json = (key: string): Record<string, unknown>[] =>
      JSON.parse(a[key] ?? 'null') as Record<string, unknown>[];
    expect(json('networkMessageIds')).toHaveLength(2);
    expect(json('urls')).toEqual([
      'https://northwind-payments.example/adjust?id=77&token=a=b',
      'http://cdn.northwind-payments.example/p.js',
    ]);
    expect(json('mails')[0]).toMatchObject({
      subject: 'Salary adjustment\r\nCEF:0|fake|header| for November',
      p2SenderDisplayName: 'Payroll | Team=HR\\Finance',
    });
    expect(json('ipAddresses')).toEqual(['203.0.113.45', '2001:db8:44::10']);
    expect(json('files').map((f) => f.md5 ?? null)).toEqual([
      '9a8b7c6d5e4f30211f2e3d4c5b6a7980',
      null,
      '0123456789abcdef0123456789abcdef',
    ]);
    expect(json('mailboxes')[0]).toMatchObject({ aadId: '22222222-3333-4444-8555-666666666666' });
    expect(json('mailClusters')[0]).toMatchObject({
      mailCount: 4,
      countByDeliveryLocation: { Inbox: 3, JunkFolder: 1 },
    });
    expect(json('actions').map((x) => x.status)).toEqual(['Pending', 'Completed', 'Failed']);
    const untyped = parseLeef(
      encode(loadRecordFixture('air-64-untyped-no-actions-string-data').raw),
    ).attributes;
    expect(JSON.parse(untyped.urls ?? '[]')).toEqual(['https://parcel-track.example/hold?ref="<script>"']);
    expect(untyped.actions).toBeUndefined();
  });
});
