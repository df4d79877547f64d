import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { at, golden, prettyJson } from '../../test/fixtures/records/golden.js';
import { GOLDEN_DIR, loadRecordFixture, loadRecordFixtures } from '../../test/fixtures/records/index.js';
import { ECS_VERSION, ecsFormat, INVALID_VALUE_TAG, toEcs } from './ecs.js';
import { toFormatInput } from './index.js';
import { validateEcs } from './standards/ecs-validate.js';

const FIXTURES = loadRecordFixtures();

function ecsOf(name: string): unknown {
  return JSON.parse(ecsFormat.encode(toFormatInput(loadRecordFixture(name).raw))) as unknown;
}

describe('ECS format', () => {
  it.each(FIXTURES.map((f) => [f.name, f.raw] as const))(
    'matches the golden document for %s',
    (name, raw) => {
      const line = ecsFormat.encode(toFormatInput(raw));
      expect(line).not.toContain('\n');
      const actual = prettyJson(JSON.parse(line));
      expect(actual).toBe(golden('ecs', name, actual));
    },
  );

  it('maps a blocked phish as an alert with a failed delivery, not a success by ThreatIntel', () => {
    const doc = ecsOf('mail-28-malware-blocked');
    expect(at(doc, 'event.kind')).toBe('alert');
    expect(at(doc, 'event.outcome')).toBe('failure');
    expect(at(doc, 'event.type')).toContain('denied');
    expect(at(doc, 'event.category')).toEqual(
      expect.arrayContaining(['email', 'intrusion_detection', 'malware']),
    );
    expect(at(doc, 'user.email')).toBe('megan.bowen@contoso.example');
    expect(JSON.stringify(at(doc, 'user'))).not.toContain('ThreatIntel');
    expect(at(doc, 'email.attachments.0.file.hash.sha256')).toMatch(/^[0-9a-f]{64}$/);
    expect(at(doc, 'threat.technique.id')).toEqual(['T1566.001']);
  });

  it('keeps what Elastic o365 rules read: o365.audit originals, provider, code, dataset, organization', () => {
    const doc = ecsOf('mail-28-malware-blocked');
    expect(at(doc, 'ecs.version')).toBe(ECS_VERSION);
    expect(at(doc, 'event.provider')).toBe('ThreatIntelligence');
    expect(at(doc, 'event.code')).toBe('ThreatIntelligence');
    expect(at(doc, 'event.dataset')).toBe('o365.audit');
    expect(at(doc, 'organization.id')).toBe('4f0a5b2c-7d1e-4c3a-9b8f-2e6d1c0a9f31');
    expect(at(doc, 'o365.audit.UserId')).toBe('ThreatIntel');
    expect(at(doc, 'o365.audit.Operation')).toBe('TIMailData');
  });

  it('parses AIR Data into o365.audit.Data.flattened and Actions into objects, as Elastic stores them', () => {
    const doc = ecsOf('air-64-remediated-strings');
    expect(at(doc, 'o365.audit.Data.flattened.AlertDisplayName')).toContain('malicious URL');
    expect(at(doc, 'o365.audit.Actions.0.ActionType')).toBe('EmailRemediation');
  });

  it('maps a click-through as an allowed access by the clicking user from the port-less client IP', () => {
    const doc = ecsOf('click-41-clicked-through');
    expect(at(doc, 'event.action')).toBe('clicked-through-warning');
    expect(at(doc, 'event.outcome')).toBe('success');
    expect(at(doc, 'source.ip')).toBe('2001:db8:aa::20');
    expect(at(doc, 'url.domain')).toBe('login-micros0ft.example.net');
    expect(at(doc, 'url.query')).toBe('session=812&lang=en');
    expect(at(doc, 'user.name')).toBe('alex.wilber');
  });

  it('keeps generic audit records in the shape of the Elastic integration with event.action = Operation', () => {
    const doc = ecsOf('audit-1-exchange-admin-clientip-port');
    expect(at(doc, 'event.kind')).toBe('event');
    expect(at(doc, 'event.action')).toBe('Set-HostedContentFilterPolicy');
    expect(at(doc, 'event.outcome')).toBe('failure');
    expect(at(doc, 'client.ip')).toBe('198.51.100.4');
    expect(at(doc, 'o365.audit.Parameters')).toEqual({ Identity: 'Default', BulkThreshold: '5' });
  });

  it('carries the original text and the reason for an invalid record', () => {
    const doc = ecsOf('invalid-28-missing-and-bad-fields');
    expect(at(doc, 'error.message')).toContain('NetworkMessageId: missing');
    expect(at(doc, 'event.original')).toBe(loadRecordFixture('invalid-28-missing-and-bad-fields').raw);
  });
});

