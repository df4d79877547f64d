import { describe, expect, it } from 'vitest';
import { at, golden, prettyJson } from '../../test/fixtures/records/golden.js';
import { loadRecordFixture, loadRecordFixtures } from '../../test/fixtures/records/index.js';
import { ECS_VERSION, ecsFormat } from './ecs.js';
import { toFormatInput } from './index.js';

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
