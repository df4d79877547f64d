import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { golden, prettyJson } from '../../test/fixtures/records/golden.js';
import { loadRecordFixture, loadRecordFixtures, RECORDS_DIR } from '../../test/fixtures/records/index.js';
import { toFormatInput } from './index.js';
import {
  fitsColumnType,
  SENTINEL_COLUMNS,
  SENTINEL_STREAM,
  SENTINEL_TABLE,
  sentinelFormat,
  sentinelValues,
  type SentinelColumnType,
} from './sentinel.js';

const FIXTURES = loadRecordFixtures();
const TYPES = new Map(SENTINEL_COLUMNS.map((c) => [c.name, c.type]));

const rowOf = (raw: string): Record<string, unknown> =>
  JSON.parse(sentinelFormat.encode(toFormatInput(raw))) as Record<string, unknown>;

function expectRowFitsTable(row: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(row)) {
    const type = TYPES.get(key);
    expect(type, `column ${key} is declared`).toBeDefined();
    expect(fitsColumnType(value, type!), `${key} holds a ${type}: ${JSON.stringify(value)}`).toBe(true);
  }
}

describe('sentinel format', () => {
  it.each(FIXTURES.map((f) => [f.name, f.raw] as const))('matches the golden row for %s', (name, raw) => {
    const line = sentinelFormat.encode(toFormatInput(raw));
    expect(line).not.toMatch(/[\r\n]/);
    const actual = prettyJson(JSON.parse(line));
    expect(actual).toBe(golden('sentinel', name, actual));
  });

  it('keeps threats named like Object.prototype members (toString, __proto__) as ordinary detection methods', () => {
    const raw = JSON.stringify({
      Id: 'b1b1b1b1-0000-4000-8000-000000000001',
      RecordType: 28,
      CreationTime: '2026-01-10T10:00:00',
      ThreatsAndDetectionTech: ['toString', '__proto__'],
    });
    const row = JSON.parse(sentinelFormat.encode(toFormatInput(raw))) as Record<string, unknown>;
    expect(row.Id).toBe('b1b1b1b1-0000-4000-8000-000000000001');
    if (typeof row.DetectionMethods === 'string') {
      expect(Object.keys(JSON.parse(row.DetectionMethods) as object).sort()).toEqual([
        '__proto__',
        'toString',
      ]);
    }
  });

  it('builds values for declared columns only, so the service never drops a key silently', () => {
    for (const f of FIXTURES) {
      expect(Object.keys(sentinelValues(toFormatInput(f.raw)))).toEqual(SENTINEL_COLUMNS.map((c) => c.name));
    }
  });

  it('names columns as Log Analytics allows: letter first, [A-Za-z0-9_], at most 45 chars, none reserved, unique', () => {
    const reserved = ['_ResourceId', 'id', '_SubscriptionId', 'TenantId', 'Type', 'UniqueId', 'Title'];
    const names = SENTINEL_COLUMNS.map((c) => c.name);
    for (const name of names) {
      expect(name).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,44}$/);
      expect(reserved).not.toContain(name);
    }
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
    expect(names.length).toBeLessThanOrEqual(500);
    expect(SENTINEL_COLUMNS[0]).toMatchObject({ name: 'TimeGenerated', type: 'datetime' });
  });

  it('keeps Management API names and adds EmailEvents spellings for a blocked malware mail', () => {
    const raw = loadRecordFixture('mail-28-malware-blocked').raw;
    const row = rowOf(raw);
    expect(row).toMatchObject({
      TimeGenerated: '2026-11-20T08:15:42.000Z',
      CreationTime: '2026-11-20T08:15:42.000Z',
      EventId: '4f0a5b2c-7d1e-4c3a-9b8f-2e6d1c0a9f31:3c0e8f41-1d6a-4b7e-9a52-6f1e0d2c9b01',
      Id: '3c0e8f41-1d6a-4b7e-9a52-6f1e0d2c9b01',
      RecordType: 28,
      Operation: 'TIMailData',
      Workload: 'ThreatIntelligence',
      UserId: 'ThreatIntel',
      P2Sender: 'billing@fabrikam.example',
      SenderFromAddress: 'billing@fabrikam.example',
      SenderMailFromDomain: 'fabrikam.example',
      RecipientEmailAddress: 'megan.bowen@contoso.example',
      ThreatTypes: 'Malware',
      DeliveryLocation: 'Quarantine',
      EmailDirection: 'Inbound',
      NetworkMessageId: '6e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b',
      SHA256: '091b572abf984382a95b9455e407f284e24bfb616890abc3fcdb2be68813f39d',
      AttachmentCount: 2,
      IsAlert: true,
    });
    expect(row.RawData).toEqual(JSON.parse(raw));
    expect(row).not.toHaveProperty('TenantId');
  });

  it('leaves RecipientEmailAddress empty when a mail has several recipients; Recipients lists them', () => {
    const row = rowOf(loadRecordFixture('mail-28-delayed-string-enums').raw);
    expect(row.RecipientEmailAddress).toBeUndefined();
    expect(row.Recipients).toEqual(['finance@contoso.example', 'lynne.robbins@contoso.example']);
  });

  it('maps a Safe Links click-through to Url, UrlDomain, AccountUpn and IsClickedThrough', () => {
    const row = rowOf(loadRecordFixture('click-41-clicked-through').raw);
    expect(row).toMatchObject({
      Url: 'https://login-micros0ft.example.net/oauth?session=812&lang=en',
      UrlDomain: 'login-micros0ft.example.net',
      AccountUpn: 'alex.wilber@contoso.example',
      IsClickedThrough: true,
      ClientIP: '2001:db8:aa::20',
    });
  });

  it('keeps text that is not JSON in RawData with the reason, and derives EventId from the text', () => {
    const text = '{"Id": "x", truncated';
    const row = rowOf(text);
    expect(row.RawData).toBe(text);
    expect(row.InvalidReason).toMatch(/^record is not JSON/);
    expect(row.EventId).toBe(`sha256:${createHash('sha256').update(text).digest('hex')}`);
    expectRowFitsTable(row);
  });

  it('gives every column one type on every record fixture and on random records', () => {
    for (const f of FIXTURES) expectRowFitsTable(rowOf(f.raw));
    const wild = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
    );
    const base = JSON.parse(loadRecordFixture('mail-28-malware-blocked').raw) as Record<string, unknown>;
    const keys = [
      ...Object.keys(base),
      'Url',
      'UserIp',
      'URLClickAction',
      'FileData',
      'Data',
      'Actions',
      'RunningTime',
    ];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), wild, { maxKeys: 8 }), (changes) => {
        const row = rowOf(JSON.stringify({ ...base, ...changes }));
        expectRowFitsTable(row);
        expect(typeof row.EventId).toBe('string');
      }),
      { numRuns: 200 },
    );
  });
});

