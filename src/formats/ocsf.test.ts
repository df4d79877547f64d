import { describe, expect, it } from 'vitest';
import { at, golden, prettyJson } from '../../test/fixtures/records/golden.js';
import { loadRecordFixture, loadRecordFixtures } from '../../test/fixtures/records/index.js';
import { toFormatInput } from './index.js';
import { OCSF_VERSION, ocsfFormat } from './ocsf.js';

const FIXTURES = loadRecordFixtures();

function ocsfOf(name: string): unknown {
  return JSON.parse(ocsfFormat.encode(toFormatInput(loadRecordFixture(name).raw))) as unknown;
}

describe('OCSF format', () => {
  it.each(FIXTURES.map((f) => [f.name, f.raw] as const))('matches the golden event for %s', (name, raw) => {
    const line = ocsfFormat.encode(toFormatInput(raw));
    expect(line).not.toContain('\n');
    const actual = prettyJson(JSON.parse(line));
    expect(actual).toBe(golden('ocsf', name, actual));
  });

  it.each(FIXTURES.map((f) => [f.name] as const))(
    '%s has the base attributes and type_uid = class_uid*100 + activity_id',
    (name) => {
      const doc = ocsfOf(name);
      expect(at(doc, 'type_uid')).toBe(
        (at(doc, 'class_uid') as number) * 100 + (at(doc, 'activity_id') as number),
      );
      expect(Math.floor((at(doc, 'class_uid') as number) / 1000)).toBe(at(doc, 'category_uid'));
      expect(at(doc, 'metadata.version')).toBe(OCSF_VERSION);
      expect(at(doc, 'metadata.product.vendor_name')).toBe('Microsoft');
      expect(typeof at(doc, 'time')).toBe('number');
      expect([1, 2, 3, 4, 5]).toContain(at(doc, 'severity_id'));
    },
  );

  it('maps a blocked malware mail to Email Activity, denied and quarantined, with the attachment hash as an observable', () => {
    const doc = ocsfOf('mail-28-malware-blocked');
    expect(at(doc, 'class_uid')).toBe(4009);
    expect(at(doc, 'action_id')).toBe(2);
    expect(at(doc, 'disposition_id')).toBe(3);
    expect(at(doc, 'direction_id')).toBe(1);
    // Email Activity 1.3.0 has no attribute for attachments: the hash is an observable, the file stays unmapped.
    expect(at(doc, 'email.files')).toBeUndefined();
    expect(at(doc, 'observables')).toContainEqual({
      name: 'unmapped.AttachmentData.SHA256',
      type_id: 8,
      type: 'Hash',
      value: '091b572abf984382a95b9455e407f284e24bfb616890abc3fcdb2be68813f39d',
    });
    expect(at(doc, 'email_auth.spf')).toBe('Pass');
    expect(at(doc, 'time')).toBe(Date.UTC(2026, 10, 20, 8, 15, 42));
    expect(at(doc, 'unmapped.Verdict')).toBe('Malware');
  });

  it('maps clicks to Email URL Activity with the Safe Links decision as disposition', () => {
    expect(at(ocsfOf('click-41-blocked'), 'disposition_id')).toBe(2);
    expect(at(ocsfOf('click-41-pending-detonation'), 'disposition_id')).toBe(14);
    const through = ocsfOf('click-41-clicked-through');
    expect(at(through, 'class_uid')).toBe(4012);
    expect(at(through, 'action_id')).toBe(1);
    expect(at(through, 'actor.user.name')).toBe('alex.wilber@contoso.example');
    expect(at(through, 'url.hostname')).toBe('login-micros0ft.example.net');
  });

  it('maps a SharePoint malware file to a Detection Finding with the file as evidence', () => {
    const doc = ocsfOf('file-47-sharepoint-base64');
    expect(at(doc, 'class_uid')).toBe(2004);
    expect(at(doc, 'finding_info.uid')).toBe('6e7f8a9b-0c1d-4e2f-3a4b-5c6d7e8f9a0b');
    expect(at(doc, 'evidences.0.file.hashes.0.value')).toBe(
      'f461e359b72478e63623b0365343b9d3772f24d2c0e26ffccd944fa217bb2b0a',
    );
    expect(at(doc, 'malware.0.classification_ids')).toEqual([6]);
  });

  it('maps investigation status changes to Detection Finding create, update and close', () => {
    expect(at(ocsfOf('air-64-started'), 'type_uid')).toBe(200401);
    expect(at(ocsfOf('air-64-started'), 'status_id')).toBe(1);
    expect(at(ocsfOf('air-64-pending-objects'), 'type_uid')).toBe(200402);
    expect(at(ocsfOf('air-64-pending-objects'), 'status_id')).toBe(2);
    expect(at(ocsfOf('air-64-pending-objects'), 'status_detail')).toBe('Pending Action');
    const done = ocsfOf('air-64-remediated-strings');
    expect(at(done, 'type_uid')).toBe(200403);
    expect(at(done, 'status_id')).toBe(4);
  });

  describe('an investigation with every entity type (air-64-every-entity-objects)', () => {
    const doc = ocsfOf('air-64-every-entity-objects') as Record<string, unknown>;
    const evidences = at(doc, 'evidences') as Record<string, unknown>[];
    const observables = at(doc, 'observables') as { name: string; type_id: number; value: string }[];
    const observed = (typeId: number) => observables.filter((o) => o.type_id === typeId).map((o) => o.value);

    it('names every network message id as an evidence email.uid and a Resource UID observable', () => {
      const ids = ['b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e', 'c0d1e2f3-a4b5-4c6d-8e7f-8091a2b3c4d5'];
      expect(new Set(evidences.map((e) => at(e, 'email.uid')).filter(Boolean))).toEqual(new Set(ids));
      expect(observed(10)).toEqual(expect.arrayContaining(ids));
    });

    it('names every URL as an evidence url and a URL String observable, with click and mail counts', () => {
      const urls = [
        'https://northwind-payments.example/adjust?id=77&token=a=b',
        'http://cdn.northwind-payments.example/p.js',
      ];
      expect(evidences.map((e) => at(e, 'url.url_string')).filter(Boolean)).toEqual(urls);
      expect(observed(6)).toEqual(urls);
      const counted = evidences.find((e) => at(e, 'url.url_string') === urls[0]);
      expect(at(counted, 'data')).toEqual({ click_count: 3, email_count: 4, in_mail: true });
    });

    it('gives the attachment every hash: SHA-256 3, SHA-1 2, MD5 1, and an unknown algorithm as 99 Other', () => {
      const attachment = evidences.find((e) => at(e, 'file.name') === 'salary_adjustment.xlsm');
      expect(at(attachment, 'email.uid')).toBe('b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e');
      expect(
        (at(attachment, 'file.hashes') as { algorithm_id: number }[]).map((h) => h.algorithm_id),
      ).toEqual([3, 2, 1, 99]);
      expect(observed(7)).toEqual(['salary_adjustment.xlsm', 'payload.dll']);
      expect(observed(8)).toHaveLength(6);
    });

    it('carries the mail, its senders and sender IP, the IPs, the mailbox and the cluster counts', () => {
      expect(at(evidences[0], 'email.smtp_from')).toBe('bounce+8812@mailer.northwind-payments.example');
      expect(at(evidences[0], 'src_endpoint.ip')).toBe('203.0.113.45');
      expect(observed(2)).toEqual(['203.0.113.45', '2001:db8:44::10']);
      expect(evidences.map((e) => at(e, 'user.uid')).filter(Boolean)).toEqual([
        '22222222-3333-4444-8555-666666666666',
      ]);
      expect(at(doc, 'resources.0')).toMatchObject({
        type: 'Mailbox',
        name: 'diego.siciliani@contoso.example',
      });
      const cluster = evidences.find((e) => at(e, 'data.kind') === 'mail_cluster');
      expect(at(cluster, 'data.mail_count')).toBe(4);
      expect(at(cluster, 'data.count_by_threat_type')).toEqual({ Phish: 3, Malware: 1 });
    });

    it('lists each action as a related event with its targets and approver, and its status in remediation.desc', () => {
      const related = at(doc, 'finding_info.related_events') as { uid: string; type?: string }[];
      expect(related.map((r) => r.type)).toEqual([
        'Alert',
        'EmailRemediation',
        'BlockUrl',
        'MailboxConfigurationRemediation',
      ]);
      expect(at(doc, 'finding_info.related_events.2.observables')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type_id: 5, value: 'secops.lead@contoso.example' }),
        ]),
      );
      expect(at(doc, 'remediation.desc')).toContain(
        'BlockUrl: Completed: approval Approved: approved by secops.lead@contoso.example',
      );
      expect(at(doc, 'unmapped.Actions.1.ActionApproval')).toBe('Approved');
    });

    it('keeps what of an action has no attribute in unmapped.atp_siem_actions, $ref targets resolved', () => {
      expect(at(doc, 'unmapped.atp_siem_actions.0')).toMatchObject({
        status: 'Pending',
        approval: 'None',
        pending_type: 'User',
        target_types: ['mailcluster'],
      });
      expect(at(doc, 'unmapped.atp_siem_actions.1.approved_by')).toBe('secops.lead@contoso.example');
      // The third action's only entity is {"$ref": "5"}, the mailbox of the second.
      expect(at(doc, 'unmapped.atp_siem_actions.2.mailboxes')).toEqual(['diego.siciliani@contoso.example']);
    });
  });

  it('gives an investigation, the mail and the click the same lower-case NetworkMessageId to join on', () => {
    const click = JSON.parse(loadRecordFixture('click-41-blocked').raw) as Record<string, unknown>;
    const nmid = 'B7C8D9E0-F1A2-4B3C-8D4E-5F6A7B8C9D0E';
    const doc = JSON.parse(
      ocsfFormat.encode(toFormatInput(JSON.stringify({ ...click, SourceId: nmid }))),
    ) as unknown;
    expect(at(doc, 'email_uid')).toBe(nmid.toLowerCase());
    const investigation = ocsfOf('air-64-every-entity-objects');
    expect(at(investigation, 'evidences.0.email.uid')).toBe(nmid.toLowerCase());
    const teams = JSON.parse(
      ocsfFormat.encode(toFormatInput(JSON.stringify({ ...click, SourceId: '19:Meeting_X@thread.v2' }))),
    ) as unknown;
    expect(at(teams, 'email_uid')).toBe('19:Meeting_X@thread.v2');
  });

  it('maps other audit records to API Activity and keeps unmapped fields', () => {
    const doc = ocsfOf('unknown-9999-future-type');
    expect(at(doc, 'class_uid')).toBe(6003);
    expect(at(doc, 'api.operation')).toBe('FutureThing');
    expect(at(doc, 'unmapped.NewField')).toEqual({ Nested: [1, 2, 3] });
  });
});