describe('ECS record 64: the investigation entities', () => {
  const doc = ecsOf('air-64-every-entity-objects');

  it('puts its one mail in email.*: P2 sender as from, P1 sender as sender, ids, subject, direction', () => {
    expect(at(doc, 'email.from.address')).toEqual(['payroll@northwind-payments.example']);
    expect(at(doc, 'email.sender.address')).toBe('bounce+8812@mailer.northwind-payments.example');
    expect(at(doc, 'email.to.address')).toEqual(['diego.siciliani@contoso.example']);
    expect(at(doc, 'email.subject')).toBe('Salary adjustment\r\nCEF:0|fake|header| for November');
    expect(at(doc, 'email.message_id')).toBe('<PAY-20261121-0658@northwind-payments.example>');
    expect(at(doc, 'email.local_id')).toBe('b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e');
    expect(at(doc, 'email.direction')).toBe('inbound');
  });

  it('lists every IP, address, hash (sha256, sha1, md5) and URL host in related.*', () => {
    expect(at(doc, 'related.ip')).toEqual(['203.0.113.45', '2001:db8:44::10']);
    expect(at(doc, 'related.user')).toEqual(
      expect.arrayContaining([
        'payroll@northwind-payments.example',
        'bounce+8812@mailer.northwind-payments.example',
        'diego.siciliani@contoso.example',
        'secops.lead@contoso.example',
      ]),
    );
    expect(at(doc, 'related.hash')).toEqual(
      expect.arrayContaining([
        '5f2b8c1e9d0a7364b5c8e1f20a9d3c7b6e4f1a2b3c4d5e6f708192a3b4c5d6e7',
        '3c5e7a9b1d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c',
        '9a8b7c6d5e4f30211f2e3d4c5b6a7980',
        '5fb1e7d1cdd56fb744bb7b0f9375ba1e4d4eabbc8bd2663c83d6817037858079',
        '0123456789abcdef0123456789abcdef',
      ]),
    );
    expect(at(doc, 'related.hosts')).toEqual(
      expect.arrayContaining(['northwind-payments.example', 'cdn.northwind-payments.example']),
    );
  });

  it('gives one threat.enrichments indicator per sender, mailbox, IP, URL and file, each with what it matched', () => {
    const items = at(doc, 'threat.enrichments') as {
      indicator: Record<string, unknown>;
      matched?: { atomic: string; field: string };
    }[];
    expect(items.map((x) => x.indicator['type'])).toEqual([
      'email-addr',
      'email-addr',
      'ipv4-addr',
      'ipv6-addr',
      'url',
      'url',
      'file',
      'file',
      'file',
    ]);
    expect(items[2]?.indicator['ip']).toBe('203.0.113.45');
    expect(at(items[4], 'indicator.url.domain')).toBe('northwind-payments.example');
    expect(at(items[6], 'indicator.file.name')).toBe('salary_adjustment.xlsm');
    expect(at(items[6], 'indicator.file.hash.sha1')).toBe('3c5e7a9b1d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c');
    expect(at(items[8], 'indicator.file.hash.md5')).toBe('0123456789abcdef0123456789abcdef');
    expect(items[2]?.matched).toEqual(
      expect.objectContaining({ atomic: '203.0.113.45', field: 'related.ip' }),
    );
  });

  it('keeps malware families, clusters (query, counts) and actions (type, status, approval, approver, targets) in atp_siem.investigation', () => {
    expect(at(doc, 'atp_siem.investigation.malware_families')).toContain('Trojan:O97M/Dropper');
    expect(at(doc, 'atp_siem.investigation.clusters.0.query')).toBe('(SenderIp:"203.0.113.45")');
    expect(at(doc, 'atp_siem.investigation.clusters.0.mail_count')).toBe(4);
    expect(at(doc, 'atp_siem.investigation.clusters.0.count_by_threat_type')).toEqual({
      Phish: 3,
      Malware: 1,
    });
    expect(at(doc, 'atp_siem.investigation.actions.0')).toEqual(
      expect.objectContaining({
        type: 'EmailRemediation',
        status: 'Pending',
        approval: 'None',
        target_types: ['mailcluster'],
      }),
    );
    expect(at(doc, 'atp_siem.investigation.actions.1.approved_by')).toBe('secops.lead@contoso.example');
    expect(at(doc, 'atp_siem.investigation.actions.2.mailboxes')).toEqual([
      'diego.siciliani@contoso.example',
    ]);
  });

  it.each(FIXTURES.filter((f) => f.name.startsWith('air-64')).map((f) => [f.name, f.raw] as const))(
    'lists every network message id and URL of %s as join keys in atp_siem.investigation',
    (_name, raw) => {
      const input = toFormatInput(raw);
      const d = toEcs(input);
      expect(d.atp_siem?.investigation?.network_message_ids ?? []).toEqual(input.event.networkMessageIds);
      expect(d.atp_siem?.investigation?.urls ?? []).toEqual(input.event.urls);
    },
  );

  it('with two mails writes no email.* (ECS holds one mail) and keeps both in atp_siem.investigation.mails and the enrichments', () => {
    const record = JSON.parse(loadRecordFixture('air-64-every-entity-objects').raw) as {
      Data: { Entities: Record<string, unknown>[] };
    };
    const mail = record.Data.Entities.find((x) => x['Type'] === 'mailMessage');
    record.Data.Entities.push({
      ...mail,
      NetworkMessageId: 'C0D1E2F3-A4B5-4C6D-8E7F-8091A2B3C4D5',
      InternetMessageId: '<second@northwind-payments.example>',
      P2Sender: 'hr@northwind-payments.example',
    });
    const d = toEcs(toFormatInput(JSON.stringify(record)));
    expect(d.email).toBeUndefined();
    expect(d.atp_siem?.investigation?.mails?.map((m) => m.network_message_id)).toEqual([
      'b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e',
      'c0d1e2f3-a4b5-4c6d-8e7f-8091a2b3c4d5',
    ]);
    expect(d.threat?.enrichments?.map((x) => x.indicator?.email?.address).filter(Boolean)).toEqual(
      expect.arrayContaining(['payroll@northwind-payments.example', 'hr@northwind-payments.example']),
    );
    expect(d.related?.user).toContain('hr@northwind-payments.example');
  });

  it('joins a click (41) to the mail it came from on email.local_id, as the mail (28) carries it', () => {
    const click = ecsOf('click-41-no-click-action');
    expect(at(click, 'email.local_id')).toBe('7c6d5e4f-3a2b-4c1d-9e8f-7a6b5c4d3e2f');
  });

  it('leaves the invalid sender IP ffff:10.0.0.1 out of ECS ip fields, flags the event, and keeps it in o365.audit', () => {
    const d = ecsOf('air-64-untyped-no-actions-string-data');
    const line = JSON.stringify({ ...(d as object), o365: undefined });
    expect(line).not.toContain('"ip":"ffff:10.0.0.1"');
    expect(at(d, 'related.ip')).toBeUndefined();
    expect(at(d, 'tags')).toContain(INVALID_VALUE_TAG);
    expect(at(d, 'atp_siem.invalid_fields')).toEqual(['related.ip']);
    expect(JSON.stringify(at(d, 'o365.audit'))).toContain('ffff:10.0.0.1');
  });
});