describe('docs/sentinel/azuredeploy.json', () => {
  interface ArmColumn {
    name: string;
    type: string;
  }
  interface ArmResource {
    type: string;
    properties: {
      schema?: { name: string; columns: ArmColumn[] };
      streamDeclarations?: Record<string, { columns: ArmColumn[] }>;
      dataFlows?: { streams: string[]; outputStream: string; transformKql: string }[];
    };
  }
  const template = JSON.parse(
    readFileSync(join(RECORDS_DIR, '..', '..', '..', 'docs', 'sentinel', 'azuredeploy.json'), 'utf8'),
  ) as { variables: { tableName: string }; resources: ArmResource[] };
  const byType = (type: string): ArmResource => {
    const found = template.resources.find((r) => r.type === type);
    if (!found) throw new Error(`no ${type} in the template`);
    return found;
  };
  const tableTypes: Record<SentinelColumnType, string> = {
    string: 'string',
    int: 'int',
    long: 'long',
    real: 'real',
    boolean: 'boolean',
    datetime: 'dateTime',
    dynamic: 'dynamic',
  };

  it('declares the table with exactly the format’s columns and types, in order', () => {
    const table = byType('Microsoft.OperationalInsights/workspaces/tables');
    expect(template.variables.tableName).toBe(SENTINEL_TABLE);
    expect(table.properties.schema?.columns.map((c) => ({ name: c.name, type: c.type }))).toEqual(
      SENTINEL_COLUMNS.map((c) => ({ name: c.name, type: tableTypes[c.type] })),
    );
  });

  it('declares the DCR stream with exactly the format’s columns and types, flowing into the table', () => {
    const dcr = byType('Microsoft.Insights/dataCollectionRules');
    const streams = dcr.properties.streamDeclarations ?? {};
    expect(Object.keys(streams)).toEqual([SENTINEL_STREAM]);
    expect(streams[SENTINEL_STREAM]?.columns).toEqual(
      SENTINEL_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
    );
    expect(dcr.properties.dataFlows).toEqual([
      expect.objectContaining({
        streams: [SENTINEL_STREAM],
        transformKql: 'source',
        outputStream: `Custom-${SENTINEL_TABLE}`,
      }),
    ]);
  });
});

describe('sentinel format: investigation entities', () => {
  it('fills the evidence columns of an investigation with every entity, and the join-key columns', () => {
    const row = rowOf(loadRecordFixture('air-64-every-entity-objects').raw);
    expect(row.NetworkMessageIds).toEqual([
      'b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e',
      'c0d1e2f3-a4b5-4c6d-8e7f-8091a2b3c4d5',
    ]);
    expect(row.Urls).toEqual([
      'https://northwind-payments.example/adjust?id=77&token=a=b',
      'http://cdn.northwind-payments.example/p.js',
    ]);
    expect((row.MailEvidence as Record<string, unknown>[])[0]).toMatchObject({
      subject: 'Salary adjustment\r\nCEF:0|fake|header| for November',
      p1Sender: 'bounce+8812@mailer.northwind-payments.example',
      p2SenderDisplayName: 'Payroll | Team=HR\\Finance',
      deliveryAction: 'Delivered',
    });
    expect(row.IpEvidence).toEqual(['203.0.113.45', '2001:db8:44::10']);
    expect((row.UrlEvidence as Record<string, unknown>[])[0]).toMatchObject({ clickCount: 3, emailCount: 4 });
    expect((row.FileEvidence as Record<string, unknown>[]).map((f) => f.md5)).toEqual([
      '9a8b7c6d5e4f30211f2e3d4c5b6a7980',
      null,
      '0123456789abcdef0123456789abcdef',
    ]);
    expect((row.MailboxEvidence as Record<string, unknown>[])[0]).toMatchObject({
      displayName: 'Diego Siciliani',
    });
    expect((row.MailClusterEvidence as Record<string, unknown>[])[0]).toMatchObject({ mailCount: 4 });
    expect(row.ActionTypes).toEqual(['EmailRemediation', 'BlockUrl', 'MailboxConfigurationRemediation']);
    expect(row.ActionStatuses).toEqual(['Pending', 'Completed', 'Failed']);
  });

  it('leaves the evidence columns out when an investigation names no entities', () => {
    const row = rowOf(loadRecordFixture('air-64-empty-actions-no-data').raw);
    for (const c of [
      'MailEvidence',
      'IpEvidence',
      'UrlEvidence',
      'FileEvidence',
      'MailboxEvidence',
      'MailClusterEvidence',
      'ActionTypes',
    ]) {
      expect(row[c], c).toBeUndefined();
    }
  });
});
