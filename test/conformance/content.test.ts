/**
 * Content blobs (spec §3.8, §5, §10 "Content"): the list item and blob shapes,
 * expiry, unknown and malformed ids, the backlog and live publication, late
 * and duplicate blobs, and unordered records.
 */
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import {
  api,
  emulator,
  eventually,
  iso,
  listAll,
  startSubscription,
  token,
  type ContentItem,
} from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function subscribed(
  options: Parameters<typeof emulator>[0] = {},
  contentType = 'Audit.General',
): Promise<{ emu: Emulator; bearer: string }> {
  const emu = await emulator(options);
  const bearer = await token(emu);
  await startSubscription(emu, contentType, undefined, bearer);
  return { emu, bearer };
}

type Rec = Record<string, unknown>;

async function fetchBlob(emu: Emulator, item: ContentItem, bearer: string): Promise<Rec[]> {
  const res = await api(emu, item.contentUri, { token: bearer });
  expect(res.status, res.text).toBe(200);
  return res.json() as Rec[];
}

describe('content items and blobs', () => {
  it('lists items with contentUri = root/audit/contentId, ms+Z contentCreated and expiration 7 days later', async () => {
    const { emu, bearer } = await subscribed();
    const id = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 3 });
    const [item] = (
      await api(emu, 'subscriptions/content?contentType=Audit.General', { token: bearer })
    ).json() as ContentItem[];
    expect(Object.keys(item!).sort()).toEqual([
      'contentCreated',
      'contentExpiration',
      'contentId',
      'contentType',
      'contentUri',
    ]);
    expect(item!.contentId).toBe(id);
    expect(item!.contentId).toMatch(/^\d{23}\$\d{23}\$audit_general\$Audit_General\$\w+$/);
    expect(item!.contentUri).toBe(`${emu.apiRoot(emu.tenants[0]!)}/audit/${id}`);
    expect(item!.contentCreated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(item!.contentExpiration) - Date.parse(item!.contentCreated)).toBe(7 * DAY);
  });

  it('serves a blob as a JSON array of records whose CreationTime has no zone', async () => {
    const { emu, bearer } = await subscribed();
    emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 20 });
    const [item] = (
      await api(emu, 'subscriptions/content?contentType=Audit.General', { token: bearer })
    ).json() as ContentItem[];
    const records = await fetchBlob(emu, item!, bearer);
    expect(records).toHaveLength(20);
    for (const r of records) {
      expect(r.CreationTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      expect(r.OrganizationId).toBe(emu.tenants[0]);
      expect(typeof r.Id).toBe('string');
    }
  });

  it('puts records inside a blob out of time order', async () => {
    const { emu, bearer } = await subscribed();
    emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 40 });
    const [item] = (
      await api(emu, 'subscriptions/content?contentType=Audit.General', { token: bearer })
    ).json() as ContentItem[];
    const times = (await fetchBlob(emu, item!, bearer)).map((r) => String(r.CreationTime));
    expect(times).not.toEqual([...times].sort());
  });

  it('accepts PublisherIdentifier on the blob GET', async () => {
    const { emu, bearer } = await subscribed();
    const id = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 1 });
    const res = await api(emu, `audit/${id}?PublisherIdentifier=${emu.tenants[0]}`, { token: bearer });
    expect(res.status).toBe(200);
  });

  it('answers AF20050 with 404 for an unknown content id', async () => {
    const { emu, bearer } = await subscribed();
    const res = await api(
      emu,
      'audit/20260101000000000000001$20260101000000000000001$audit_general$Audit_General$emu0001',
      { token: bearer },
    );
    expect(res.status).toBe(404);
    expect(res.code()).toBe('AF20050');
  });

  it("answers AF20050 for another tenant's content id", async () => {
    const emu = await emulator({
      tenants: ['0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d', '1b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d4e'],
    });
    const [a, b] = emu.tenants as [string, string];
    await startSubscription(emu, 'Audit.General', a);
    await startSubscription(emu, 'Audit.General', b);
    const id = emu.publishRecords({ tenant: a, contentType: 'Audit.General', count: 1 });
    expect((await api(emu, `audit/${id}`, { tenant: b })).code()).toBe('AF20050');
  });

  it('answers AF20052 for a malformed content id', async () => {
    const { emu, bearer } = await subscribed();
    const res = await api(emu, 'audit/not%20an%20id', { token: bearer });
    expect(res.status).toBe(400);
    expect(res.code()).toBe('AF20052');
  });

  it('answers AF20051 once a blob is older than 7 days', async () => {
    // One emulated hour passes in one wall second.
    const { emu, bearer } = await subscribed({ speed: 3600 });
    const id = emu.publishRecords({
      tenant: emu.tenants[0]!,
      contentType: 'Audit.General',
      count: 1,
      createdAt: new Date(emu.now() - 7 * DAY + HOUR),
    });
    expect((await api(emu, `audit/${id}`, { token: bearer })).status).toBe(200);
    const expired = await eventually(async () => {
      const res = await api(emu, `audit/${id}`, { token: bearer });
      return res.status === 200 ? undefined : res;
    }, 5000);
    expect(expired.code()).toBe('AF20051');
    expect(expired.text).toContain('Content older than 7 days cannot be retrieved.');
  });

  it('answers AF20051 for blobs published to expire on purpose', async () => {
    const { emu, bearer } = await subscribed({ expireRate: 1 });
    const id = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 1 });
    expect((await api(emu, `audit/${id}`, { token: bearer })).code()).toBe('AF20051');
  });

  it('needs ActivityFeed.ReadDlp to fetch a DLP.All blob', async () => {
    const emu = await emulator({
      extraClients: [
        { clientId: '33333333-3333-4444-8555-666666666666', clientSecret: 's', roles: ['ActivityFeed.Read'] },
      ],
    });
    await startSubscription(emu, 'DLP.All');
    const id = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'DLP.All', count: 1 });
    const weak = await token(emu, { clientId: '33333333-3333-4444-8555-666666666666', clientSecret: 's' });
    expect((await api(emu, `audit/${id}`, { token: weak })).code()).toBe('AF10001');
    expect((await api(emu, `audit/${id}`)).status).toBe(200);
  });
});

