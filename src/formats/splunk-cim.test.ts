/**
 * Our Splunk output against the Splunk Add-on for Microsoft Office 365 (`splunk_ta_o365`, sourcetype
 * `o365:management:activity`) and the CIM data models, as data: for record types 28, 41, 47 and 64, each
 * CIM field the add-on sets or the data model asks for, what the add-on computes for the fixture, and what
 * our HEC indexed `fields` hold. Every row where the two differ says why (docs/FORMATS.md lists the same
 * reasons).
 *
 * Source of the add-on side: `default/props.conf` of splunk_ta_o365 4.5.1 (build 1707815073, Feb 2024) as
 * published in a public copy of the add-on; its lookup tables (`splunk_ta_o365_cim_email_filtering`,
 * `splunk_ta_o365_cim_alerts`, …) and eventtypes/tags were not in that copy, so the `action` and
 * `dataset_name` they would give, and whether our records are tagged into a data model at all, are unverified
 * (`UNVERIFIED` below). The expressions in `ADD_ON` restate, for the operations of these four record types,
 * the props.conf EVAL/FIELDALIAS each field gets.
 */
import { describe, expect, it } from 'vitest';
import { loadRecordFixture } from '../../test/fixtures/records/index.js';
import { toFormatInput } from './index.js';
import { splunkFormat } from './splunk.js';

type Raw = Record<string, unknown>;
type FieldValue = string | string[];

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * What splunk_ta_o365 4.5.1 computes at search time for a record of Workload ThreatIntelligence or
 * AirInvestigation (the `case()` branches for Azure AD, SharePoint, Exchange DLP and Security & Compliance
 * alerts do not match these operations, so those fields fall to their `true()` branch or to null).
 */
const ADD_ON: Record<string, { expr: string; value: (r: Raw) => string | null }> = {
  app: {
    expr: 'EVAL-app = if(isnull(Client),Workload,Client)',
    value: (r) => text(r.Client) ?? text(r.Workload),
  },
  vendor_product: {
    expr: 'EVAL-vendor_product = "Microsoft Office 365 " + Workload',
    value: (r) => `Microsoft Office 365 ${String(r.Workload)}`,
  },
  vendor_account: {
    expr: 'FIELDALIAS OrganizationId as vendor_account',
    value: (r) => text(r.OrganizationId),
  },
  user: { expr: 'EVAL-user = case(…, true(), UserId)', value: (r) => text(r.UserId) },
  src: {
    expr: 'EVAL-src = case(ActorIpAddress, ClientIP, env_cloud_role)',
    value: (r) => text(r.ActorIpAddress) ?? text(r.ClientIP),
  },
  dest: { expr: 'EVAL-dest = case(…, true(), ObjectId)', value: (r) => text(r.ObjectId) },
  dvc: {
    expr: 'EVAL-dvc = case(Workload="SharePoint", …, true(), Workload)',
    value: (r) => text(r.Workload),
  },
  signature: {
    expr: 'EVAL-signature = case(DLP policy, …, true(), Operation)',
    value: (r) => text(r.Operation),
  },
  signature_id: { expr: 'EVAL-signature_id: SecurityComplianceCenter alerts only', value: () => null },
  id: { expr: 'EVAL-id: SecurityComplianceCenter alerts only', value: () => null },
  type: { expr: 'EVAL-type: SecurityComplianceCenter alerts only', value: () => null },
  description: { expr: 'EVAL-description: SecurityComplianceCenter alerts only', value: () => null },
  severity: { expr: 'EVAL-severity: DLP rules and SecurityComplianceCenter alerts only', value: () => null },
  src_user: { expr: 'EVAL-src_user: user-admin, DLP and group operations only', value: () => null },
  file_name: {
    expr: 'EVAL-file_name = case(Exchange DlpRuleMatch, …, true(), SourceFileName)',
    value: (r) => text(r.SourceFileName),
  },
  subject: { expr: 'EVAL-subject: Exchange DlpRuleMatch only', value: () => null },
  recipient: { expr: 'EVAL-recipient: Exchange DlpRuleMatch only', value: () => null },
  recipient_count: { expr: 'EVAL-recipient_count: Exchange DlpRuleMatch only', value: () => null },
  message_id: { expr: 'EVAL-message_id: Exchange DlpRuleMatch only', value: () => null },
  internal_message_id: { expr: 'EVAL-internal_message_id: Exchange DlpRuleMatch only', value: () => null },
  file_hash: { expr: 'not set by the add-on', value: () => null },
  file_path: {
    expr: 'FIELDALIAS SourceRelativeUrl as file_path',
    value: (r) => text(r.SourceRelativeUrl),
  },
  url: { expr: 'not set by the add-on', value: () => null },
  mitre_technique_id: { expr: 'not set by the add-on', value: () => null },
  action: {
    expr: 'LOOKUP splunk_ta_o365_cim_email_filtering Workload, Operation OUTPUTNEW action',
    value: () => null,
  },
};

