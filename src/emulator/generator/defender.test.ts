import { beforeAll, describe, expect, it } from 'vitest';
import { createRecordGenerator } from './index.js';

type Rec = Record<string, unknown>;

const TENANT = '41463f53-8812-40f4-890f-865bf6e35190';
const FROM = new Date('2026-11-20T10:00:00Z');

let sample: Rec[];
const ofType = (t: number): Rec[] => sample.filter((r) => r.RecordType === t);
const keysOf = (recs: readonly Rec[]): Set<string> => new Set(recs.flatMap((r) => Object.keys(r)));
const values = (recs: readonly Rec[], key: string): unknown[] =>
  recs.map((r) => r[key]).filter((v) => v !== undefined);

beforeAll(() => {
  const gen = createRecordGenerator({ seed: 2026, tenantId: TENANT, duplicateRate: 0 });
  // Several calls, as the emulator makes them: later records can refer to earlier ones.
  sample = [];
  for (let i = 0; i < 6; i++) {
    const from = new Date(FROM.getTime() + i * 3600_000);
    sample.push(...gen.records('Audit.General', 700, from, new Date(from.getTime() + 3600_000)));
  }
});

describe('record 28 (TIMailData)', () => {
  it('carries every documented field across a sample', () => {
    const keys = keysOf(ofType(28));
    for (const k of [
      'AttachmentData',
      'DetectionType',
      'DetectionMethod',
      'InternetMessageId',
      'NetworkMessageId',
      'P1Sender',
      'P2Sender',
      'Policy',
      'PolicyAction',
      'Recipients',
      'SenderIp',
      'Subject',
      'Verdict',
      'MessageTime',
      'EventDeepLink',
      'DeliveryAction',
      'OriginalDeliveryLocation',
      'LatestDeliveryLocation',
      'Directionality',
      'ThreatsAndDetectionTech',
      'AdditionalActionsAndResults',
      'Connector',
      'AuthDetails',
      'SystemOverrides',
      'PhishConfidenceLevel',
      'ObjectId',
    ])
      expect(keys, k).toContain(k);
    const att = ofType(28).flatMap((r) => (r.AttachmentData as Rec[] | undefined) ?? []);
    expect(keysOf(att)).toEqual(new Set(['FileName', 'FileType', 'FileVerdict', 'MalwareFamily', 'SHA256']));
  });

  it('has the common Defender traits', () => {
    for (const r of ofType(28))
      expect(r).toMatchObject({
        Workload: 'ThreatIntelligence',
        UserKey: 'ThreatIntel',
        UserId: 'ThreatIntel',
        UserType: 4,
      });
  });

  it('types Policy and PolicyAction mostly as strings, sometimes as the documented ints', () => {
    const policies = values(ofType(28), 'Policy');
    expect(policies).toEqual(
      expect.arrayContaining(['HighConfidencePhish', 'Phish', 'AntiMalware', 'SafeAttachements']),
    );
    expect(policies.some((p) => typeof p === 'number')).toBe(true);
    expect(policies.filter((p) => typeof p === 'string').length).toBeGreaterThan(policies.length / 2);
    const actions = values(ofType(28), 'PolicyAction');
    expect(actions).toEqual(expect.arrayContaining(['Quarantine', 'MoveToJmf', 5, 0]));
  });

  it('writes DetectionType as Inline/Delayed/ZAP and occasionally as the 2018 int', () => {
    const types = new Set(values(ofType(28), 'DetectionType'));
    for (const v of ['Inline', 'Delayed', 'ZAP']) expect(types).toContain(v);
    expect([...types].some((v) => typeof v === 'number' && [0, 1, 2].includes(v))).toBe(true);
  });

  it('uses realistic values for verdicts, direction, delivery and detection methods', () => {
    const mails = ofType(28);
    expect(new Set(values(mails, 'Verdict'))).toEqual(new Set(['Phish', 'Malware', 'Spam', 'HighConfPhish']));
    expect(new Set(values(mails, 'Directionality'))).toEqual(new Set(['Inbound', 'Outbound', 'Intraorg']));
    expect(new Set(values(mails, 'DeliveryAction'))).toEqual(
      new Set(['Blocked', 'Delivered', 'DeliveredAsSpam']),
    );
    for (const m of values(mails, 'DetectionMethod')) expect(typeof m).toBe('string');
    for (const r of mails) {
      expect(r.NetworkMessageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.InternetMessageId).toMatch(/^<[^<>]+@[^<>]+>$/);
      expect(r.MessageTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      expect(r.EventDeepLink).toMatch(/threatexplorer\?messageParams=[0-9a-f-]{36},/);
      const recipients = r.Recipients as string[];
      expect(recipients.length).toBeGreaterThanOrEqual(1);
      expect(recipients.length).toBeLessThanOrEqual(5);
      for (const t of r.ThreatsAndDetectionTech as string[])
        expect(t).toMatch(/^(Phish|Malware|Spam): \[[^\]]+\]$/);
    }
  });

  it('includes prvs= envelope senders, IPv6 sender addresses and subjects that need escaping', () => {
    const mails = ofType(28);
    expect(values(mails, 'P1Sender').some((s) => /^prvs=[0-9a-f]+=[^@]+@/.test(String(s)))).toBe(true);
    expect(values(mails, 'SenderIp').some((s) => String(s).includes(':'))).toBe(true);
    const subjects = values(mails, 'Subject').map(String);
    for (const ch of ['"', '<', '>', '|', '=', '\\', '\n', '\u202e', 'ア'])
      expect(
        subjects.some((s) => s.includes(ch)),
        JSON.stringify(ch),
      ).toBe(true);
  });

  it('types FileVerdict as int or numeric string, including the undocumented 2, with upper-case hex SHA256', () => {
    const att = ofType(28).flatMap((r) => (r.AttachmentData as Rec[] | undefined) ?? []);
    const verdicts = att.map((a) => a.FileVerdict);
    expect(verdicts).toEqual(expect.arrayContaining([1, '1', 0]));
    expect(verdicts.some((v) => v === 2 || v === '2')).toBe(true);
    for (const a of att) {
      expect(a.SHA256).toMatch(/^[0-9A-F]{64}$/);
      expect(a.FileType).toMatch(/^[a-z]+(;[a-z]+)*$/);
    }
    expect(att.some((a) => a.FileType === 'exe;zip')).toBe(true);
  });

  it('names detection technologies from the documented list, in DetectionMethod and ThreatsAndDetectionTech', () => {
    const documented = new Set(
      'Advanced filter;Antimalware protection;Bulk;Campaign;Domain reputation;File detonation;File detonation reputation;File reputation;Fingerprint matching;General filter;Impersonation brand;Impersonation domain;Impersonation user;IP reputation;LLM content analysis;Mail bombing;Mailbox intelligence impersonation;Mixed analysis detection;Spoof DMARC;Spoof external domain;Spoof intra-org;URL detonation;URL detonation reputation;URL malicious reputation'.split(
        ';',
      ),
    );
    for (const r of ofType(28)) {
      expect(documented).toContain(r.DetectionMethod);
      for (const t of r.ThreatsAndDetectionTech as string[])
        for (const tech of (/\[(.*)\]/.exec(t)?.[1] ?? '').split(', ')) expect(documented).toContain(tech);
    }
  });

  it('writes AuthDetails with SPF, DKIM, DMARC and Comp Auth', () => {
    for (const r of ofType(28)) {
      const names = (r.AuthDetails as Rec[]).map((a) => a.Name);
      expect(names).toEqual(['SPF', 'DKIM', 'DMARC', 'Comp Auth']);
    }
  });
});

