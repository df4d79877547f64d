/**
 * OCSF output against the OCSF 1.3.0 schema, compiled from the schema's own
 * source into `standards/ocsf-1.3.0.json` and checked by
 * `standards/ocsf-validate.ts`: every record fixture, property-generated
 * records, and one hand-broken event per violation kind to show the validator
 * catches it.
 */
import fc from 'fast-check';
import { ip, isoTime } from '../../test/helpers/record-arbitraries.js';
import { describe, expect, it } from 'vitest';
import { loadRecordFixture, loadRecordFixtures } from '../../test/fixtures/records/index.js';
import { toFormatInput } from './index.js';
import { ocsfFormat, toOcsf } from './ocsf.js';
import type { OcsfTable, ViolationKind } from './standards/ocsf-validate.js';
import { OCSF_SCHEMA, validateOcsf } from './standards/ocsf-validate.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

type Doc = Record<string, unknown> & {
  metadata: { profiles: string[] };
  email: Record<string, unknown>;
};

function ocsfOf(name: string): Doc {
  return JSON.parse(ocsfFormat.encode(toFormatInput(loadRecordFixture(name).raw))) as Doc;
}

/** The kinds (and paths) of the violations of one event, for readable failures. */
const kindsOf = (doc: unknown) => validateOcsf(doc).map((v) => `${v.kind} ${v.path}`);

describe('the compiled OCSF 1.3.0 table', () => {
  it('holds the five classes atp-siem emits and every object they reach', () => {
    expect(Object.keys(OCSF_SCHEMA.classes).sort()).toEqual(['2004', '2005', '4009', '4012', '6003']);
    for (const item of [...Object.values(OCSF_SCHEMA.classes), ...Object.values(OCSF_SCHEMA.objects)])
      for (const attr of Object.values(item.attributes))
        if (!(attr.t in OCSF_SCHEMA.types) && attr.t !== 'object')
          expect(OCSF_SCHEMA.objects).toHaveProperty(attr.t);
  });

  it('resolves inheritance: Detection Finding has finding_info from Finding and the security_control action_id', () => {
    const df = OCSF_SCHEMA.classes['2004'];
    expect(df?.attributes['finding_info']?.r).toBe('required');
    expect(df?.attributes['action_id']).toMatchObject({ r: 'required', p: 'security_control' });
    expect(df?.attributes['activity_id']?.e).toEqual({
      '0': 'Unknown',
      '1': 'Create',
      '2': 'Update',
      '3': 'Close',
      '99': 'Other',
    });
    expect(OCSF_SCHEMA.objects['file']?.attributes['name']?.r).toBe('required');
    expect(OCSF_SCHEMA.objects['user']?.constraints).toEqual({ at_least_one: ['account', 'name', 'uid'] });
  });
});