describe('publication', () => {
  it('publishes a backlog spread over the history span, weighted towards Audit.General', async () => {
    const emu = await emulator({ historyMs: 7 * DAY, historyRecords: 1000, recordsPerBlob: 20 });
    const bearer = await token(emu);
    const counts: Record<string, number> = {};
    for (const ct of ['Audit.General', 'Audit.Exchange', 'DLP.All']) {
      await startSubscription(emu, ct, undefined, bearer);
      const end = emu.now();
      let n = 0;
      for (let day = 0; day < 7; day++) {
        const q = `&startTime=${iso(end - (day + 1) * DAY)}&endTime=${iso(end - day * DAY)}`;
        n += (await listAll(emu, `subscriptions/content?contentType=${ct}${q}`, bearer)).items.length;
      }
      counts[ct] = n;
    }
    expect(counts['Audit.General']).toBeGreaterThan(counts['Audit.Exchange']!);
    expect(counts['Audit.Exchange']).toBeGreaterThan(counts['DLP.All']!);
    const now = emu.now();
    const old = await listAll(
      emu,
      `subscriptions/content?contentType=Audit.General&startTime=${iso(now - 6.5 * DAY)}&endTime=${iso(now - 5.5 * DAY)}`,
      bearer,
    );
    expect(old.items.length).toBeGreaterThan(0);
  });

  it('publishes live content at the configured rate', async () => {
    const { emu, bearer } = await subscribed({
      rate: 200,
      recordsPerBlob: 10,
      blobIntervalMs: 200,
      publishIntervalMs: 50,
    });
    const items = await eventually(async () => {
      const { items } = await listAll(emu, 'subscriptions/content?contentType=Audit.General', bearer);
      return items.length >= 3 ? items : undefined;
    });
    const records = await fetchBlob(emu, items[0]!, bearer);
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThanOrEqual(10);
  });

  it('publishes late blobs: back-filled into past windows and carrying events days old', async () => {
    const { emu, bearer } = await subscribed({
      rate: 400,
      recordsPerBlob: 5,
      blobIntervalMs: 100,
      publishIntervalMs: 50,
      faults: { late: 1 },
      seed: 7,
    });
    const items = await eventually(async () => {
      const { items } = await listAll(emu, 'subscriptions/content?contentType=Audit.General', bearer);
      return items.length >= 12 ? items : undefined;
    });
    let backfilled = 0;
    let daysOld = 0;
    for (const item of items) {
      const created = Date.parse(item.contentCreated);
      if (emu.now() - created > 60_000) backfilled++;
      const records = await fetchBlob(emu, item, bearer);
      if (records.some((r) => created - Date.parse(`${String(r.CreationTime)}Z`) > DAY)) daysOld++;
    }
    expect(backfilled).toBeGreaterThan(0);
    expect(daysOld).toBeGreaterThan(0);
  });

  it('publishes duplicates: the same record Ids under another content id and within one blob', async () => {
    const { emu, bearer } = await subscribed({
      rate: 400,
      recordsPerBlob: 5,
      blobIntervalMs: 100,
      publishIntervalMs: 50,
      faults: { duplicate: 1 },
    });
    const items = await eventually(async () => {
      const { items } = await listAll(emu, 'subscriptions/content?contentType=Audit.General', bearer);
      return items.length >= 4 ? items : undefined;
    });
    const owners = new Map<string, Set<string>>();
    let withinBlob = false;
    for (const item of items) {
      const records = await fetchBlob(emu, item, bearer);
      if (new Set(records.map((r) => r.Id)).size < records.length) withinBlob = true;
      for (const r of records) {
        const set = owners.get(String(r.Id)) ?? new Set();
        set.add(item.contentId);
        owners.set(String(r.Id), set);
      }
    }
    expect([...owners.values()].some((s) => s.size > 1)).toBe(true);
    expect(withinBlob).toBe(true);
  });
});

describe('record wire quirks served as they come', () => {
  it('serves ClientIP with ports, null and empty; unknown RecordTypes; AIR Data as a JSON string and Actions as strings or objects; Policy as number or string', async () => {
    const { emu, bearer } = await subscribed();
    const id = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 3000 });
    const records = (await api(emu, `audit/${id}`, { token: bearer })).json() as Rec[];
    const ips = records.map((r) => r.ClientIP);
    expect(ips).toContain(null);
    expect(ips).toContain('');
    expect(ips.some((ip) => typeof ip === 'string' && /(\d|\]):\d+$/.test(ip))).toBe(true);
    const known = new Set([20, 25, 28, 41, 47, 64, 85, 86, 89]);
    expect(records.some((r) => !known.has(r.RecordType as number))).toBe(true);
    const air = records.filter((r) => r.RecordType === 64);
    expect(air.length).toBeGreaterThan(0);
    expect(air.every((r) => typeof r.Data === 'string')).toBe(true);
    const actionKinds = new Set(
      air.flatMap((r) => (Array.isArray(r.Actions) ? r.Actions.map((a) => typeof a) : [])),
    );
    expect([...actionKinds].sort()).toEqual(['object', 'string']);
    const policyKinds = new Set(records.filter((r) => r.RecordType === 28).map((r) => typeof r.Policy));
    expect(policyKinds.has('number') && policyKinds.has('string')).toBe(true);
  });
});
