/**
 * `/subscriptions/content` (spec §3.5, §10 "Listing"): time rules and formats,
 * the filter on contentCreated, the default window, NextPageUri chains and
 * their adversarial variants, and listing by availability.
 */
import { get } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { api, emulator, iso, listAll, startSubscription, token, type ContentItem } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function subscribed(
  options: Parameters<typeof emulator>[0] = {},
): Promise<{ emu: Emulator; bearer: string }> {
  const emu = await emulator(options);
  const bearer = await token(emu);
  await startSubscription(emu, 'Audit.General', undefined, bearer);
  return { emu, bearer };
}

const content = (q: string): string => `subscriptions/content?contentType=Audit.General${q}`;

describe('time rules', () => {
  it('rejects startTime without endTime with 400 AF20055', async () => {
    const { emu, bearer } = await subscribed();
    const res = await api(emu, content(`&startTime=${iso(emu.now() - HOUR)}`), { token: bearer });
    expect(res.status).toBe(400);
    expect(res.code()).toBe('AF20055');
  });

  it('rejects a span over 24 hours with AF20055', async () => {
    const { emu, bearer } = await subscribed();
    const end = emu.now();
    const res = await api(emu, content(`&startTime=${iso(end - DAY - 1000)}&endTime=${iso(end)}`), {
      token: bearer,
    });
    expect(res.code()).toBe('AF20055');
  });

  it('rejects a start more than 7 days (plus the 1 h grace) old, accepts one within the grace', async () => {
    const { emu, bearer } = await subscribed();
    const now = emu.now();
    const tooOld = now - 7 * DAY - 2 * HOUR;
    expect(
      (
        await api(emu, content(`&startTime=${iso(tooOld)}&endTime=${iso(tooOld + HOUR)}`), { token: bearer })
      ).code(),
    ).toBe('AF20055');
    const inGrace = now - 7 * DAY - 30 * 60_000;
    expect(
      (
        await api(emu, content(`&startTime=${iso(inGrace)}&endTime=${iso(inGrace + HOUR)}`), {
          token: bearer,
        })
      ).status,
    ).toBe(200);
  });

  it('rejects start after end with AF20055', async () => {
    const { emu, bearer } = await subscribed();
    const now = emu.now();
    const res = await api(emu, content(`&startTime=${iso(now - HOUR)}&endTime=${iso(now - 2 * HOUR)}`), {
      token: bearer,
    });
    expect(res.code()).toBe('AF20055');
  });

  it('answers AF20030 instead in legacy mode', async () => {
    const { emu, bearer } = await subscribed({ timeRules: { legacyCode: true } });
    const res = await api(emu, content(`&endTime=${iso(emu.now())}`), { token: bearer });
    expect(res.status).toBe(400);
    expect(res.code()).toBe('AF20030');
  });

  it('accepts an end time in the future', async () => {
    const { emu, bearer } = await subscribed();
    const now = emu.now();
    const res = await api(emu, content(`&startTime=${iso(now - HOUR)}&endTime=${iso(now + 20 * HOUR)}`), {
      token: bearer,
    });
    expect(res.status).toBe(200);
  });

  it('accepts date-only, minute, second, Z and fractional-second formats', async () => {
    const { emu, bearer } = await subscribed();
    const now = emu.now();
    const s = new Date(now - 3 * HOUR).toISOString();
    const e = new Date(now - HOUR).toISOString();
    const day = new Date(now).toISOString().slice(0, 10);
    const nextDay = new Date(now + DAY).toISOString().slice(0, 10);
    const pairs = [
      [day, nextDay],
      [s.slice(0, 16), e.slice(0, 16)],
      [s.slice(0, 19), e.slice(0, 19)],
      [`${s.slice(0, 19)}Z`, `${e.slice(0, 19)}Z`],
      [`${s.slice(0, 19)}.1234567Z`, `${e.slice(0, 19)}.1234567Z`],
    ];
    for (const [start, end] of pairs) {
      const res = await api(emu, content(`&startTime=${start}&endTime=${end}`), { token: bearer });
      expect(res.status, `${start} .. ${end}: ${res.text}`).toBe(200);
    }
  });

  it('filters inclusively on startTime and exclusively on endTime, on contentCreated', async () => {
    const { emu, bearer } = await subscribed();
    const id = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 1 });
    const [item] = (await api(emu, content(''), { token: bearer })).json() as ContentItem[];
    expect(item!.contentId).toBe(id);
    const created = Date.parse(item!.contentCreated);
    const from = await api(emu, content(`&startTime=${iso(created)}&endTime=${iso(created + HOUR)}`), {
      token: bearer,
    });
    expect((from.json() as ContentItem[]).map((i) => i.contentId)).toEqual([id]);
    const until = await api(emu, content(`&startTime=${iso(created - HOUR)}&endTime=${iso(created)}`), {
      token: bearer,
    });
    expect(until.json()).toEqual([]);
  });

  it('without times lists the last 24 hours', async () => {
    const { emu, bearer } = await subscribed();
    const now = emu.now();
    emu.publishRecords({
      tenant: emu.tenants[0]!,
      contentType: 'Audit.General',
      count: 1,
      createdAt: new Date(now - 25 * HOUR),
    });
    const recent = emu.publishRecords({
      tenant: emu.tenants[0]!,
      contentType: 'Audit.General',
      count: 1,
      createdAt: new Date(now - 23 * HOUR),
    });
    const { items } = await listAll(emu, content(''), bearer);
    expect(items.map((i) => i.contentId)).toEqual([recent]);
  });

  it('without times lists since 00:00 UTC when configured so', async () => {
    const { emu, bearer } = await subscribed({ timeRules: { defaultWindow: 'today' } });
    const midnight = Math.floor(emu.now() / DAY) * DAY;
    emu.publishRecords({
      tenant: emu.tenants[0]!,
      contentType: 'Audit.General',
      count: 1,
      createdAt: new Date(midnight - 60_000),
    });
    const today = emu.publishRecords({
      tenant: emu.tenants[0]!,
      contentType: 'Audit.General',
      count: 1,
      createdAt: new Date(midnight),
    });
    const { items } = await listAll(emu, content(''), bearer);
    expect(items.map((i) => i.contentId)).toEqual([today]);
  });

  it('answers an empty window with []', async () => {
    const { emu, bearer } = await subscribed();
    const res = await api(emu, content(''), { token: bearer });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual([]);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });
});

