/**
 * `--replay`, `--ground-truth` and `--write-config`: an export published as
 * blobs, a faithful record of what was published, and a ready collector
 * config with the secret kept by reference.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { api, emulator, eventually, listAll, startSubscription, token, type ContentItem } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atp-emu-replay-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const TENANT = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';

function record(i: number, recordType: number): Record<string, unknown> {
  return {
    CreationTime: '2026-01-01T10:00:00',
    Id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    Operation: 'TIMailData',
    OrganizationId: TENANT,
    RecordType: recordType,
    UserKey: 'ThreatIntel',
    UserType: 4,
    Version: 1,
    Workload: 'ThreatIntelligence',
    UserId: 'ThreatIntel',
  };
}

function readLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('replay', () => {
  it('publishes an NDJSON export as blobs by content type, reports and skips bad lines', async () => {
    const file = join(dir, 'export.ndjson');
    const lines = [
      JSON.stringify(record(1, 28)),
      '{not json',
      JSON.stringify(record(2, 41)),
      '[1,2]',
      JSON.stringify({ Id: 'no-type' }),
      '',
      JSON.stringify(record(3, 1)),
      JSON.stringify(record(4, 28)),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const emu = await emulator({ tenants: [TENANT], replay: file, recordsPerBlob: 2 });
    // Audit.General: 28, 41, 28 in blobs of two; Audit.Exchange: the record of type 1.
    expect(emu.replay).toEqual({ records: 4, blobs: 3, badLines: 3 });
    const bearer = await token(emu);
    await startSubscription(emu, 'Audit.General', undefined, bearer);
    await startSubscription(emu, 'Audit.Exchange', undefined, bearer);
    const general = await listAll(emu, 'subscriptions/content?contentType=Audit.General', bearer);
    const blobs = await Promise.all(
      general.items.map(
        async (i) => (await api(emu, i.contentUri, { token: bearer })).json() as Record<string, unknown>[],
      ),
    );
    expect(blobs.flat().map((r) => r.Id)).toEqual([record(1, 28).Id, record(2, 41).Id, record(4, 28).Id]);
    const exchange = await listAll(emu, 'subscriptions/content?contentType=Audit.Exchange', bearer);
    const [exchangeBlob] = exchange.items as [ContentItem];
    expect(((await api(emu, exchangeBlob.contentUri, { token: bearer })).json() as unknown[]).length).toBe(1);
  });

  it('puts a whole export in one blob per content type with records-per-blob 0, serving the original bytes', async () => {
    const file = join(dir, 'big.ndjson');
    const n = 3000;
    writeFileSync(
      file,
      Array.from({ length: n }, (_, i) =>
        JSON.stringify({ ...record(i, 28), Padding: 'x'.repeat(200) }),
      ).join('\n'),
    );
    const emu = await emulator({ tenants: [TENANT], replay: file, recordsPerBlob: 0 });
    expect(emu.replay).toEqual({ records: n, blobs: 1, badLines: 0 });
    const bearer = await token(emu);
    await startSubscription(emu, 'Audit.General', undefined, bearer);
    const [item] = (await listAll(emu, 'subscriptions/content?contentType=Audit.General', bearer)).items;
    const res = await api(emu, item!.contentUri, { token: bearer });
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(res.text));
    const records = res.json() as Record<string, unknown>[];
    expect(records).toHaveLength(n);
    expect(records[n - 1]).toEqual({ ...record(n - 1, 28), Padding: 'x'.repeat(200) });
  });
});

describe('ground truth', () => {
  it('appends one line per published record with Id, RecordType, contentType, contentId, contentCreated, tenantId', async () => {
    const gt = join(dir, 'truth.ndjson');
    const emu = await emulator({ groundTruth: gt });
    const id = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 4 });
    const bearer = await token(emu);
    await startSubscription(emu, 'Audit.General', undefined, bearer);
    const blob = (await api(emu, `audit/${id}`, { token: bearer })).json() as Record<string, unknown>[];
    const [item] = (
      await api(emu, 'subscriptions/content?contentType=Audit.General', { token: bearer })
    ).json() as ContentItem[];
    const lines = await eventually(() => {
      const l = readLines(gt);
      return l.length >= 4 ? l : undefined;
    });
    expect(lines).toEqual(
      blob.map((r) => ({
        kind: 'record',
        Id: r.Id,
        RecordType: r.RecordType,
        contentType: 'Audit.General',
        contentId: id,
        contentCreated: item!.contentCreated,
        tenantId: emu.tenants[0],
      })),
    );
  });

  it('marks records of blobs that expire on purpose with expiresBeforeFetch', async () => {
    const gt = join(dir, 'truth.ndjson');
    const emu = await emulator({ groundTruth: gt, expireRate: 1 });
    emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 2 });
    const lines = await eventually(() => {
      const l = readLines(gt);
      return l.length >= 2 ? l : undefined;
    });
    expect(lines.every((l) => l.expiresBeforeFetch === true)).toBe(true);
  });

  it('records the backlog too, flagging blobs about to expire', async () => {
    const gt = join(dir, 'truth.ndjson');
    // Margin of a day: everything created in the oldest day of the week is flagged.
    const emu = await emulator({
      groundTruth: gt,
      historyMs: 7 * 86_400_000,
      historyRecords: 500,
      recordsPerBlob: 10,
      expiryMarginMs: 86_400_000,
    });
    await emu.close();
    const lines = readLines(gt);
    expect(lines.length).toBeGreaterThanOrEqual(490);
    const age = (l: Record<string, unknown>): number => Date.now() - Date.parse(String(l.contentCreated));
    const flagged = lines.filter((l) => l.expiresBeforeFetch);
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.every((l) => age(l) > 6 * 86_400_000 - 60_000)).toBe(true);
    expect(lines.filter((l) => !l.expiresBeforeFetch).every((l) => age(l) < 6 * 86_400_000 + 60_000)).toBe(
      true,
    );
  });
});

describe('write-config', () => {
  it('writes the agreed collector YAML with the secret in a 0600 file referenced by path', async () => {
    const file = join(dir, 'conf', 'emulator.yaml');
    const emu = await emulator({
      writeConfig: file,
      tenants: [TENANT, '1b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d4e'],
    });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(emu.clientSecret);
    const config = parse(text) as Record<string, unknown>;
    expect(config).toMatchObject({ data_dir: './data', retention_days: 30, listen: '127.0.0.1:9464' });
    const tenants = config.tenants as Record<string, unknown>[];
    expect(tenants).toHaveLength(2);
    expect(tenants[0]).toEqual({
      name: 'emulated-1',
      tenant_id: TENANT,
      endpoints: { login: emu.url, api: emu.url, resource: 'https://manage.office.com' },
      client_id: emu.clientId,
      client_secret: { file: './emulator.secret' },
      content_types: [
        'Audit.AzureActiveDirectory',
        'Audit.Exchange',
        'Audit.SharePoint',
        'Audit.General',
        'DLP.All',
      ],
      publisher_id: emu.publisherId,
    });
    const secretFile = join(dir, 'conf', 'emulator.secret');
    expect(readFileSync(secretFile, 'utf8').trim()).toBe(emu.clientSecret);
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
  });
});

describe('ground truth of losses', () => {
  it('reports a blob that expired before anyone fetched it', async () => {
    const gt = join(dir, 'truth.ndjson');
    // One emulated hour per wall second; the blob has an hour left.
    const emu = await emulator({ groundTruth: gt, speed: 3600, publishIntervalMs: 100 });
    const id = emu.publishRecords({
      tenant: emu.tenants[0]!,
      contentType: 'Audit.General',
      count: 2,
      createdAt: new Date(emu.now() - 7 * 86_400_000 + 3_600_000),
    });
    const line = await eventually(() => readLines(gt).find((l) => l.kind === 'blob-expired-unfetched'), 8000);
    expect(line).toMatchObject({ contentId: id, records: 2, tenantId: emu.tenants[0] });
  });

  it('reports blobs lost when a subscription is stopped and started again', async () => {
    const gt = join(dir, 'truth.ndjson');
    const emu = await emulator({ groundTruth: gt });
    const bearer = await token(emu);
    await startSubscription(emu, 'Audit.General', undefined, bearer);
    const id = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 1 });
    await api(emu, 'subscriptions/stop?contentType=Audit.General', { method: 'POST', token: bearer });
    await new Promise((r) => setTimeout(r, 5));
    await startSubscription(emu, 'Audit.General', undefined, bearer);
    const line = await eventually(() => readLines(gt).find((l) => l.kind === 'blob-withdrawn'));
    expect(line.contentId).toBe(id);
    // Content back-dated into the lost gap is reported too, as soon as it is published.
    const backdated = emu.publishRecords({
      tenant: emu.tenants[0]!,
      contentType: 'Audit.General',
      count: 1,
      createdAt: new Date(emu.now() - 60_000),
    });
    await eventually(() =>
      readLines(gt).find((l) => l.kind === 'blob-withdrawn' && l.contentId === backdated),
    );
    expect((await api(emu, `audit/${backdated}`, { token: bearer })).code()).toBe('AF20050');
  });
});
