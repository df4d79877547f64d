import { describe, expect, expectTypeOf, it } from 'vitest';
import { golden, prettyJson } from '../../test/fixtures/records/golden.js';
import { loadRecordFixture, loadRecordFixtures } from '../../test/fixtures/records/index.js';
import type { IndexedFields as StoreIndexedFields } from '../store/types.js';
import type { IndexedFields, NormalizedEvent } from './index.js';
import { extractIndex, normalize } from './index.js';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(loadRecordFixture(name).raw) as Record<string, unknown>;
}

function eventOf(name: string): NormalizedEvent {
  return normalize(fixture(name)).event;
}

describe('normalize', () => {
  it.each(loadRecordFixtures().map((f) => [f.name, f.raw] as const))(
    'matches the golden normalized event for %s',
    (name, raw) => {
      const actual = prettyJson(normalize(JSON.parse(raw)));
      expect(actual).toBe(golden('normalized', name, actual));
    },
  );

  it('reports no reason for every valid fixture', () => {
    for (const f of loadRecordFixtures().filter((x) => !x.name.startsWith('invalid-'))) {
      expect(normalize(JSON.parse(f.raw)).invalidReason, f.name).toBeNull();
    }
  });

  describe('record 28', () => {
    it('reads DetectionType as the 2018 integers 0, 1 and 2', () => {
      const base = fixture('mail-28-malware-blocked');
      expect(normalize({ ...base, DetectionType: 0 }).event.action).toBe('blocked');
      expect(normalize({ ...base, DetectionType: 1 }).event.action).toBe('detected');
      expect(normalize({ ...base, DetectionType: 2 }).event.action).toBe('remediated');
    });

    it('maps a blocked malware mail: failed delivery into quarantine, real recipient, hex hashes', () => {
      const e = eventOf('mail-28-malware-blocked');
      expect([e.kind, e.action, e.outcome, e.disposition, e.isAlert]).toEqual([
        'email',
        'blocked',
        'failure',
        'quarantined',
        true,
      ]);
      expect(e.actors.user?.id).toBe('megan.bowen@contoso.example');
      expect(e.actors.recordedUser.id).toBe('ThreatIntel');
      expect(e.files[0]?.sha256).toBe('091b572abf984382a95b9455e407f284e24bfb616890abc3fcdb2be68813f39d');
      expect(e.threat?.policy).toEqual({ id: 9, name: 'Anti-malware, AMP' });
      expect(e.threat?.policyAction).toEqual({ id: 5, name: 'Quarantine' });
      expect(e.threat?.threats).toEqual([
        { name: 'Malware', technologies: ['Antimalware protection', 'File detonation'] },
      ]);
    });

    it('reads Policy, PolicyAction and DetectionType given as integers', () => {
      const e = eventOf('mail-28-phish-delivered-int-enums');
      expect(e.threat?.policy).toEqual({ id: 4, name: 'Anti-spam, PHSH' });
      expect(e.threat?.policyAction).toEqual({ id: 6, name: 'NoAction' });
      expect([e.action, e.outcome, e.severity]).toEqual(['delivered', 'success', 'high']);
      expect(e.actors.from).toBe('it-support@contoso-helpdesk.example');
      expect(e.email?.authentication).toContainEqual({ name: 'DMARC', value: 'Fail' });
    });

    it('reads DetectionType 2 and numeric-string enums as a ZAP remediation, FileVerdict "2" kept', () => {
      const e = eventOf('mail-28-zap-numeric-strings');
      expect(e.threat?.detectionType).toEqual({ id: 2, name: 'ZAP' });
      expect(e.threat?.policy).toEqual({ id: 13, name: 'Anti-phish, ZAPP' });
      expect([e.action, e.outcome, e.disposition]).toEqual(['remediated', 'success', 'quarantined']);
      expect(e.files[0]?.verdict).toEqual({ id: 2, name: '2' });
      expect(e.email?.networkMessageId).toBe('a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d');
      expect(e.time).toBe('2026-11-20T11:47:03.000Z');
    });

    it('reads DetectionType "1", a string ThreatsAndDetectionTech and the Connectors spelling', () => {
      const e = eventOf('mail-28-delayed-string-enums');
      expect([e.action, e.disposition]).toEqual(['detected', 'junked']);
      expect(e.threat?.threats).toEqual([{ name: 'Phish', technologies: ['Impersonation user'] }]);
      expect(e.email?.connector).toContain('Inbound from');
      expect(e.actors.user).toBeNull();
      expect(e.actors.recipients).toHaveLength(2);
      expect(e.time).toBe('2026-11-20T10:41:27.573Z');
    });
  });

  describe('record 41', () => {
    it('lower-cases a SourceId that is a NetworkMessageId, so it joins the mail in every format', () => {
      const base = fixture('click-41-blocked');
      const e = normalize({ ...base, SourceId: String(base['SourceId']).toUpperCase() }).event;
      expect(e.urlClick?.sourceId).toBe(String(base['SourceId']).toLowerCase());
    });

    it('reads UrlClickAction, URLClickAction, any-case keys and an absent click action', () => {
      expect(eventOf('click-41-blocked').urlClick?.clickAction).toEqual({ id: 2, name: 'Blockpage' });
      expect(eventOf('click-41-clicked-through').urlClick?.clickAction).toEqual({
        id: 4,
        name: 'BlockPageOverride',
      });
      expect(eventOf('click-41-allowed-lowercase-key').urlClick?.clickAction).toEqual({
        id: 1,
        name: 'Allowed',
      });
      const absent = eventOf('click-41-no-click-action');
      expect(absent.urlClick?.clickAction).toBeNull();
      expect([absent.action, absent.outcome, absent.isAlert]).toEqual(['clicked', 'unknown', false]);
    });

    it('reads the 2018 Blocked/ClickedThrough booleans when URLClickAction is absent', () => {
      const base = fixture('click-41-no-click-action');
      const through = normalize({ ...base, Blocked: true, ClickedThrough: true }).event;
      expect([through.action, through.urlClick?.clickAction?.id]).toEqual(['clicked-through-warning', 4]);
      expect(normalize({ ...base, Blocked: true, ClickedThrough: false }).event.action).toBe('click-blocked');
      expect(normalize({ ...base, Blocked: false }).event.disposition).toBe('allowed');
    });

    it('reads the URL under Url or URL', () => {
      expect(eventOf('click-41-blocked').urlClick?.url).toBe(fixture('click-41-blocked')['Url']);
      expect(eventOf('click-41-clicked-through').urlClick?.url).toBe(
        fixture('click-41-clicked-through')['URL'],
      );
    });

    it('maps the click actions to actions and outcomes', () => {
      const summary = (n: string) => {
        const e = eventOf(n);
        return [e.action, e.outcome, e.disposition, e.isAlert];
      };
      expect(summary('click-41-blocked')).toEqual(['click-blocked', 'failure', 'blocked', true]);
      expect(summary('click-41-pending-detonation')).toEqual([
        'click-pending-detonation',
        'failure',
        'pending',
        true,
      ]);
      expect(summary('click-41-clicked-through')).toEqual([
        'clicked-through-warning',
        'success',
        'allowed',
        true,
      ]);
      expect(summary('click-41-allowed-lowercase-key')).toEqual(['clicked', 'success', 'allowed', false]);
    });

    it('uses the clicking user, never ThreatIntel, and an IP without port', () => {
      const e = eventOf('click-41-clicked-through');
      expect(e.actors.user?.id).toBe('alex.wilber@contoso.example');
      expect(e.actors.clientIp).toBe('2001:db8:aa::20');
    });
  });

  describe('record 47', () => {
    it('decodes a base64 SHA256 to lower-case hex and reads FileSize as a number', () => {
      const e = eventOf('file-47-sharepoint-base64');
      expect(e.files[0]?.sha256).toBe('f461e359b72478e63623b0365343b9d3772f24d2c0e26ffccd944fa217bb2b0a');
      expect(e.files[0]?.size).toBe(24576);
      expect(e.files[0]?.sourceWorkload).toEqual({ id: 0, name: 'SharePoint' });
      expect([e.kind, e.action, e.disposition, e.severity]).toEqual(['file', 'detected', 'blocked', 'high']);
    });

    it('reads string enums and a CreationTime with an offset', () => {
      const e = eventOf('file-47-teams-string-enums');
      expect(e.files[0]?.verdict).toEqual({ id: 1, name: 'Bad' });
      expect(e.files[0]?.sourceWorkload).toEqual({ id: 2, name: 'MicrosoftTeams' });
      expect(e.time).toBe('2026-11-20T14:20:00.000Z');
    });
  });

  describe('record 64', () => {
    const withEntities = (entities: unknown[]) =>
      normalize({ ...fixture('air-64-untyped-no-actions-string-data'), Data: { Entities: entities } }).event
        .investigation?.evidence;

    it('resolves the $ref of each Actions JSON string within that string, when every string numbers its $ids from 1', () => {
      // Each string defines its entity under $id 2 and refers to it; the strings share the numbering.
      const action = (urn: string, url: string) =>
        JSON.stringify({
          $id: '1',
          ActionId: urn,
          Related: [{ $id: '2', Type: 'url', Url: url }],
          Entities: [{ $ref: '2' }],
        });
      const base = fixture('air-64-remediated-strings');
      const e = normalize({
        ...base,
        Actions: [action('urn:a:1', 'https://one.example/'), action('urn:a:2', 'https://two.example/')],
      }).event;
      expect(e.investigation?.actions.map((a) => [a.id, a.urls])).toEqual([
        ['urn:a:1', ['https://one.example/']],
        ['urn:a:2', ['https://two.example/']],
      ]);
    });

    it('counts an entity without Type that has only the documented mail fields as a mail', () => {
      const ev = withEntities([
        { Sender: 'x@fabrikam.example', Recipient: 'r@contoso.example', Urls: ['http://u.example/'] },
      ]);
      expect(ev?.mails.map((m) => [m.sender, m.recipient, m.urls])).toEqual([
        ['x@fabrikam.example', 'r@contoso.example', ['http://u.example/']],
      ]);
    });

    it('keeps two clusters without Urn that share a query but not their time and mails', () => {
      const ev = withEntities([
        { Type: 'mailCluster', Query: 'Q', QueryTime: '1', NetworkMessageIds: ['N1'], MailCount: 1 },
        { Type: 'mailCluster', Query: 'Q', QueryTime: '2', NetworkMessageIds: ['N2'], MailCount: 5 },
      ]);
      expect(ev?.clusters.map((c) => [c.networkMessageIds, c.mailCount])).toEqual([
        [['n1'], 1],
        [['n2'], 5],
      ]);
    });

    it('keeps two same-named files told apart only by other hashes, and a second value of a known hash', () => {
      const ev = withEntities([
        { Type: 'file', Name: 'a.pdf', FileHashes: [{ Algorithm: 'SHA256AC', Value: 'AC:1' }] },
        { Type: 'file', Name: 'a.pdf', FileHashes: [{ Algorithm: 'SHA256AC', Value: 'AC:2' }] },
        {
          Type: 'file',
          Name: 'b.bin',
          FileHashes: [
            { Algorithm: 'MD5', Value: '0123456789abcdef0123456789abcdef' },
            { Algorithm: 'MD5', Value: 'fedcba9876543210fedcba9876543210' },
          ],
        },
      ]);
      expect(ev?.files.map((f) => [f.name, f.md5, f.otherHashes.map((h) => h.value)])).toEqual([
        ['a.pdf', null, ['AC:1']],
        ['a.pdf', null, ['AC:2']],
        ['b.bin', '0123456789abcdef0123456789abcdef', ['fedcba9876543210fedcba9876543210']],
      ]);
    });

    it('parses Data and Actions given as JSON strings, resolving $ref', () => {
      const e = eventOf('air-64-remediated-strings');
      const inv = e.investigation;
      expect(inv?.alert?.name).toBe('Email messages containing malicious URL removed after delivery');
      expect(inv?.actions[0]).toMatchObject({ type: 'EmailRemediation', status: 'Completed' });
      expect(inv?.entities.map((x) => x.type)).toEqual(['mailbox', 'mailmessage', 'url', 'mailbox']);
      expect(inv?.entities[3]?.raw).not.toHaveProperty('$ref');
      expect(inv?.runningTimeSeconds).toBe(249);
      expect([e.action, e.outcome, e.disposition]).toEqual(['investigation-completed', 'success', 'removed']);
    });

    it('reads Data and Actions given as objects, entity types in doc spelling, MinValue end time', () => {
      const e = eventOf('air-64-pending-objects');
      expect(e.investigation?.entities.map((x) => x.type)).toEqual([
        'mailmessage',
        'mailcluster',
        'ip',
        'filehash',
      ]);
      expect(e.investigation?.endTime).toBeNull();
      expect(e.files.map((f) => f.name)).toContain('invoice.exe');
      expect([e.action, e.disposition, e.severity]).toEqual(['investigation-updated', 'pending', 'medium']);
    });

    it('reads DeeplinkURL and an upper-case URL entity type', () => {
      const e = eventOf('air-64-started');
      expect(e.deepLink).toContain('airinvestigation');
      expect(e.urls).toEqual(['https://login-micros0ft.example.net/oauth?session=812&lang=en']);
      expect(e.action).toBe('investigation-started');
    });
  });

  describe('generic and unknown records', () => {
    it('keeps unknown record types as generic audit events with their unknown fields', () => {
      const e = eventOf('unknown-9999-future-type');
      expect([e.kind, e.action, e.recordTypeName]).toEqual(['audit', 'audit', 'Unknown(9999)']);
      expect(e.raw).toEqual({ NewField: { Nested: [1, 2, 3] } });
    });

    it('treats a failed sign-in as a failure even when ResultStatus says Succeeded', () => {
      const e = normalize({
        ...fixture('audit-15-sts-logon'),
        Operation: 'UserLoginFailed',
        ResultStatus: 'Succeeded',
      }).event;
      expect(e.outcome).toBe('failure');
    });

    it('reads the 2018 ClientIp spelling with a port and ResultStatus False as a failure', () => {
      const e = eventOf('audit-1-exchange-admin-clientip-port');
      expect([e.actors.clientIp, e.actors.clientPort, e.outcome]).toEqual(['198.51.100.4', 50123, 'failure']);
      expect(e.recordTypeName).toBe('ExchangeAdmin');
    });
  });

  describe('invalid records', () => {
    it('names every problem and still maps what it can', () => {
      const { event, invalidReason } = normalize(fixture('invalid-28-missing-and-bad-fields'));
      expect(invalidReason).toBe(
        'CreationTime: not a date-time: "not a time"; ClientIP: not an IP address: "not-an-ip"; ' +
          'AttachmentData.0.SHA256: SHA256 is neither 64 hex digits nor base64 of 32 bytes; NetworkMessageId: missing',
      );
      expect(event.invalidReason).toBe(invalidReason);
      expect([event.kind, event.action, event.threat?.verdict]).toEqual(['email', 'blocked', 'Phish']);
      expect(event.recordType).toBe(28);
      expect(event.time).toBeNull();
      expect(event.files[0]?.verdict).toEqual({ id: 1, name: 'Bad' });
    });

    it('reports a missing URL and a click action of the wrong type', () => {
      expect(normalize(fixture('invalid-41-no-url')).invalidReason).toBe(
        'URLClickAction: URLClickAction is not a number or a name; Url: missing',
      );
    });

    it('never throws and returns a generic event for values that are not objects', () => {
      for (const v of [null, 42, 'text', [1, 2], true]) {
        const { event, invalidReason } = normalize(v);
        expect(invalidReason).toMatch(/^record is not a JSON object/);
        expect(event.kind).toBe('audit');
      }
    });

    it('counts the issues beyond the first five', () => {
      const reason = normalize({ RecordType: 28 }).invalidReason ?? '';
      expect(reason).toMatch(/; and \d+ more$/);
    });
  });
});