describe('pagination', () => {
  async function fiveBlobs(options: Parameters<typeof emulator>[0] = {}) {
    const ctx = await subscribed({ pageSize: 2, ...options });
    const ids = Array.from({ length: 5 }, () =>
      ctx.emu.publishRecords({ tenant: ctx.emu.tenants[0]!, contentType: 'Audit.General', count: 1 }),
    );
    return { ...ctx, ids };
  }

  it('chains NextPageUri pages: absolute URL repeating startTime/endTime plus an opaque nextPage', async () => {
    const { emu, bearer, ids } = await fiveBlobs();
    const now = emu.now();
    const start = iso(now - HOUR);
    const end = iso(now + HOUR);
    const { items, pages } = await listAll(
      emu,
      content(`&startTime=${start}&endTime=${end}&PublisherIdentifier=${emu.tenants[0]}`),
      bearer,
    );
    expect(items.map((i) => i.contentId)).toEqual(ids);
    expect(pages).toHaveLength(3);
    const link = new URL(pages[0]!.headers.get('NextPageUri')!);
    expect(link.origin).toBe(emu.url);
    expect(link.pathname).toBe(`/api/v1.0/${emu.tenants[0]}/activity/feed/subscriptions/content`);
    expect(link.searchParams.get('startTime')).toBe(start);
    expect(link.searchParams.get('endTime')).toBe(end);
    expect(link.searchParams.get('PublisherIdentifier')).toBe(emu.tenants[0]);
    expect(link.searchParams.get('nextPage')).toMatch(/^\d{10}R\d+[0-9a-f]+$/);
    expect(pages[2]!.headers.get('NextPageUri')).toBeNull();
  });

  it('fills in the 24 hours before the request when the first call had no times', async () => {
    const { emu, bearer, ids } = await fiveBlobs();
    const first = await api(emu, content(''), { token: bearer });
    const link = new URL(first.headers.get('NextPageUri')!);
    const start = Date.parse(link.searchParams.get('startTime')!);
    const end = Date.parse(link.searchParams.get('endTime')!);
    expect(end - start).toBe(DAY);
    expect(Math.abs(end - emu.now())).toBeLessThan(60_000);
    const { items } = await listAll(emu, content(''), bearer);
    expect(items.map((i) => i.contentId)).toEqual(ids);
  });

  it('answers AF20031 for a tampered nextPage', async () => {
    const { emu, bearer } = await fiveBlobs();
    const first = await api(emu, content(''), { token: bearer });
    const link = new URL(first.headers.get('NextPageUri')!);
    const np = link.searchParams.get('nextPage')!;
    link.searchParams.set(
      'nextPage',
      np.replace(/R(\d)/, (_m, d: string) => `R${(Number(d) + 1) % 10}`),
    );
    const res = await api(emu, link.toString(), { token: bearer });
    expect(res.status).toBe(400);
    expect(res.code()).toBe('AF20031');
  });

  it('neither skips nor repeats blobs that appear between pages', async () => {
    const { emu, bearer, ids } = await fiveBlobs();
    const now = emu.now();
    const first = await api(emu, content(`&startTime=${iso(now - HOUR)}&endTime=${iso(now + HOUR)}`), {
      token: bearer,
    });
    const late = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 1 });
    const rest = await listAll(emu, first.headers.get('NextPageUri')!, bearer);
    const all = [...(first.json() as ContentItem[]), ...rest.items].map((i) => i.contentId);
    expect(all).toEqual([...ids, late]);
  });

  it('adversarial: sends empty pages that still carry NextPageUri, and the chain still ends with every blob', async () => {
    const { emu, bearer, ids } = await fiveBlobs({ faults: { 'empty-page': 1 } });
    const { items, pages } = await listAll(emu, content(''), bearer);
    expect(items.map((i) => i.contentId)).toEqual(ids);
    expect(
      pages.some(
        (p) =>
          p.json() instanceof Array && (p.json() as unknown[]).length === 0 && p.headers.get('NextPageUri'),
      ),
    ).toBe(true);
  });

  it('adversarial: spells the header NextPageUrl', async () => {
    const { emu, bearer } = await fiveBlobs({ nextPage: { headerName: 'NextPageUrl' } });
    const res = await api(emu, content(''), { token: bearer });
    expect(res.headers.get('NextPageUrl')).toMatch(/^http:/);
    const raw = await rawHeaderNames(res.headers.get('NextPageUrl')!.replace(/nextPage=[^&]+/, ''), bearer);
    expect(raw).toContain('NextPageUrl');
  });

  it('adversarial: sends the header in lower case', async () => {
    const { emu, bearer } = await fiveBlobs({ nextPage: { headerName: 'nextpageuri' } });
    const names = await rawHeaderNames(`${emu.apiRoot(emu.tenants[0]!)}/${content('')}`, bearer);
    expect(names).toContain('nextpageuri');
    expect(names).not.toContain('NextPageUri');
  });

  it('adversarial: puts /api/v1/ in the next-page URL, which still works', async () => {
    const { emu, bearer, ids } = await fiveBlobs({ nextPage: { v1Path: true } });
    const first = await api(emu, content(''), { token: bearer });
    expect(first.headers.get('NextPageUri')).toContain('/api/v1/');
    const { items } = await listAll(emu, content(''), bearer);
    expect(items.map((i) => i.contentId)).toEqual(ids);
  });

  it('adversarial: drops PublisherIdentifier from the next-page URL', async () => {
    const { emu, bearer } = await fiveBlobs({ nextPage: { dropPublisher: true } });
    const first = await api(emu, content(`&PublisherIdentifier=${emu.tenants[0]}`), { token: bearer });
    expect(new URL(first.headers.get('NextPageUri')!).searchParams.has('PublisherIdentifier')).toBe(false);
  });
});