describe('OCSF output validates against OCSF 1.3.0', () => {
  it.each(loadRecordFixtures().map((f) => [f.name, f.raw] as const))('%s has no violation', (_name, raw) => {
    expect(kindsOf(toOcsf(toFormatInput(raw)))).toEqual([]);
  });

  it('property: every generated record encodes to an event with no violation', () => {
    fc.assert(
      fc.property(anyRecord, (record) => {
        const doc: unknown = JSON.parse(ocsfFormat.encode(toFormatInput(JSON.stringify(record))));
        expect(kindsOf(doc)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('the validator catches each kind of violation', () => {
  const broken = (name: string, edit: (d: Doc) => void): string[] => {
    const doc = ocsfOf(name);
    expect(kindsOf(doc)).toEqual([]);
    edit(doc);
    return kindsOf(doc);
  };
  const mail = 'mail-28-malware-blocked';

  it('an unknown class_uid', () => {
    expect(broken(mail, (d) => (d['class_uid'] = 4999))).toEqual(['unknown-class class_uid']);
  });

  it('a profile the class does not have', () => {
    expect(broken(mail, (d) => d.metadata.profiles.push('container'))).toEqual([
      'unknown-profile metadata.profiles',
    ]);
  });

  it('a missing required attribute, at the top and inside an object', () => {
    expect(
      broken(mail, (d) => {
        delete d['severity_id'];
        delete d.email['from'];
      }),
    ).toEqual(['missing-required severity_id', 'missing-required email.from']);
  });

  it('an attribute the class or object does not define', () => {
    expect(
      broken(mail, (d) => {
        d['policy'] = { name: 'x' };
        d.email['files'] = [{ name: 'a.exe' }];
      }),
    ).toEqual(['unknown-attribute email.files', 'unknown-attribute policy']);
  });

  it('a profile attribute while the profile is not applied', () => {
    expect(broken(mail, (d) => (d.metadata.profiles = []))).toEqual([
      'unknown-attribute action_id',
      'unknown-attribute action',
      'unknown-attribute disposition_id',
      'unknown-attribute disposition',
      'unknown-attribute malware',
      'unknown-attribute attacks',
    ]);
  });

  it('an enum id the schema does not define', () => {
    expect(broken(mail, (d) => (d['disposition_id'] = 42))).toEqual(['enum-value disposition_id']);
  });

  it('a caption that is not the caption of its id, but a free caption for 99 Other', () => {
    expect(broken(mail, (d) => (d['severity'] = 'Severe'))).toEqual(['enum-caption severity']);
    expect(broken(mail, (d) => (d['type_name'] = 'Email Activity: Send'))).toEqual([
      'enum-caption type_name',
    ]);
    expect(
      broken(mail, (d) => {
        d['disposition_id'] = 99;
        d['disposition'] = 'Sent to the moon';
      }),
    ).toEqual([]);
  });

  it('a caption of an enum array that does not match its id', () => {
    expect(
      broken(mail, (d) => ((d['malware'] as { classifications: string[] }[])[0]!.classifications = ['Worm'])),
    ).toEqual(['enum-caption malware.0.classifications.0']);
  });

  it('values of the wrong type: a string time, a single value for an array, a float integer, a non-boolean', () => {
    expect(
      broken(mail, (d) => {
        d['time'] = '2026-11-20T08:15:42Z';
        d.email['to'] = 'someone@example.com';
        d['severity_id'] = 4.5;
        d['count'] = 2 ** 31;
      }),
    ).toEqual(['type time', 'type severity_id', 'type email.to', 'type count']);
    expect(broken('file-47-sharepoint-base64', (d) => (d['is_alert'] = 'yes'))).toEqual([
      'unknown-attribute is_alert',
    ]);
  });

  it('a type_uid that is not class_uid * 100 + activity_id', () => {
    expect(broken(mail, (d) => (d['type_uid'] = 400901))).toEqual([
      'type-uid type_uid',
      'enum-caption type_name',
    ]);
  });

  it('an object constraint (at_least_one) that does not hold', () => {
    expect(broken('click-41-blocked', (d) => (d['url'] = { scheme: 'https' }))).toEqual(['constraint url']);
  });

  it('a just_one constraint that does not hold (on a table that has one)', () => {
    const table = structuredClone(OCSF_SCHEMA) as OcsfTable;
    table.objects['email_auth']!.constraints = { just_one: ['spf', 'dkim'] };
    const doc = ocsfOf(mail);
    doc['email_auth'] = { spf: 'pass', dkim: 'pass' };
    expect(validateOcsf(doc, table).map((v) => v.kind)).toEqual<ViolationKind[]>(['constraint']);
    doc['email_auth'] = { spf: 'pass' };
    expect(validateOcsf(doc, table)).toEqual([]);
  });
});

// ---- generators: records shaped like the four Defender record types, entities of every kind ----

const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('a|b=c\\d', 'line\r\nbreak', '😀\u0000\u2028', '<null>', ''),
);
const sometimes = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 5, arbitrary: good },
    { weight: 1, arbitrary: fc.oneof(text, fc.integer(), fc.constant(null), fc.boolean(), fc.array(text)) },
  );
const address = fc.oneof(fc.emailAddress(), text);
const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const hash = fc.oneof(
  hex(64).map((Value) => ({ Type: 'filehash', Algorithm: 'SHA256', Value })),
  hex(40).map((Value) => ({ Type: 'filehash', Algorithm: 'SHA1', Value })),
  hex(32).map((Value) => ({ Type: 'filehash', Algorithm: 'MD5', Value })),
  fc.record({ Algorithm: fc.constantFrom('SHA256AC', 'Unknown', 'md5', ''), Value: text }),
);
const file = fc.record(
  {
    Type: fc.constant('file'),
    Name: sometimes(text),
    MalwareFamily: sometimes(fc.constantFrom('Trojan:Win32/Emotet', 'Backdoor:X/Y', 'Zz')),
    FileHashes: sometimes(fc.array(hash, { maxLength: 4 })),
  },
  { requiredKeys: ['Type'] },
);
const entity = fc.oneof(
  fc.record(
    {
      Type: fc.constantFrom('mailMessage', 'mail-message'),
      NetworkMessageId: sometimes(fc.uuid()),
      InternetMessageId: sometimes(text),
      Subject: sometimes(text),
      Sender: sometimes(address),
      P1Sender: sometimes(address),
      P2Sender: sometimes(address),
      SenderIP: sometimes(ip),
      Recipient: sometimes(address),
      Urls: sometimes(fc.array(fc.webUrl(), { maxLength: 2 })),
      Files: sometimes(fc.array(file, { maxLength: 2 })),
      Threats: sometimes(fc.array(text, { maxLength: 2 })),
    },
    { requiredKeys: ['Type'] },
  ),
  fc.record(
    {
      Type: fc.constant('mailbox'),
      MailboxPrimaryAddress: sometimes(address),
      Upn: sometimes(address),
      DisplayName: sometimes(text),
      AadId: sometimes(fc.uuid()),
    },
    { requiredKeys: ['Type'] },
  ),
  fc.record(
    {
      Type: fc.constant('mailCluster'),
      Query: sometimes(text),
      MailCount: sometimes(fc.nat()),
      NetworkMessageIds: sometimes(fc.array(fc.uuid(), { maxLength: 3 })),
      CountByThreatType: sometimes(fc.dictionary(text, fc.nat(), { maxKeys: 2 })),
    },
    { requiredKeys: ['Type'] },
  ),
  fc.record({
    Type: fc.constant('url'),
    Url: sometimes(fc.oneof(fc.webUrl(), text)),
    ClickCount: sometimes(fc.nat()),
  }),
  fc.record({ Type: fc.constant('ip'), Address: sometimes(ip) }),
  file,
  hash,
  // Entities without a Type, told by their fields.
  fc.record({ Address: ip }),
  fc.record({ Url: fc.webUrl() }),
);
const action = fc.oneof(
  fc.record(
    {
      ActionId: sometimes(text),
      ActionType: sometimes(fc.constantFrom('EmailRemediation', 'BlockUrl', 'SoftDelete')),
      ActionStatus: sometimes(fc.constantFrom('Pending', 'Completed', 'Failed')),
      ApprovedBy: sometimes(address),
      ActionApproval: sometimes(fc.constantFrom('None', 'Approved', 'Declined')),
      Description: sometimes(text),
      Entities: sometimes(fc.array(entity, { maxLength: 3 })),
    },
    { requiredKeys: [] },
  ),
  text,
);
const investigationStatus = fc.constantFrom(
  'Investigation Started',
  'Running',
  'Pending Action(s)',
  'Partially Remediated',
  'Remediated',
  'No Threats Found',
  'Threats Found',
  'Failed',
  'Terminated By System',
  'Whatever',
);
const record = fc.record(
  {
    Id: sometimes(fc.uuid()),
    RecordType: sometimes(fc.constantFrom(28, 41, 47, 64, 15, 1, 9999, '64')),
    CreationTime: sometimes(isoTime),
    Operation: sometimes(
      fc.constantFrom('TIMailData', 'TIUrlClickData', 'AtpDetection', 'AirInvestigationData', 'Set-Mailbox'),
    ),
    OrganizationId: sometimes(fc.uuid()),
    UserType: sometimes(fc.integer({ min: -1, max: 11 })),
    UserKey: sometimes(text),
    UserId: sometimes(address),
    Workload: sometimes(fc.constantFrom('ThreatIntelligence', 'AirInvestigation', 'Exchange', 'SharePoint')),
    ClientIP: sometimes(ip),
    Subject: sometimes(text),
    P1Sender: sometimes(address),
    P2Sender: sometimes(address),
    Recipients: sometimes(fc.array(address, { maxLength: 3 })),
    SenderIp: sometimes(ip),
    NetworkMessageId: sometimes(fc.uuid()),
    Verdict: sometimes(fc.constantFrom('Malware', 'Phish', 'Spam', 'None')),
    Directionality: sometimes(fc.constantFrom('Inbound', 'Outbound', 'IntraOrg', 'x')),
    DeliveryAction: sometimes(fc.constantFrom('Blocked', 'Delivered', 'DeliveredAsSpam')),
    AttachmentData: sometimes(
      fc.array(
        fc.record({ FileName: sometimes(text), SHA256: sometimes(hex(64)), MalwareFamily: sometimes(text) }),
        { maxLength: 2 },
      ),
    ),
    Url: sometimes(fc.oneof(fc.webUrl(), text)),
    UserIp: sometimes(ip),
    SourceId: sometimes(fc.uuid()),
    URLClickAction: sometimes(fc.constantFrom(0, 1, 2, 3, 4, 5, '2')),
    FileData: sometimes(
      fc.record({
        FileName: sometimes(text),
        SHA256: sometimes(fc.base64String({ minLength: 44, maxLength: 44 })),
        FileSize: sometimes(fc.nat().map(String)),
      }),
    ),
    InvestigationId: sometimes(text),
    InvestigationName: sometimes(text),
    InvestigationType: sometimes(text),
    Status: sometimes(investigationStatus),
    StartTimeUtc: sometimes(isoTime),
    EndTimeUtc: sometimes(isoTime),
    Data: sometimes(
      fc
        .record({
          AlertDisplayName: sometimes(text),
          SystemAlertId: sometimes(fc.uuid()),
          ConfidenceScore: sometimes(fc.double({ min: 0, max: 1, noNaN: true })),
          Entities: fc.array(entity, { maxLength: 5 }),
        })
        .chain((d) => fc.constantFrom<unknown>(d, JSON.stringify(d))),
    ),
    Actions: sometimes(fc.array(action, { maxLength: 3 })),
  },
  { requiredKeys: [] },
);
/** Mostly a matching RecordType and Operation, so each Defender class gets its share. */
const typedRecord = fc
  .tuple(
    record,
    fc.constantFrom(
      [28, 'TIMailData'],
      [41, 'TIUrlClickData'],
      [47, 'AtpDetection'],
      [64, 'AirInvestigationData'],
      [64, 'AirInvestigationData'],
      null,
    ),
  )
  .map(([r, pair]) => (pair ? { ...r, RecordType: pair[0], Operation: pair[1] } : r));
const anyRecord = fc.oneof(
  { weight: 4, arbitrary: typedRecord },
  { weight: 1, arbitrary: fc.dictionary(text, fc.jsonValue(), { maxKeys: 5 }) },
);
