import { describe, expect, it } from 'vitest';
import type { ContentType } from './index.js';
import {
  CONTENT_TYPES,
  contentTypeOfRecordType,
  createRecordGenerator,
  MODELLED_RECORD_TYPES,
} from './index.js';

const TENANT = '41463f53-8812-40f4-890f-865bf6e35190';
const FROM = new Date('2026-11-20T10:00:00Z');
const TO = new Date('2026-11-20T11:00:00Z');
const DEFENDER = new Set([28, 41, 47, 64]);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function parseWireTime(s: string): number {
  return Date.parse(`${s}Z`);
}

describe('createRecordGenerator', () => {
  it('replays the same records for the same seed and call sequence', () => {
    const run = (seed: number): string => {
      const gen = createRecordGenerator({ seed, tenantId: TENANT });
      const out = CONTENT_TYPES.map((ct) => gen.records(ct, 150, FROM, TO));
      out.push([gen.recordOfType(64, FROM)]);
      return JSON.stringify(out);
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
  });

  it('depends on the call sequence, not on wall-clock or global randomness', () => {
    const a = createRecordGenerator({ seed: 3, tenantId: TENANT });
    const b = createRecordGenerator({ seed: 3, tenantId: TENANT });
    const first = a.records('Audit.General', 50, FROM, TO);
    // A different first call shifts the stream.
    b.records('Audit.Exchange', 1, FROM, TO);
    expect(JSON.stringify(b.records('Audit.General', 50, FROM, TO))).not.toBe(JSON.stringify(first));
  });

  it('returns exactly count records of the content type, each with the common schema', () => {
    const gen = createRecordGenerator({ seed: 1, tenantId: TENANT });
    for (const ct of CONTENT_TYPES) {
      const recs = gen.records(ct, 400, FROM, TO);
      expect(recs).toHaveLength(400);
      for (const r of recs) {
        expect(contentTypeOfRecordType(r.RecordType as number)).toBe(ct);
        expect(r.Id).toMatch(GUID);
        expect(r.OrganizationId).toBe(TENANT);
        expect(r.Version).toBe(1);
        expect(typeof r.Operation).toBe('string');
        expect(typeof r.UserType).toBe('number');
        expect(typeof r.UserKey).toBe('string');
        expect(typeof r.UserId).toBe('string');
        expect(typeof r.Workload).toBe('string');
      }
    }
  });

  it('writes CreationTime without zone or fraction, inside [from, to)', () => {
    const gen = createRecordGenerator({ seed: 2, tenantId: TENANT });
    const from = new Date('2026-11-20T10:00:00.400Z');
    const to = new Date('2026-11-20T10:00:05.000Z');
    for (const ct of CONTENT_TYPES) {
      for (const r of gen.records(ct, 200, from, to)) {
        expect(r.CreationTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
        const t = parseWireTime(r.CreationTime as string);
        expect(t).toBeGreaterThanOrEqual(from.getTime());
        expect(t).toBeLessThan(to.getTime());
      }
    }
  });

  it('keeps duplicates of earlier calls inside the window of the current call', () => {
    const gen = createRecordGenerator({ seed: 4, tenantId: TENANT, duplicateRate: 0.3 });
    gen.records('Audit.General', 500, new Date('2026-11-19T00:00:00Z'), new Date('2026-11-19T01:00:00Z'));
    for (const r of gen.records('Audit.General', 500, FROM, TO)) {
      const t = parseWireTime(r.CreationTime as string);
      expect(t >= FROM.getTime() && t < TO.getTime()).toBe(true);
    }
  });

  it('rejects an empty or inverted window', () => {
    const gen = createRecordGenerator({ seed: 1, tenantId: TENANT });
    expect(() => gen.records('Audit.General', 1, TO, FROM)).toThrow(RangeError);
    expect(() => gen.records('Audit.General', 1, FROM, FROM)).toThrow(RangeError);
    expect(() => gen.records('Audit.Nope' as ContentType, 1, FROM, TO)).toThrow(RangeError);
  });

  it('does not sort records by time', () => {
    const gen = createRecordGenerator({ seed: 5, tenantId: TENANT });
    for (const ct of CONTENT_TYPES) {
      const times = gen.records(ct, 50, FROM, TO).map((r) => parseWireTime(r.CreationTime as string));
      const sorted = [...times].sort((x, y) => x - y);
      expect(times).not.toEqual(sorted);
    }
  });

  it('repeats earlier records exactly (same Id, same body) at about the duplicate rate', () => {
    const gen = createRecordGenerator({ seed: 6, tenantId: TENANT, duplicateRate: 0.05 });
    const recs = gen.records('Audit.General', 2000, FROM, TO);
    const byId = new Map<string, string[]>();
    for (const r of recs) {
      const list = byId.get(r.Id as string) ?? [];
      list.push(JSON.stringify(r));
      byId.set(r.Id as string, list);
    }
    const repeats = recs.length - byId.size;
    expect(repeats).toBeGreaterThan(2000 * 0.025);
    expect(repeats).toBeLessThan(2000 * 0.075);
    for (const bodies of byId.values()) expect(new Set(bodies).size).toBe(1);
    // Copies, not shared references: a consumer mutating one cannot change another.
    const dupId = [...byId].find(([, b]) => b.length > 1)?.[0];
    const copies = recs.filter((r) => r.Id === dupId);
    expect(copies[0]).not.toBe(copies[1]);
  });

  it('returns records that share no objects or arrays, so a consumer may mutate any of them', () => {
    const gen = createRecordGenerator({ seed: 16, tenantId: TENANT, duplicateRate: 0.1 });
    const seen = new Set<object>();
    const walk = (v: unknown): void => {
      if (v === null || typeof v !== 'object') return;
      expect(seen.has(v)).toBe(false);
      seen.add(v);
      Object.values(v).forEach(walk);
    };
    for (const ct of CONTENT_TYPES) gen.records(ct, 300, FROM, TO).forEach(walk);
  });

  it('repeats records across calls too, and not at all with duplicateRate 0', () => {
    const gen = createRecordGenerator({ seed: 6, tenantId: TENANT, duplicateRate: 0.2 });
    const first = new Set(gen.records('Audit.Exchange', 200, FROM, TO).map((r) => r.Id));
    const second = gen.records('Audit.Exchange', 200, FROM, TO);
    expect(second.some((r) => first.has(r.Id))).toBe(true);

    const none = createRecordGenerator({ seed: 6, tenantId: TENANT, duplicateRate: 0 });
    const ids = none.records('Audit.General', 3000, FROM, TO).map((r) => r.Id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('makes Audit.General mostly Defender records, with other workloads and unknown types mixed in', () => {
    const gen = createRecordGenerator({ seed: 8, tenantId: TENANT, duplicateRate: 0 });
    const recs = gen.records('Audit.General', 2500, FROM, TO);
    const types = recs.map((r) => r.RecordType as number);
    const defender = types.filter((t) => DEFENDER.has(t)).length;
    expect(defender / types.length).toBeGreaterThan(0.6);
    for (const t of [28, 41, 47, 64, 25, 20, 85, 86, 999]) expect(types).toContain(t);
  });

  it('emits the record types expected in each other content type', () => {
    const gen = createRecordGenerator({ seed: 9, tenantId: TENANT });
    const expected: Record<Exclude<ContentType, 'Audit.General'>, number[]> = {
      'Audit.Exchange': [1, 2, 50],
      'Audit.SharePoint': [4, 6, 14],
      'Audit.AzureActiveDirectory': [8, 15],
      'DLP.All': [11, 13, 33],
    };
    for (const [ct, wanted] of Object.entries(expected)) {
      const types = new Set(gen.records(ct as ContentType, 600, FROM, TO).map((r) => r.RecordType));
      expect([...types].sort()).toEqual([...wanted].sort());
    }
  });

  it('reports FileMalwareDetected as a SharePoint file operation (record 6), not a Defender record', () => {
    const gen = createRecordGenerator({ seed: 10, tenantId: TENANT });
    const hits = gen
      .records('Audit.SharePoint', 2000, FROM, TO)
      .filter((r) => r.Operation === 'FileMalwareDetected');
    expect(hits.length).toBeGreaterThan(0);
    for (const r of hits) expect(r.RecordType).toBe(6);
  });

  it('writes ClientIP in every observed form: v4, v6, with port, null, empty and "<null>"', () => {
    const gen = createRecordGenerator({ seed: 11, tenantId: TENANT });
    const ips = gen
      .records('Audit.Exchange', 3000, FROM, TO)
      .map((r) => r.ClientIP as string | null | undefined);
    expect(ips).toContain(null);
    expect(ips).toContain('');
    expect(ips).toContain('<null>');
    expect(ips.some((ip) => typeof ip === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(ip))).toBe(true);
    expect(ips.some((ip) => typeof ip === 'string' && /^\d+\.\d+\.\d+\.\d+:\d+$/.test(ip))).toBe(true);
    expect(ips.some((ip) => typeof ip === 'string' && /^[0-9a-f:]+$/.test(ip) && ip.includes('::'))).toBe(
      true,
    );
    expect(ips.some((ip) => typeof ip === 'string' && /^\[[0-9a-f:]+\]:\d+$/.test(ip))).toBe(true);
  });

  it('puts ClientIP on user records always and on system (Defender) records nearly always', () => {
    const gen = createRecordGenerator({ seed: 15, tenantId: TENANT });
    const recs = gen.records('Audit.General', 1500, FROM, TO);
    const system = recs.filter((r) => DEFENDER.has(r.RecordType as number));
    const user = recs.filter((r) => r.RecordType === 25 || r.RecordType === 20);
    for (const r of user) expect(r).toHaveProperty('ClientIP');
    const missing = system.filter((r) => !('ClientIP' in r)).length;
    expect(missing).toBeGreaterThan(0);
    expect(missing).toBeLessThan(system.length * 0.2);
  });

  it('occasionally adds Scope and AppAccessContext', () => {
    const gen = createRecordGenerator({ seed: 12, tenantId: TENANT });
    const recs = gen.records('Audit.SharePoint', 2000, FROM, TO);
    expect(recs.some((r) => r.Scope === 0)).toBe(true);
    const ctx = recs.find((r) => r.AppAccessContext !== undefined)?.AppAccessContext as Record<
      string,
      unknown
    >;
    expect(Object.keys(ctx).sort()).toEqual(
      [
        'AADSessionId',
        'APIId',
        'ClientAppId',
        'ClientAppName',
        'CorrelationId',
        'IssuedAtTime',
        'UniqueTokenId',
      ].sort(),
    );
  });

  it('uses the tenant id as OrganizationId and a tenant-specific organisation', () => {
    const other = '0d9a3c52-7c5b-4c3e-8d1e-2a7b9f6e1c44';
    const a = createRecordGenerator({ seed: 1, tenantId: TENANT }).records('Audit.Exchange', 50, FROM, TO);
    const b = createRecordGenerator({ seed: 1, tenantId: other }).records('Audit.Exchange', 50, FROM, TO);
    expect(b.every((r) => r.OrganizationId === other)).toBe(true);
    const domain = (r: Record<string, unknown>): string =>
      String(r.MailboxOwnerUPN ?? r.ObjectId).split('@')[1] ?? '';
    expect(new Set(a.map(domain))).not.toEqual(new Set(b.map(domain)));
  });

  it('makes a record of every modelled type on request, with that RecordType', () => {
    const gen = createRecordGenerator({ seed: 14, tenantId: TENANT });
    expect(MODELLED_RECORD_TYPES).toEqual(
      expect.arrayContaining([1, 2, 4, 6, 8, 11, 13, 14, 15, 28, 33, 41, 47, 50, 64]),
    );
    for (const t of MODELLED_RECORD_TYPES) {
      const r = gen.recordOfType(t, FROM);
      expect(r.RecordType).toBe(t);
      expect(r.CreationTime).toBe('2026-11-20T10:00:00');
    }
  });

  it('makes a single record of any RecordType, falling back to a generic record for unknown numbers', () => {
    const gen = createRecordGenerator({ seed: 13, tenantId: TENANT });
    const at = new Date('2026-11-20T10:15:30.750Z');
    expect(gen.recordOfType(28, at)).toMatchObject({
      RecordType: 28,
      Operation: 'TIMailData',
      CreationTime: '2026-11-20T10:15:30',
    });
    expect(gen.recordOfType(64, at)).toMatchObject({ RecordType: 64, Operation: 'AirInvestigationData' });
    const unknown = gen.recordOfType(4242, at);
    expect(unknown.RecordType).toBe(4242);
    expect(unknown.Id).toMatch(GUID);
  });
});

describe('contentTypeOfRecordType', () => {
  it('publishes Defender and other non-core workloads under Audit.General', () => {
    for (const t of [28, 41, 47, 64, 85, 86, 89, 25, 20, 999, 0, -1])
      expect(contentTypeOfRecordType(t)).toBe('Audit.General');
  });

  it('maps core workloads to their own content types', () => {
    expect([1, 2, 3, 19, 50].map(contentTypeOfRecordType)).toEqual(Array(5).fill('Audit.Exchange'));
    expect([4, 6, 7, 14, 36].map(contentTypeOfRecordType)).toEqual(Array(5).fill('Audit.SharePoint'));
    expect([8, 9, 15].map(contentTypeOfRecordType)).toEqual(Array(3).fill('Audit.AzureActiveDirectory'));
    expect([11, 13, 33, 63].map(contentTypeOfRecordType)).toEqual(Array(4).fill('DLP.All'));
  });
});