/** Rows whose add-on value comes from a lookup table we could not read. */
const UNVERIFIED = new Set(['action']);

interface Row {
  field: string;
  /** CIM data models that define the field (CIM 5.x/6.x field lists). */
  models: string[];
  /** Our HEC indexed field value for the fixture; null when we do not send the field. */
  ours: FieldValue | null;
  /** Why ours differs from the add-on's value; required exactly when they differ. */
  reason?: string;
}

const REASON = {
  product:
    'we name the product that made the detection (Defender for Office 365), not "Office 365 <Workload>"; the Workload stays in the record',
  systemUser:
    'the add-on takes UserId, which is the system account (ThreatIntel, AirInvestigation) on these records; we give the person the event is about',
  senderIp: 'the add-on reads ClientIP only (absent on mail); we give the sending server (SenderIp) for mail',
  port: 'the add-on keeps the port that comes appended to ClientIP; we remove it so src is an address',
  srcUser:
    'the add-on sets src_user only for admin/DLP operations; we give the envelope (P1) sender, else P2',
  emailModel:
    'the add-on fills the Email fields only for Exchange DlpRuleMatch records; we fill them from the Defender mail fields',
  signature:
    'the add-on uses the Operation; we use a title (or the AIR alert name) and put <RecordType>:<Operation> in signature_id',
  alerts:
    'the add-on fills the Alerts fields only for Security & Compliance alerts; these records are alerts too, so we fill them',
  fileHash: 'not set by the add-on; SHA-256 lower-case hex from AttachmentData/FileData/AIR file entities',
  url: 'not set by the add-on; the clicked URL or every URL the record names',
  mitre: 'not set by the add-on; the ATT&CK technique our model assigns to the detection',
  action:
    "the add-on's value comes from a lookup table we could not read (unverified); ours is the CIM prescribed value for the model",
  fileName:
    'the add-on reads SourceFileName (a SharePoint audit field); the file is in AttachmentData/FileData/AIR entities',
  filePath: 'the add-on reads SourceRelativeUrl; record 47 carries the file URL in FileData.FilePath',
  dest: "not sent by us: ObjectId is not a CIM destination for these records; the add-on's value applies at search time",
  dvc: "not sent by us: the add-on's Workload value applies at search time",
} as const;

