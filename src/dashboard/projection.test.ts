/** The report row of each Defender record fixture, and the projector over a real store. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRecordFixture } from '../../test/fixtures/records/index.js';
import { extractIndex } from '../schema/index.js';
import { openDashboardStore, openStore, type StoredRecord } from '../store/index.js';
import { makeBlob } from '../store/testing.js';
import { Projector, projectRecord, siteOf, verdictClass } from './projection.js';

function stored(name: string, offset = 1): StoredRecord {
  const raw = loadRecordFixture(name).raw;
  const value = JSON.parse(raw) as Record<string, unknown>;
  return {
    offset,
    tenantId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    contentType: 'Audit.General',
    contentId: 'c1',
    id: String(value.Id),
    raw,
    index: extractIndex(value),
    storedAt: '2026-12-01T00:00:00.000Z',
  };
}

describe('projectRecord', () => {
  it('reads a delivered phish: verdict class, recipient, sender domain, lower-case NetworkMessageId, Inbox', () => {
    const row = projectRecord(stored('mail-28-phish-delivered-int-enums'));
    expect(row).toMatchObject({
      kind: 'email',
      verdict: 'phish',
      recipient: 'alex.wilber@contoso.example',
      senderDomain: 'contoso-helpdesk.example',
      networkMessageId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      originalLocation: 'Inbox',
      originalClass: 'delivered',
      detectionType: 'Inline',
    });
  });

  it('reads a ZAP record as a removal after delivery of the same (case-folded) message', () => {
    const row = projectRecord(stored('mail-28-zap-numeric-strings'));
    expect(row).toMatchObject({
      action: 'remediated',
      networkMessageId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      latestClass: 'quarantined',
    });
  });

  it('marks a click through a Safe Links warning, with its URL domain and user', () => {
    const row = projectRecord(stored('click-41-clicked-through'));
    expect(row).toMatchObject({
      kind: 'url-click',
      clickThrough: true,
      urlDomain: 'login-micros0ft.example.net',
      user: 'alex.wilber@contoso.example',
    });
  });

  it('reads a SharePoint file detection with its site, family and hash', () => {
    const row = projectRecord(stored('file-47-sharepoint-base64'));
    expect(row?.kind).toBe('file');
    expect(row?.workload).toBe('SharePoint');
    expect(row?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.site).toBe('contoso.sharepoint.example/sites/Finance');
    expect(row?.family).not.toBeNull();
  });

  it('counts the pending actions of an investigation waiting for approval', () => {
    const row = projectRecord(stored('air-64-pending-objects'));
    expect(row?.investigation?.pendingActions).toBeGreaterThan(0);
    expect(row?.investigation?.pendingSince).not.toBeNull();
  });

  it('lists the mails a completed remediation action removed', () => {
    const row = projectRecord(stored('air-64-remediated-strings'));
    expect(row?.investigation?.remediated.length).toBeGreaterThan(0);
    for (const r of row?.investigation?.remediated ?? [])
      expect(r.networkMessageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('leaves out records that are not Defender records, and text that is not JSON', () => {
    expect(projectRecord(stored('audit-15-sts-logon'))).toBeNull();
    expect(projectRecord({ ...stored('audit-15-sts-logon'), raw: '{not json' })).toBeNull();
  });

  it('classes verdicts and sites as the reports group them', () => {
    expect(['Malware', 'HighConfPhish', 'Phish', 'Spam', 'Bulk', 'Spoof', null].map(verdictClass)).toEqual([
      'malware',
      'hcphish',
      'phish',
      'spam',
      'bulk',
      'other',
      null,
    ]);
    expect(siteOf('https://Contoso.sharepoint.com/sites/Finance/Shared Documents/a.xlsx')).toBe(
      'contoso.sharepoint.com/sites/Finance',
    );
    expect(siteOf('not a url')).toBeNull();
  });
});

describe('Projector', () => {
  it('normalizes in a worker thread to the same report rows as inline', async () => {
    const dirs = await Promise.all([0, 1].map(() => mkdtemp(path.join(tmpdir(), 'atp-proj-w-'))));
    try {
      const tiles = [];
      for (const [i, dir] of dirs.entries()) {
        const store = await openStore({ dataDir: dir });
        const blob = makeBlob();
        await store.addBlobs([blob]);
        const names = [
          'mail-28-phish-delivered-int-enums',
          'click-41-clicked-through',
          'air-64-pending-objects',
        ];
        await store.commitBlob(
          blob,
          names.map((n) => {
            const s = stored(n);
            return { id: s.id, raw: s.raw, index: s.index };
          }),
        );
        const dash = openDashboardStore(dir);
        const errors: unknown[] = [];
        const projector = new Projector({
          store,
          dashboard: dash,
          workers: i,
          onError: (e) => errors.push(e),
        });
        expect(await projector.catchUp()).toBe(3);
        await projector.stop();
        expect(errors).toEqual([]);
        const range = { from: Date.parse('2026-11-01'), to: Date.parse('2026-12-01'), tenant: null };
        tiles.push(await dash.tiles(range));
        await dash.close();
        await store.close();
      }
      expect(tiles[1]).toEqual(tiles[0]);
      expect(tiles[0]?.pendingApprovals).toBe(1);
    } finally {
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    }
  });

  it('projects every stored record once and resumes from its offset after a restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'atp-proj-'));
    try {
      const store = await openStore({ dataDir: dir });
      const blob = makeBlob();
      await store.addBlobs([blob]);
      const names = ['mail-28-phish-delivered-int-enums', 'click-41-clicked-through', 'audit-15-sts-logon'];
      await store.commitBlob(
        blob,
        names.map((n) => {
          const s = stored(n);
          return { id: s.id, raw: s.raw, index: s.index };
        }),
      );
      let dash = openDashboardStore(dir);
      expect(await new Projector({ store, dashboard: dash }).catchUp()).toBe(3);
      await dash.close();
      dash = openDashboardStore(dir);
      expect(await new Projector({ store, dashboard: dash }).catchUp()).toBe(0);
      expect((await dash.progress()).offset).toBe(await store.lastOffset());
      const range = { from: Date.parse('2020-01-01'), to: Date.parse('2030-01-01'), tenant: null };
      const tiles = await dash.tiles(range);
      expect([tiles.mailDetections, tiles.clickThroughs]).toEqual([1, 1]);
      await dash.close();
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
