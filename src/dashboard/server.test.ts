/** The dashboard's HTTP side over loopback, on a real store filled with the record fixtures. */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRecordFixture } from '../../test/fixtures/records/index.js';
import { Secret } from '../config/secret.js';
import { extractIndex } from '../schema/index.js';
import { openDashboardStore, openStore, type DashboardStore, type Store } from '../store/index.js';
import { makeBlob } from '../store/testing.js';
import { authorized, listenAuthProblem } from './auth.js';
import { Projector } from './projection.js';
import { createDashboardHandler, csvCell } from './server.js';

const HOSTILE_SUBJECT = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script>';
const RANGE = 'from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z';

describe('dashboard HTTP', () => {
  let dir = '';
  let store: Store;
  let dash: DashboardStore;
  let server: Server;
  let base = '';
  let mailOffset = 0;
  let mailRaw = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'atp-dash-http-'));
    store = await openStore({ dataDir: dir });
    const blob = makeBlob();
    await store.addBlobs([blob]);
    const mail = JSON.parse(loadRecordFixture('mail-28-phish-delivered-int-enums').raw) as Record<
      string,
      unknown
    >;
    mail.Subject = HOSTILE_SUBJECT;
    mailRaw = JSON.stringify(mail);
    const others = ['click-41-clicked-through', 'file-47-sharepoint-base64', 'air-64-pending-objects'].map(
      (n) => loadRecordFixture(n).raw,
    );
    await store.commitBlob(
      blob,
      [mailRaw, ...others].map((raw) => {
        const value = JSON.parse(raw) as Record<string, unknown>;
        return { id: String(value.Id), raw, index: extractIndex(value) };
      }),
    );
    mailOffset = (await store.readFrom(0, 1))[0]?.offset ?? 0;
    dash = openDashboardStore(dir);
    await new Projector({ store, dashboard: dash }).catchUp();
    const handler = createDashboardHandler({ store, dashboard: dash, tenants: [], version: 'test' });
    server = createServer((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await dash.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = async (p: string) => {
    const res = await request(`${base}${p}`);
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  it('serves the app with a strict Content-Security-Policy (no inline script or style) and no-sniff', async () => {
    for (const p of ['/', '/emails', '/event/1']) {
      const res = await get(p);
      expect(res.status).toBe(200);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.text).not.toMatch(/<script>(?!<\/script>)[^<]+<\/script>/);
    }
  });

  it('serves Chart.js from node_modules and refuses paths outside the app folder', async () => {
    const chart = await get('/assets/vendor/chart.umd.js');
    expect(chart.status).toBe(200);
    expect(chart.headers['content-type']).toMatch(/javascript/);
    for (const p of [
      '/assets/../server.ts',
      '/assets/%2e%2e/server.ts',
      '/assets/.hidden.js',
      '/assets/app.ts',
    ]) {
      expect((await get(p)).status, p).toBe(404);
    }
  });

  it.each([
    ['/api/emails?size=abc', /size/],
    ['/api/emails?size=100000', /size: 1 to 500/],
    ['/api/emails?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z', /from: must be before to/],
    ['/api/emails?from=yesterday', /from: write an ISO-8601 time/],
    ['/api/emails?any.nonsense=x', /any\.nonsense: not a filter of this table/],
    ['/api/emails?sort=nonsense', /sort: unknown column nonsense/],
    ['/api/overview?pivot=nonsense', /pivot: one of verdict/],
    ['/api/emails?tenant=%3Cscript%3E', /tenant: a tenant id/],
    ['/api/message?nmid=a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', /tenant: required/],
    ['/api/clusters?by=nonsense', /by: url, sha256 or sender-subject/],
  ])('answers %s with 400 and an error naming the parameter', async (p, message) => {
    const res = await get(p);
    expect(res.status).toBe(400);
    expect((JSON.parse(res.text) as { error: string }).error).toMatch(message);
  });

  it('exports the whole email table as CSV with formula cells neutralised', async () => {
    const json = JSON.parse((await get(`/api/emails?${RANGE}`)).text) as { total: number };
    const csv = await get(`/api/emails?${RANGE}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toMatch(
      /^attachment; filename="atp-siem-emails-[\d-]+\.csv"$/,
    );
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^offset,tenantId,time,recipient/);
    expect(lines.length - 1).toBe(json.total);
    expect(csv.text).toContain(`"'=HYPERLINK(""http://evil.example"",""x"") <script>alert(1)</script>"`);
  });

  it('returns the raw record exactly as stored, its normalized form and related events in the detail view', async () => {
    const res = await get(`/api/event/${mailOffset}`);
    const detail = JSON.parse(res.text) as { raw: string; normalized: { email: { subject: string } } };
    expect(detail.raw).toBe(mailRaw);
    expect(detail.normalized.email.subject).toBe(HOSTILE_SUBJECT);
    expect((await get('/api/event/999999')).status).toBe(404);
  });

  it('answers every report with its freshness: nothing behind once the projector caught up', async () => {
    for (const p of ['/api/overview', '/api/clicks', '/api/files', '/api/investigations', '/api/fleet']) {
      const body = JSON.parse((await get(`${p}?${RANGE}`)).text) as {
        meta: { behind: number; lastOffset: number };
      };
      expect(body.meta.behind, p).toBe(0);
      expect(body.meta.lastOffset, p).toBeGreaterThan(0);
    }
  });
});

describe('csvCell', () => {
  it('prefixes a quote to cells a spreadsheet would run as a formula and quotes separators', () => {
    expect(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', 'plain', 'a,b', 'say "hi"', null, 3].map(csvCell)).toEqual(
      [`"'=1+1"`, `"'+1"`, `"'-1"`, `"'@SUM(A1)"`, `"'\tx"`, 'plain', '"a,b"', '"say ""hi"""', '', '3'],
    );
  });
});

describe('listen credentials', () => {
  const req = (authorization?: string) => ({ headers: { authorization } }) as IncomingMessage;
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('refuses a non-loopback listener without credentials and names the fix', () => {
    expect(listenAuthProblem('127.0.0.1', undefined)).toBeNull();
    expect(listenAuthProblem('::1', undefined)).toBeNull();
    expect(listenAuthProblem('0.0.0.0', undefined)).toMatch(/set listen_auth\.token/i);
    expect(listenAuthProblem('10.0.0.5', { username: 'soc' })).toMatch(/not a loopback address/);
    expect(listenAuthProblem('0.0.0.0', { token: new Secret('t') })).toBeNull();
  });

  it('accepts the token as Bearer or as a basic-auth password, and the configured user and password', () => {
    const token = { token: new Secret('s3cret-token') };
    expect(authorized(req('Bearer s3cret-token'), token)).toBe(true);
    expect(authorized(req('Bearer wrong'), token)).toBe(false);
    expect(authorized(req(basic('anyone', 's3cret-token')), token)).toBe(true);
    expect(authorized(req(), token)).toBe(false);
    const user = { username: 'soc', password: new Secret('pw') };
    expect(authorized(req(basic('soc', 'pw')), user)).toBe(true);
    expect(authorized(req(basic('soc', 'nope')), user)).toBe(false);
    expect(authorized(req(basic('eve', 'pw')), user)).toBe(false);
    expect(authorized(req(), undefined)).toBe(true);
  });
});