const COMMON = (o: {
  app: string;
  user: FieldValue | null;
  src: FieldValue | null;
  signature: string;
  signatureId: string;
  id: string;
  severity: string;
  description: string;
  mitre: string | null;
  userReason: string;
  srcReason: string;
  /** The record has an ObjectId, which the add-on turns into dest. */
  hasObjectId: boolean;
}): Row[] => [
  { field: 'app', models: ['Alerts', 'Web'], ours: o.app, reason: REASON.product },
  { field: 'vendor_product', models: ['all'], ours: o.app, reason: REASON.product },
  {
    field: 'vendor_account',
    models: ['Authentication', 'Change'],
    ours: '4f0a5b2c-7d1e-4c3a-9b8f-2e6d1c0a9f31',
  },
  { field: 'user', models: ['Alerts', 'Web'], ours: o.user, reason: o.userReason },
  { field: 'src', models: ['Email', 'Web', 'Alerts'], ours: o.src, reason: o.srcReason },
  {
    field: 'dest',
    models: ['Email', 'Web', 'Alerts'],
    ours: null,
    reason: o.hasObjectId ? REASON.dest : undefined,
  },
  { field: 'dvc', models: ['Change'], ours: null, reason: REASON.dvc },
  { field: 'signature', models: ['Alerts'], ours: o.signature, reason: REASON.signature },
  { field: 'signature_id', models: ['Alerts'], ours: o.signatureId, reason: REASON.alerts },
  { field: 'id', models: ['Alerts'], ours: o.id, reason: REASON.alerts },
  { field: 'type', models: ['Alerts'], ours: 'alert', reason: REASON.alerts },
  { field: 'severity', models: ['Alerts'], ours: o.severity, reason: REASON.alerts },
  { field: 'description', models: ['Alerts'], ours: o.description, reason: REASON.alerts },
  {
    field: 'mitre_technique_id',
    models: ['Alerts'],
    ours: o.mitre,
    reason: o.mitre === null ? undefined : REASON.mitre,
  },
];

