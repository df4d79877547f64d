import { describe, expect, it } from 'vitest';
import { loadRecordFixture } from '../../test/fixtures/records/index.js';
import { toFormatInput } from './index.js';
import { SPLUNK_SOURCETYPE, compactJson, splunkFormat } from './splunk.js';

interface HecEvent {
  time?: number;
  source: string;
  sourcetype: string;
  event: unknown;
  fields: Record<string, string | string[]>;
}

const encode = (raw: string): string => splunkFormat.encode(toFormatInput(raw));
const decode = (raw: string): HecEvent => JSON.parse(encode(raw)) as HecEvent;

describe('splunk format', () => {
  it('sends the record as received, untouched, with the add-on sourcetype and epoch-seconds time', () => {
    const raw =
      '{"CreationTime":"2024-01-05T10:00:00.250","Id":"x","RecordType":28,"Data":{"ConfidenceScore":1.0,"Big":12345678901234567890}}';
    const line = encode(raw);
    expect(line).toContain(`"event":${raw}`);
    const e = JSON.parse(line) as HecEvent;
    expect(e.time).toBe(1704448800.25);
    expect(line).toContain('"time":1704448800.250');
    expect(e.sourcetype).toBe(SPLUNK_SOURCETYPE);
  });

  it('compacts a pretty-printed record without touching the text inside strings', () => {
    const { raw } = loadRecordFixture('mail-28-malware-blocked');
    const e = decode(raw);
    expect(e.event).toEqual(JSON.parse(raw));
    expect(compactJson('{\n  "a b": " x\\" \\\\ y ",\r\n\t"n": [1.50, 2]\n}')).toBe(
      '{"a b":" x\\" \\\\ y ","n":[1.50,2]}',
    );
  });

  it('derives CIM Email fields for mail, in HEC indexed fields', () => {
    const { fields } = decode(loadRecordFixture('mail-28-delayed-string-enums').raw);
    expect(fields).toMatchObject({
      src_user: 'satya@fabrikam.example',
      recipient: ['finance@contoso.example', 'lynne.robbins@contoso.example'],
      recipient_count: '2',
      subject: 'Urgent wire transfer',
      message_id: '<ceo-urgent-77@fabrikam.example>',
      internal_message_id: '0f9e8d7c-6b5a-4948-3726-1504f3e2d1c0',
      action: 'delivered',
      type: 'alert',
      severity: 'medium',
    });
  });

  it('uses the CIM prescribed actions for mail and clicks', () => {
    expect(decode(loadRecordFixture('mail-28-malware-blocked').raw).fields.action).toBe('quarantined');
    expect(decode(loadRecordFixture('click-41-blocked').raw).fields.action).toBe('blocked');
    expect(decode(loadRecordFixture('click-41-clicked-through').raw).fields.action).toBe('allowed');
  });

  it('fills the CIM Alerts fields for an AIR investigation', () => {
    const { fields } = decode(loadRecordFixture('air-64-remediated-strings').raw);
    expect(fields).toMatchObject({
      app: 'Microsoft Defender for Office 365',
      id: '8a9b0c1d-2e3f-4a4b-5c6d-7e8f9a0b1c2d',
      signature: 'Email messages containing malicious URL removed after delivery',
      description: 'Emails with malicious URL that were delivered and later removed.',
      type: 'alert',
      severity: 'informational',
    });
  });

  it('sends text that is not a JSON object as a string event, without a time', () => {
    const e = decode('not json at all');
    expect(e.event).toBe('not json at all');
    expect(e.time).toBeUndefined();
    expect(e.fields.atp_invalid_reason).toMatch(/not JSON/);
  });
});
