/** The dashboard's report tables over a real SQLite store on a temporary file. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DashboardRow, DashboardStore, TableQuery } from '../dashboard.js';
import { openDashboardStore, openStore } from '../index.js';
import { makeBlob, makeRecord } from '../testing.js';
import type { Store } from '../types.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-20T00:00:00Z');
const TENANT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const OTHER = 'ffffffff-bbbb-cccc-dddd-eeeeeeeeeeee';

let offset = 0;
function row(fields: Partial<DashboardRow> = {}): DashboardRow {
  offset += 1;
  return {
    offset,
    tenantId: TENANT,
    t: T0,
    messageT: null,
    kind: 'email',
    action: 'delivered',
    verdict: 'phish',
    verdictRaw: 'Phish',
    technologies: [],
    deliveryAction: 'Delivered',
    originalLocation: 'Inbox',
    latestLocation: 'Inbox',
    originalClass: 'delivered',
    latestClass: 'delivered',
    detectionType: 'Inline',
    policy: null,
    direction: 'Inbound',
    override: null,
    sender: 'bad@evil.example',
    senderDomain: 'evil.example',
    senderIp: '192.0.2.1',
    recipient: 'ann@contoso.example',
    subject: 'Invoice',
    networkMessageId: null,
    url: null,
    urlDomain: null,
    urls: [],
    clickAction: null,
    app: null,
    clickThrough: false,
    fileName: null,
    site: null,
    path: null,
    family: null,
    sha256: null,
    attachments: [],
    lastModifiedBy: null,
    workload: null,
    user: 'ann@contoso.example',
    summary: 'a mail',
    investigation: null,
    ...fields,
  };
}

function nmid(i: number): string {
  return `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`;
}

const WHOLE = { from: T0 - 10 * DAY, to: T0 + 10 * DAY, tenant: null };

function tableQuery(fields: Partial<TableQuery> = {}): TableQuery {
  return { ...WHOLE, q: null, page: 1, size: 50, sort: '', dir: 'desc', any: {}, none: {}, ...fields };
}

describe('dashboard store', () => {
  let dir = '';
  let store: Store;
  let dash: DashboardStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'atp-dash-'));
    store = await openStore({ dataDir: dir });
    dash = openDashboardStore(dir);
    offset = 0;
  });
  afterEach(async () => {
    await dash.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists a delivered phish as still in a mailbox until a ZAP record removes it, whatever order they arrive in', async () => {
    const id = nmid(1);
    const delivery = row({ networkMessageId: id, t: T0 });
    const zap = row({
      networkMessageId: id,
      t: T0 + 2 * HOUR,
      action: 'remediated',
      detectionType: 'ZAP',
      latestLocation: 'Quarantine',
      latestClass: 'quarantined',
    });
    await dash.apply([delivery], delivery.offset);
    const open = await dash.table('inboxed', tableQuery({ sort: 'age' }), T0 + 3 * HOUR);
    expect(open.rows.map((r) => [r.networkMessageId, r.ageSeconds])).toEqual([[id, 3 * 3600]]);
    expect((await dash.tiles(WHOLE)).stillInMailbox).toBe(1);
    await dash.apply([zap], zap.offset);
    expect((await dash.table('inboxed', tableQuery({ sort: 'age' }), T0)).rows).toEqual([]);
    expect(await dash.outcome(WHOLE)).toEqual({
      blocked: 0,
      delivered: 1,
      junked: 0,
      removedAfterDelivery: 1,
      stillThere: 0,
    });

    // The same two records, the ZAP stored first: the same state.
    const other = nmid(2);
    const zapFirst = row({ ...zap, offset: 0, networkMessageId: other });
    zapFirst.offset = ++offset;
    const late = row({ networkMessageId: other, t: T0 });
    await dash.apply([zapFirst, late], late.offset);
    expect((await dash.tiles(WHOLE)).stillInMailbox).toBe(0);
    expect((await dash.outcome(WHOLE)).removedAfterDelivery).toBe(2);
  });

  it('removes a mail from the worklist when an investigation action remediates it, and measures the delay', async () => {
    const id = nmid(3);
    const mail = row({ networkMessageId: id, t: T0, messageT: T0 });
    const inv = row({
      kind: 'investigation',
      t: T0 + 5 * HOUR,
      verdict: null,
      networkMessageId: null,
      investigation: {
        id: 'inv-1',
        name: 'Zapped',
        type: 'ZappedEmailInvestigation',
        status: 'Remediated',
        startT: T0 + HOUR,
        pendingActions: 0,
        pendingSince: null,
        actions: 1,
        networkMessageIds: [id],
        remediated: [{ networkMessageId: id, t: T0 + 4 * HOUR }],
      },
    });
    await dash.apply([mail, inv], inv.offset);
    expect((await dash.tiles(WHOLE)).stillInMailbox).toBe(0);
    const stats = await dash.investigations(WHOLE);
    expect(stats.remediationDelay).toEqual({ n: 1, medianSeconds: 4 * 3600, p90Seconds: 4 * 3600 });
    expect((await dash.messageTimeline(TENANT, id)).map((e) => e.kind)).toEqual(['email', 'investigation']);
  });

  it('keeps the newest update of an investigation, so an older one stored later does not bring back its pending actions', async () => {
    const inv = (t: number, pending: number) =>
      row({
        kind: 'investigation',
        t,
        verdict: null,
        investigation: {
          id: 'inv-2',
          name: 'URL',
          type: 'UrlInvestigation',
          status: pending > 0 ? 'Pending Action' : 'Remediated',
          startT: T0,
          pendingActions: pending,
          pendingSince: pending > 0 ? T0 : null,
          actions: 2,
          networkMessageIds: [],
          remediated: [],
        },
      });
    const pending = inv(T0 + HOUR, 2);
    await dash.apply([pending], pending.offset);
    const waiting = await dash.table('approvals', tableQuery({ sort: 'waiting' }), T0 + 2 * HOUR);
    expect(waiting.rows.map((r) => [r.investigationId, r.pendingActions, r.waitingSeconds])).toEqual([
      ['inv-2', 2, 2 * 3600],
    ]);
    expect(waiting.rows[0]?.expiresInSeconds).toBe(7 * 24 * 3600 - 2 * 3600);
    const done = inv(T0 + 3 * HOUR, 0);
    const stale = inv(T0 + 2 * HOUR, 1);
    await dash.apply([done, stale], stale.offset);
    expect((await dash.table('approvals', tableQuery({ sort: 'waiting' }), T0)).rows).toEqual([]);
    expect((await dash.investigations(WHOLE)).byStatus).toEqual([{ value: 'Remediated', n: 1 }]);
  });

  it('ignores a batch applied again at or below its progress (a restart repeats nothing)', async () => {
    const rows = [row({ networkMessageId: nmid(4) }), row({ kind: 'url-click', clickAction: 'Allowed' })];
    await dash.apply(rows, 2);
    await dash.apply(rows, 2);
    expect((await dash.tiles(WHOLE)).mailDetections).toBe(1);
    expect(await dash.counts(WHOLE, 'click:action')).toEqual([{ value: 'Allowed', n: 1 }]);
    expect((await dash.progress()).offset).toBe(2);
  });

  it('answers series, counts and top-N equal to counting the rows one by one, for ranges of any length', async () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const rows: DashboardRow[] = [];
    for (let i = 0; i < 3000; i++) {
      rows.push(
        row({
          t: T0 + rand(9 * DAY),
          tenantId: rand(3) === 0 ? OTHER : TENANT,
          verdict: ['phish', 'malware', 'spam'][rand(3)] ?? 'phish',
          // Skewed: a few frequent values and a long tail of rare ones.
          senderIp: rand(4) === 0 ? `198.51.100.${rand(5)}` : `203.0.113.${rand(250)}`,
          recipient: `user${rand(40)}@contoso.example`,
        }),
      );
    }
    await dash.apply(rows, offset);
    for (let k = 0; k < 12; k++) {
      const from = T0 + rand(8) * DAY + rand(24) * HOUR;
      const to = from + (1 + rand(6 * 24)) * HOUR;
      const tenant = rand(2) === 0 ? null : TENANT;
      const inScope = rows.filter(
        (r) => r.t >= from && r.t < to && (tenant === null || r.tenantId === tenant),
      );
      const series = await dash.series({ from, to, tenant }, 'verdict');
      const seriesTotal = series.lines.reduce((n, l) => n + l.counts.reduce((a, b) => a + b, 0), 0);
      expect(seriesTotal).toBe(inScope.length);
      const verdicts = await dash.counts({ from, to, tenant }, 'mail:verdict');
      for (const v of verdicts) expect(v.n).toBe(inScope.filter((r) => r.verdict === v.value).length);
      // Top lists count the whole UTC days the range touches.
      const d0 = Math.floor(from / DAY) * DAY;
      const d1 = Math.ceil(to / DAY) * DAY;
      const days = rows.filter((r) => r.t >= d0 && r.t < d1 && (tenant === null || r.tenantId === tenant));
      const expected = new Map<string, number>();
      for (const r of days) expected.set(r.senderIp ?? '', (expected.get(r.senderIp ?? '') ?? 0) + 1);
      const ranked = [...expected]
        .map(([value, n]) => ({ value, n }))
        .sort((a, b) => b.n - a.n || (a.value < b.value ? -1 : 1))
        .slice(0, 10);
      const top = await dash.top({ from, to, tenant }, 'mail:senderIp', 10);
      expect(top.map(({ value, n }) => ({ value, n }))).toEqual(ranked);
    }
  });

  it('filters the email table with any of / none of and free text, sorts it, pages it, and exports every row', async () => {
    const rows = [
      row({
        t: T0 + 1,
        verdict: 'phish',
        subject: 'Invoice 1',
        latestLocation: 'Inbox',
        sender: 'b@x.example',
      }),
      row({
        t: T0 + 2,
        verdict: 'malware',
        subject: 'Payroll',
        latestLocation: 'Quarantine',
        sender: 'a@x.example',
      }),
      row({
        t: T0 + 3,
        verdict: 'phish',
        subject: 'Invoice 2',
        latestLocation: 'Quarantine',
        sender: 'c@x.example',
      }),
      row({
        t: T0 + 4,
        verdict: 'spam',
        subject: 'Deals',
        latestLocation: 'JunkFolder',
        sender: 'd@x.example',
      }),
    ];
    await dash.apply(rows, offset);
    const subjects = async (q: Partial<TableQuery>) =>
      (await dash.table('emails', tableQuery({ sort: 'time', ...q }), T0)).rows.map((r) => r.subject);
    expect(await subjects({ any: { verdict: ['phish'] } })).toEqual(['Invoice 2', 'Invoice 1']);
    expect(await subjects({ any: { verdict: ['phish'] }, none: { latestLocation: ['Quarantine'] } })).toEqual(
      ['Invoice 1'],
    );
    expect(await subjects({ q: 'INVOICE' })).toEqual(['Invoice 2', 'Invoice 1']);
    expect(await subjects({ sort: 'sender', dir: 'asc' })).toEqual([
      'Payroll',
      'Invoice 1',
      'Invoice 2',
      'Deals',
    ]);
    const page2 = await dash.table('emails', tableQuery({ sort: 'time', size: 3, page: 2 }), T0);
    expect(page2.rows.map((r) => r.subject)).toEqual(['Invoice 1']);
    expect([page2.total, page2.totalIsLowerBound]).toEqual([4, false]);
    const exported: string[] = [];
    for await (const r of dash.exportTable('emails', tableQuery({ sort: 'time' }), T0))
      exported.push(r.subject ?? '');
    expect(exported).toEqual(['Deals', 'Invoice 2', 'Payroll', 'Invoice 1']);
    await expect(dash.table('emails', tableQuery({ any: { nonsense: ['x'] } }), T0)).rejects.toThrow(
      /not a filter of this table/,
    );
  });

  it('joins a click-through to its mail and says whether that mail was removed, with the user’s repeat count', async () => {
    const id = nmid(5);
    const mail = row({ networkMessageId: id, subject: 'Reset your password' });
    const click = (t: number) =>
      row({
        kind: 'url-click',
        t,
        action: 'clicked-through-warning',
        clickThrough: true,
        verdict: null,
        networkMessageId: id,
        url: 'https://evil.example/login',
        urlDomain: 'evil.example',
        clickAction: 'BlockPageOverride',
        app: 'Outlook',
        user: 'ann@contoso.example',
      });
    const rows = [mail, click(T0 + HOUR), click(T0 + 2 * HOUR)];
    await dash.apply(rows, offset);
    const page = await dash.table('click-throughs', tableQuery({ sort: 'time' }), T0);
    expect(page.rows.map((r) => [r.mail?.subject, r.mail?.removedAt, r.userClickThroughs])).toEqual([
      ['Reset your password', null, 2],
      ['Reset your password', null, 2],
    ]);
    // One mail is not a campaign; a second mail whose user clicked the same URL makes a cluster of two.
    expect((await dash.table('clusters-url', tableQuery({ sort: 'records' }), T0)).rows).toEqual([]);
    const second = row({
      networkMessageId: nmid(6),
      subject: 'Reset your password',
      recipient: 'bob@contoso.example',
    });
    const secondClick = row({ ...click(T0 + 3 * HOUR), offset: 0, networkMessageId: nmid(6) });
    secondClick.offset = ++offset;
    await dash.apply([second, secondClick], offset);
    const cluster = await dash.table('clusters-url', tableQuery({ sort: 'records' }), T0);
    expect(
      cluster.rows.map((r) => [r.key, r.records, r.mails, r.recipients, r.clicked, r.stillInMailbox]),
    ).toEqual([['https://evil.example/login', 3, 2, 2, 2, 2]]);
    expect(await dash.messageUrls(TENANT, id)).toEqual(['https://evil.example/login']);
  });

  it('groups mails sharing a sender and subject into a cluster with its recipients and inboxed count', async () => {
    const rows = [0, 1, 2].map((i) =>
      row({ networkMessageId: nmid(10 + i), recipient: `r${i}@contoso.example`, subject: 'Gift card' }),
    );
    rows.push(row({ networkMessageId: nmid(20), subject: 'Alone' }));
    await dash.apply(rows, offset);
    const page = await dash.table('clusters-sender-subject', tableQuery({ sort: 'records' }), T0);
    expect(page.rows.map((r) => [r.key, r.mails, r.recipients, r.stillInMailbox])).toEqual([
      ['bad@evil.example · Gift card', 3, 3, 3],
    ]);
  });

  it('marks a top value new when the 7 days before the range lack it, and marks nothing without earlier data', async () => {
    const rows = [
      row({ t: T0, recipient: 'old@contoso.example' }),
      row({ t: T0 + 3 * DAY, recipient: 'old@contoso.example' }),
      row({ t: T0 + 3 * DAY, recipient: 'fresh@contoso.example' }),
    ];
    await dash.apply(rows, offset);
    const later = await dash.top({ from: T0 + 3 * DAY, to: T0 + 4 * DAY, tenant: null }, 'mail:recipient', 5);
    expect(later.map((r) => [r.value, r.isNew])).toEqual([
      ['fresh@contoso.example', true],
      ['old@contoso.example', false],
    ]);
    const first = await dash.top({ from: T0, to: T0 + DAY, tenant: null }, 'mail:recipient', 5);
    expect(first.map((r) => [r.value, r.isNew])).toEqual([['old@contoso.example', false]]);
  });

  it('forgets counts and totals older than the retention cut-off', async () => {
    const old = row({ t: T0 - 5 * DAY });
    const recent = row({ t: T0 });
    await dash.apply([old, recent], offset);
    await dash.prune(T0 - DAY);
    expect((await dash.tiles(WHOLE)).mailDetections).toBe(1);
    expect((await dash.top(WHOLE, 'mail:recipient', 5)).map((r) => r.n)).toEqual([1]);
  });

  it('deletes a record’s report row when retention deletes the record', async () => {
    const blob = makeBlob('2026-01-10T10:00:00.000Z');
    await store.addBlobs([blob]);
    await store.commitBlob(blob, [makeRecord({}, { creationTime: '2026-01-10T10:00:00.000Z' })]);
    const [stored] = await store.readFrom(0, 1);
    if (!stored) throw new Error('no record stored');
    const r = row({
      offset: stored.offset,
      t: Date.parse('2026-01-10T10:00:00Z'),
      tenantId: stored.tenantId,
    });
    await dash.apply([r], stored.offset);
    const q = tableQuery({
      from: Date.parse('2026-01-01T00:00:00Z'),
      to: Date.parse('2026-02-01T00:00:00Z'),
    });
    expect((await dash.table('emails', { ...q, sort: 'time' }, T0)).rows).toHaveLength(1);
    await store.enforceRetention('2030-01-01T00:00:00.000Z', 7);
    expect((await dash.table('emails', { ...q, sort: 'time' }, T0)).rows).toHaveLength(0);
  });
});