const COMPARISON: { recordType: number; fixture: string; rows: Row[] }[] = [
  {
    recordType: 28,
    fixture: 'mail-28-malware-blocked',
    rows: [
      ...COMMON({
        app: 'Microsoft Defender for Office 365',
        user: 'megan.bowen@contoso.example',
        src: '198.51.100.23',
        signature: 'Malware email blocked',
        signatureId: '28:TIMailData',
        id: '3c0e8f41-1d6a-4b7e-9a52-6f1e0d2c9b01',
        severity: 'medium',
        description: 'Malware email blocked',
        mitre: 'T1566.001',
        userReason: REASON.systemUser,
        srcReason: REASON.senderIp,
        hasObjectId: true,
      }),
      { field: 'action', models: ['Email'], ours: 'quarantined', reason: REASON.action },
      {
        field: 'src_user',
        models: ['Email'],
        ours: 'prvs=0123456789=billing@fabrikam.example',
        reason: REASON.srcUser,
      },
      {
        field: 'recipient',
        models: ['Email'],
        ours: ['megan.bowen@contoso.example'],
        reason: REASON.emailModel,
      },
      { field: 'recipient_count', models: ['Email'], ours: '1', reason: REASON.emailModel },
      { field: 'subject', models: ['Email'], ours: 'Invoice 88213 overdue', reason: REASON.emailModel },
      {
        field: 'message_id',
        models: ['Email'],
        ours: '<20261120081530.AB12CD@mail.fabrikam.example>',
        reason: REASON.emailModel,
      },
      {
        field: 'internal_message_id',
        models: ['Email'],
        ours: '6e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b',
        reason: REASON.emailModel,
      },
      {
        field: 'file_name',
        models: ['Email', 'Malware'],
        ours: ['invoice.exe', 'readme.txt'],
        reason: REASON.fileName,
      },
      {
        field: 'file_hash',
        models: ['Email', 'Malware'],
        ours: [
          '091b572abf984382a95b9455e407f284e24bfb616890abc3fcdb2be68813f39d',
          '9e6e4772050998a5c0dc3c61acf3dab0a7e594566171fa5746d6b62f9598efb6',
        ],
        reason: REASON.fileHash,
      },
      { field: 'url', models: ['Email', 'Web'], ours: null },
    ],
  },
  {
    recordType: 41,
    fixture: 'click-41-blocked',
    rows: [
      ...COMMON({
        app: 'Microsoft Defender for Office 365',
        user: 'alex.wilber@contoso.example',
        src: '203.0.113.7',
        signature: 'Safe Links: URL click blocked',
        signatureId: '41:TIUrlClickData',
        id: '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9',
        severity: 'medium',
        description: 'Safe Links: URL click blocked',
        mitre: 'T1566.002',
        userReason: '',
        srcReason: REASON.port,
        hasObjectId: false,
      }),
      { field: 'action', models: ['Web'], ours: 'blocked', reason: REASON.action },
      {
        field: 'url',
        models: ['Web'],
        ours: ['https://login-micros0ft.example.net/oauth?session=812&lang=en'],
        reason: REASON.url,
      },
      { field: 'internal_message_id', models: ['Email'], ours: null },
    ],
  },
  {
    recordType: 47,
    fixture: 'file-47-sharepoint-base64',
    rows: [
      ...COMMON({
        app: 'Microsoft Defender for Office 365',
        user: 'megan.bowen@contoso.example',
        src: null,
        signature: 'Malware file detected',
        signatureId: '47:AtpDetection',
        id: '6e7f8a9b-0c1d-4e2f-3a4b-5c6d7e8f9a0b',
        severity: 'high',
        description: 'Malware file detected',
        mitre: null,
        userReason: '',
        srcReason: '',
        hasObjectId: true,
      }),
      { field: 'action', models: ['Malware'], ours: 'blocked', reason: REASON.action },
      { field: 'file_name', models: ['Malware'], ours: ['quarterly.xlsm'], reason: REASON.fileName },
      {
        field: 'file_hash',
        models: ['Malware'],
        ours: ['f461e359b72478e63623b0365343b9d3772f24d2c0e26ffccd944fa217bb2b0a'],
        reason: REASON.fileHash,
      },
      {
        field: 'file_path',
        models: ['Malware'],
        ours: ['https://contoso.sharepoint.example/sites/Finance/Shared Documents/quarterly.xlsm'],
        reason: REASON.filePath,
      },
    ],
  },
  {
    recordType: 64,
    fixture: 'air-64-every-entity-objects',
    rows: [
      ...COMMON({
        app: 'Microsoft Defender for Office 365',
        user: ['diego.siciliani@contoso.example'],
        src: ['203.0.113.45', '2001:db8:44::10'],
        signature: 'Email reported by user as malware or phish',
        signatureId: '64:AirInvestigationData',
        id: 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f',
        severity: 'high',
        description: 'A user reported a message; the investigation found related messages.',
        mitre: 'T1566.001',
        userReason: REASON.systemUser,
        srcReason:
          "the add-on reads ClientIP only (absent); we give the investigated mails' sender IPs and ip entities",
        hasObjectId: true,
      }),
      { field: 'action', models: ['Alerts'], ours: 'pending', reason: REASON.action },
      {
        field: 'src_user',
        models: ['Email'],
        ours: ['bounce+8812@mailer.northwind-payments.example'],
        reason: REASON.srcUser,
      },
      {
        field: 'recipient',
        models: ['Email'],
        ours: ['diego.siciliani@contoso.example'],
        reason: REASON.emailModel,
      },
      {
        field: 'subject',
        models: ['Email'],
        ours: ['Salary adjustment\r\nCEF:0|fake|header| for November'],
        reason: REASON.emailModel,
      },
      {
        field: 'message_id',
        models: ['Email'],
        ours: ['<PAY-20261121-0658@northwind-payments.example>'],
        reason: REASON.emailModel,
      },
      {
        field: 'internal_message_id',
        models: ['Email'],
        ours: ['b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e', 'c0d1e2f3-a4b5-4c6d-8e7f-8091a2b3c4d5'],
        reason: REASON.emailModel,
      },
      {
        field: 'file_name',
        models: ['Email', 'Malware'],
        ours: ['salary_adjustment.xlsm', 'payload.dll'],
        reason: REASON.fileName,
      },
      {
        field: 'file_hash',
        models: ['Email', 'Malware'],
        ours: [
          '5f2b8c1e9d0a7364b5c8e1f20a9d3c7b6e4f1a2b3c4d5e6f708192a3b4c5d6e7',
          '5fb1e7d1cdd56fb744bb7b0f9375ba1e4d4eabbc8bd2663c83d6817037858079',
        ],
        reason: REASON.fileHash,
      },
      {
        field: 'url',
        models: ['Email', 'Web'],
        ours: [
          'https://northwind-payments.example/adjust?id=77&token=a=b',
          'http://cdn.northwind-payments.example/p.js',
        ],
        reason: REASON.url,
      },
    ],
  },
];

