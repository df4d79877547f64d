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

describe('splunk format: investigation entities', () => {
  it('fills the CIM Email fields with every investigated mail and adds atp_* fields for the rest', () => {
    const { fields } = decode(loadRecordFixture('air-64-every-entity-objects').raw);
    expect(fields).toMatchObject({
      src: ['203.0.113.45', '2001:db8:44::10'],
      src_user: ['bounce+8812@mailer.northwind-payments.example'],
      recipient: ['diego.siciliani@contoso.example'],
      subject: ['Salary adjustment\r\nCEF:0|fake|header| for November'],
      message_id: ['<PAY-20261121-0658@northwind-payments.example>'],
      internal_message_id: ['b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e', 'c0d1e2f3-a4b5-4c6d-8e7f-8091a2b3c4d5'],
      atp_network_message_id: [
        'b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e',
        'c0d1e2f3-a4b5-4c6d-8e7f-8091a2b3c4d5',
      ],
      atp_mail_p2_sender: ['payroll@northwind-payments.example'],
      atp_mail_p2_sender_display_name: ['Payroll | Team=HR\\Finance'],
      atp_mail_delivery_location: ['Inbox'],
      atp_file_sha1: ['3c5e7a9b1d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c'],
      atp_file_md5: ['9a8b7c6d5e4f30211f2e3d4c5b6a7980', '0123456789abcdef0123456789abcdef'],
      atp_malware_family: ['Trojan:O97M/Dropper'],
      atp_mailbox_aad_id: ['22222222-3333-4444-8555-666666666666'],
      atp_cluster_query: ['(SenderIp:"203.0.113.45")'],
      atp_action_type: ['EmailRemediation', 'BlockUrl', 'MailboxConfigurationRemediation'],
      atp_action_status: ['Pending', 'Completed', 'Failed'],
      atp_action_approved_by: ['secops.lead@contoso.example'],
    });
    expect(JSON.parse(fields.atp_cluster?.[0] ?? '{}')).toMatchObject({
      mailCount: 4,
      countByThreatType: { Phish: 3, Malware: 1 },
    });
    expect(
      (fields.atp_action as string[]).map((a) => (JSON.parse(a) as { approval?: string }).approval ?? null),
    ).toEqual(['None', 'Approved', null]);
  });

  it('keeps an investigation with no entities to its alert fields', () => {
    const { fields } = decode(loadRecordFixture('air-64-empty-actions-no-data').raw);
    expect(Object.keys(fields).filter((k) => k.startsWith('atp_mail') || k.startsWith('atp_action'))).toEqual(
      [],
    );
    expect(fields.internal_message_id).toBeUndefined();
  });
});
