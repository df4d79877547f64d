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