describe('links', () => {
  const linksOf = (name: string) => extractIndex(fixture(name)).links;

  it('gives a mail its NetworkMessageId and attachment hashes', () => {
    expect(linksOf('mail-28-phish-delivered-int-enums')).toEqual([
      'nmid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
    ]);
  });

  it('links an investigation to the mails and clicks it concerns', () => {
    const inv = linksOf('air-64-remediated-strings');
    expect(inv).toEqual(expect.arrayContaining(linksOf('mail-28-phish-delivered-int-enums')));
    expect(inv).toEqual(expect.arrayContaining(linksOf('click-41-blocked')));
    // The ZAP record names the same mail in upper case.
    expect(linksOf('mail-28-zap-numeric-strings')).toContain('nmid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d');
  });

  it('links a malware investigation to the blocked mail by NetworkMessageId and attachment hash', () => {
    const inv = linksOf('air-64-pending-objects');
    const mail = linksOf('mail-28-malware-blocked');
    expect(inv).toContain('nmid:6e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b');
    expect(inv).toContain('sha256:091b572abf984382a95b9455e407f284e24bfb616890abc3fcdb2be68813f39d');
    expect(mail).toEqual(expect.arrayContaining(inv));
  });

  it('gives generic audit records no links', () => {
    expect(linksOf('audit-15-sts-logon')).toEqual([]);
  });
});

describe('extractIndex', () => {
  it('has exactly the store IndexedFields shape', () => {
    expectTypeOf<IndexedFields>().toEqualTypeOf<StoreIndexedFields>();
  });

  it('indexes the Defender columns of a click with the clicking user', () => {
    expect(extractIndex(fixture('click-41-blocked'))).toEqual({
      recordType: 41,
      creationTime: '2026-11-20T09:05:30.000Z',
      operation: 'TIUrlClickData',
      workload: 'ThreatIntelligence',
      userId: 'alex.wilber@contoso.example',
      verdict: null,
      deliveryAction: null,
      sender: null,
      recipients: [],
      url: 'https://login-micros0ft.example.net/oauth?session=812&lang=en',
      sha256: null,
      investigationStatus: null,
      links: [
        'nmid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
        'url:https://login-micros0ft.example.net/oauth?session=812&lang=en',
      ],
      invalidReason: null,
    });
  });

  it('indexes an invalid record with its reason', () => {
    const idx = extractIndex(fixture('invalid-28-missing-and-bad-fields'));
    expect(idx.invalidReason).toContain('NetworkMessageId: missing');
    expect(idx.verdict).toBe('Phish');
  });
});