describe('record 41 (TIUrlClickData)', () => {
  it('carries every documented field across a sample, with both spellings of the click action and URL', () => {
    const keys = keysOf(ofType(41));
    for (const k of ['UserId', 'AppName', 'AppVersion', 'SourceId', 'TimeOfClick', 'UserIp', 'EventDeepLink'])
      expect(keys, k).toContain(k);
    for (const k of ['URLClickAction', 'UrlClickAction', 'Url', 'URL']) expect(keys, k).toContain(k);
  });

  it('types the click action as int 0-5, sometimes as a string, and sometimes leaves it out', () => {
    const clicks = ofType(41);
    const actions = clicks.map((r) => r.UrlClickAction ?? r.URLClickAction);
    expect(actions).toContain(undefined);
    expect(clicks.some((r) => typeof r.Blocked === 'boolean' && typeof r.ClickedThrough === 'boolean')).toBe(
      true,
    );
    expect(actions.some((a) => typeof a === 'string')).toBe(true);
    const ints = new Set(actions.filter((a) => typeof a === 'number'));
    for (const v of [0, 1, 2, 3, 4, 5]) expect(ints).toContain(v);
  });

  it('points SourceId at the NetworkMessageId of an earlier mail and clicks its URL', () => {
    const mails = new Map(ofType(28).map((r) => [r.NetworkMessageId as string, r]));
    const linked = ofType(41).filter((r) => mails.has(r.SourceId as string));
    expect(linked.length).toBeGreaterThan(ofType(41).length / 2);
    for (const r of linked) expect(typeof (r.Url ?? r.URL)).toBe('string');
    expect(
      linked.some((r) =>
        (mails.get(r.SourceId as string)?.Recipients as string[]).includes(r.UserId as string),
      ),
    ).toBe(true);
  });

  it('includes URLs with query strings, unicode, quotes and angle brackets', () => {
    const urls = ofType(41).map((r) => String(r.Url ?? r.URL));
    for (const ch of ['?', '&', '"', '<', 'ü'])
      expect(
        urls.some((u) => u.includes(ch)),
        ch,
      ).toBe(true);
  });
});