describe('availability order and notifications', () => {
  it('lists by availability, not by contentCreated: a back-filled blob comes after newer ones', async () => {
    const { emu, bearer } = await subscribed();
    const newer = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 1 });
    const backfilled = emu.publishRecords({
      tenant: emu.tenants[0]!,
      contentType: 'Audit.General',
      count: 1,
      createdAt: new Date(emu.now() - 2 * HOUR),
    });
    const { items } = await listAll(emu, content(''), bearer);
    expect(items.map((i) => i.contentId)).toEqual([newer, backfilled]);
    expect(Date.parse(items[1]!.contentCreated)).toBeLessThan(Date.parse(items[0]!.contentCreated));
  });

  it('notifications answers [] without a webhook and AF20022 without a subscription', async () => {
    const { emu, bearer } = await subscribed();
    emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 1 });
    const res = await api(emu, 'subscriptions/notifications?contentType=Audit.General', { token: bearer });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual([]);
    expect(
      (await api(emu, 'subscriptions/notifications?contentType=Audit.Exchange', { token: bearer })).code(),
    ).toBe('AF20022');
  });
});

/** Header names exactly as sent (fetch lower-cases them). */
function rawHeaderNames(url: string, bearer: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { Authorization: `Bearer ${bearer}` } }, (res) => {
      res.resume();
      resolve(res.rawHeaders.filter((_, i) => i % 2 === 0));
    }).on('error', reject);
  });
}