interface HecEvent {
  fields: Record<string, FieldValue>;
}

const outputOf = (fixture: string): { raw: Raw; fields: Record<string, FieldValue> } => {
  const { raw } = loadRecordFixture(fixture);
  const hec = JSON.parse(splunkFormat.encode(toFormatInput(raw))) as HecEvent;
  return { raw: JSON.parse(raw) as Raw, fields: hec.fields };
};

/** The add-on value compared as ours would be: a single value, or the only item of our list. */
const sameValue = (ours: FieldValue | null, addOn: string | null): boolean =>
  Array.isArray(ours) ? ours.length === 1 && ours[0] === addOn : ours === addOn;

const ROWS = COMPARISON.flatMap(({ recordType, fixture, rows }) =>
  rows.map((row) => ({ recordType, fixture, ...row, reason: row.reason || undefined })),
);

describe('splunk output against the Office 365 add-on and the CIM data models', () => {
  it('covers record types 28, 41, 47 and 64', () => {
    expect(COMPARISON.map((c) => c.recordType)).toEqual([28, 41, 47, 64]);
  });

  it.each(ROWS.map((r) => [r.recordType, r.field, r] as const))(
    'record %i: our %s is the value the comparison lists',
    (_type, field, row) => {
      const { fields } = outputOf(row.fixture);
      if (row.ours === null) expect(fields[field]).toBeUndefined();
      else expect(fields[field]).toEqual(row.ours);
    },
  );

  it.each(ROWS.map((r) => [r.recordType, r.field, r] as const))(
    'record %i: %s gives a reason exactly when ours differs from the add-on',
    (_type, field, row) => {
      const { raw } = outputOf(row.fixture);
      const addOn = ADD_ON[field];
      expect(addOn, `the add-on expression for ${field} is listed`).toBeDefined();
      const same = sameValue(row.ours, addOn!.value(raw)) && !UNVERIFIED.has(field);
      if (same) expect(row.reason).toBeUndefined();
      else
        expect(
          row.reason,
          `${field}: ours ${JSON.stringify(row.ours)}, add-on ${addOn!.value(raw)}`,
        ).toBeTruthy();
    },
  );

  it('fills the CIM Email fields an add-on must map (src_user, recipient, subject, message_id, internal_message_id, action) for mail and investigations', () => {
    for (const fixture of [
      'mail-28-malware-blocked',
      'air-64-every-entity-objects',
      'air-64-untyped-no-actions-string-data',
    ]) {
      const { fields } = outputOf(fixture);
      for (const key of ['src_user', 'recipient', 'subject', 'message_id', 'internal_message_id', 'action']) {
        expect(fields[key], `${fixture}: ${key}`).toBeDefined();
      }
    }
  });

  it('sends the join keys (network message ids, URLs) on mail, click and investigation records', () => {
    expect(outputOf('mail-28-malware-blocked').fields.atp_network_message_id).toEqual([
      '6e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b',
    ]);
    expect(outputOf('click-41-blocked').fields.atp_network_message_id).toEqual([
      'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
    ]);
    const inv = outputOf('air-64-every-entity-objects').fields;
    expect(inv.atp_network_message_id).toEqual(inv.internal_message_id);
    expect(inv.url).toContain('https://northwind-payments.example/adjust?id=77&token=a=b');
  });
});