describe('record 47 (AtpDetection)', () => {
  it('carries every documented field, with base64 SHA256 and FileSize as a decimal string', () => {
    const files = ofType(47);
    const keys = keysOf(files);
    for (const k of [
      'FileData',
      'SourceWorkload',
      'DetectionMethod',
      'LastModifiedDate',
      'LastModifiedBy',
      'EventDeepLink',
      'DetectionDate',
    ])
      expect(keys, k).toContain(k);
    expect(new Set(values(files, 'SourceWorkload'))).toEqual(new Set([0, 1, 2]));
    for (const r of files) {
      const fd = r.FileData as Rec;
      expect(Object.keys(fd).sort()).toEqual(
        ['DocumentId', 'FileName', 'FilePath', 'FileVerdict', 'MalwareFamily', 'SHA256', 'FileSize'].sort(),
      );
      expect(fd.SHA256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(fd.FileSize).toMatch(/^\d+$/);
      expect(fd.FilePath).toMatch(/^https:\/\/[a-z]+(-my)?\.sharepoint\.com\//);
      expect(r.EventDeepLink).toContain(`query-Id=${String(fd.DocumentId)}`);
    }
    expect(files.some((r) => /[^\x20-\x7e]/.test(String((r.FileData as Rec).FileName)))).toBe(true);
  });
});

describe('record 64 (AirInvestigationData)', () => {
  const air = (): Rec[] => ofType(64);

  it('carries every main field, with RunningTime as a string', () => {
    const keys = keysOf(air());
    for (const k of [
      'InvestigationId',
      'InvestigationName',
      'InvestigationType',
      'LastUpdateTimeUtc',
      'StartTimeUtc',
      'EndTimeUtc',
      'Status',
      'DeepLinkUrl',
      'Actions',
      'Data',
      'RunningTime',
      'ObjectId',
    ])
      expect(keys, k).toContain(k);
    for (const r of air()) {
      expect(r).toMatchObject({
        Workload: 'AirInvestigation',
        UserKey: 'AirInvestigation',
        UserId: 'AirInvestigation',
        UserType: 4,
      });
      expect(r.RunningTime).toMatch(/^\d+$/);
      expect(r.InvestigationId).toMatch(/^urn:[A-Za-z]{1,24}:[0-9a-f]{32}$/);
    }
  });

  it('emits several status changes per investigation, same InvestigationId, different Id', () => {
    const byInv = new Map<string, Rec[]>();
    for (const r of air())
      byInv.set(r.InvestigationId as string, [...(byInv.get(r.InvestigationId as string) ?? []), r]);
    const multi = [...byInv.values()].filter((l) => l.length > 1);
    expect(multi.length).toBeGreaterThan(5);
    const clusterUrn = (r: Rec): unknown =>
      (JSON.parse(r.Data as string) as { Entities: Rec[] }).Entities.find((e) => e.Type === 'mailCluster')
        ?.Urn;
    for (const l of multi) {
      expect(new Set(l.map((r) => r.Id)).size).toBe(l.length);
      expect(new Set(l.map((r) => r.Status)).size).toBeGreaterThan(1);
      // Status changes happen in time order, about the same mails (same cluster entity).
      const times = l.map((r) => Date.parse(r.LastUpdateTimeUtc as string));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(new Set(l.map(clusterUrn)).size).toBe(1);
    }
  });

  it('writes Data as a JSON string holding the alert and its entities of every type', () => {
    const types = new Set<string>();
    for (const r of air()) {
      expect(typeof r.Data).toBe('string');
      const data = JSON.parse(r.Data as string) as Rec;
      expect(data).toMatchObject({ Version: '3.0', VendorName: 'Microsoft', ProviderName: 'OATP' });
      expect(data.InvestigationIds).toEqual([r.InvestigationId]);
      for (const k of [
        'AlertDisplayName',
        'Severity',
        'ProviderAlertId',
        'ExtendedLinks',
        'Metadata',
        'SourceTemplateType',
        'Category',
      ])
        expect(data, k).toHaveProperty(k);
      const walk = (e: unknown): void => {
        if (Array.isArray(e)) e.forEach(walk);
        else if (e && typeof e === 'object') {
          const o = e as Rec;
          if (typeof o.Type === 'string') types.add(o.Type);
          Object.values(o).forEach(walk);
        }
      };
      walk(data.Entities);
      for (const e of data.Entities as Rec[]) expect(e.$id).toMatch(/^\d+$/);
    }
    for (const t of ['mailMessage', 'mailbox', 'mailCluster', 'url', 'ip', 'file', 'filehash'])
      expect(types).toContain(t);
  });

  it('writes Actions as JSON strings in some records and as objects in others', () => {
    const actions = air().flatMap((r) => r.Actions as unknown[]);
    const strings = actions.filter((a): a is string => typeof a === 'string');
    const objects = actions.filter((a) => typeof a === 'object');
    expect(strings.length).toBeGreaterThan(0);
    expect(objects.length).toBeGreaterThan(0);
    const parsed = [...strings.map((s) => JSON.parse(s) as Rec), ...(objects as Rec[])];
    const keys = keysOf(parsed);
    for (const k of [
      '$id',
      'ActionId',
      'ActionType',
      'ActionStatus',
      'ApprovedBy',
      'TimestampUtc',
      'RelatedAlertIds',
      'ResourceIdentifiers',
      'Entities',
    ])
      expect(keys, k).toContain(k);
    for (const a of parsed) expect(a.ActionId).toMatch(/^urn:EmailZapper:[0-9a-f]{32}$/);
  });

  it('refers to NetworkMessageIds and URLs of mails and clicks generated earlier', () => {
    const nmids = new Set(ofType(28).map((r) => r.NetworkMessageId as string));
    const clickedUrls = new Set(ofType(41).map((r) => String(r.Url ?? r.URL)));
    let mailLinks = 0;
    let urlLinks = 0;
    for (const r of air()) {
      const data = JSON.parse(r.Data as string) as { Entities: Rec[] };
      for (const e of data.Entities) {
        if (e.Type === 'mailMessage' && nmids.has(e.NetworkMessageId as string)) mailLinks++;
        if (e.Type === 'url' && clickedUrls.has(e.Url as string)) urlLinks++;
      }
    }
    expect(mailLinks).toBeGreaterThan(air().length / 2);
    expect(urlLinks).toBeGreaterThan(0);
  });

  it('sometimes resolves attachments by $ref to earlier file entities', () => {
    const refs = air().some((r) => /"Files":\[\{"\$ref":"\d+"\}/.test(r.Data as string));
    expect(refs).toBe(true);
  });
});

describe('other Defender-related record types', () => {
  it('emits AttackSim (85) and AIR manual investigation (86) records, and an unknown type', () => {
    expect(ofType(85)[0]).toMatchObject({ Workload: 'SecurityComplianceCenter' });
    expect(ofType(85)[0]).toHaveProperty('AttackSimEvent');
    expect(ofType(86)[0]).toMatchObject({
      Operation: 'AirManualInvestigationData',
      Workload: 'AirInvestigation',
    });
    expect(ofType(999).length).toBeGreaterThan(0);
  });
});