describe('ECS output against the ECS 9.4.0 field table', () => {
  it.each(FIXTURES.map((f) => [f.name] as const))(
    'golden ECS document for %s has only ECS-typed values and allowed categorization',
    (name) => {
      const doc = JSON.parse(readFileSync(join(GOLDEN_DIR, 'ecs', `${name}.json`), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(validateEcs(doc)).toEqual([]);
    },
  );

  it('documents of records with random values in their IP, time, number and text fields still validate', () => {
    const junk = fc.oneof(
      fc.constantFrom(
        'ffff:10.0.0.1',
        '10.0.0.1:443',
        '[2001:db8::1]',
        'fe80::1%eth0',
        '<null>',
        '',
        '2026-13-45',
      ),
      fc.ipV4(),
      fc.ipV6(),
      fc.string({ maxLength: 12 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
    );
    const fields = [
      'SenderIp',
      'ClientIP',
      'UserIp',
      'CreationTime',
      'ReceivedTime',
      'MessageTime',
      'TimeOfClick',
      'FileSize',
      'Severity',
      'Subject',
      'P1Sender',
      'Recipients',
      'Data',
      'StartTimeUtc',
      'EndTimeUtc',
    ];
    const records = FIXTURES.map((f) => JSON.parse(f.raw) as unknown).filter(
      (r): r is Record<string, unknown> => r !== null && typeof r === 'object' && !Array.isArray(r),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...records),
        fc.dictionary(fc.constantFrom(...fields), junk, { maxKeys: 5 }),
        (record, overrides) => {
          const doc = toEcs(toFormatInput(JSON.stringify({ ...record, ...overrides })));
          expect(validateEcs(doc as Record<string, unknown>)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
