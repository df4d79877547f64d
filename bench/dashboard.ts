/**
 * The dashboard part of `npm run bench`: fills a store with BENCH_DASHBOARD_EVENTS Defender records
 * (default 1,000,000; records 28/41/47/64 in the emulator's mix of them, three tenants, 30 days), projects it
 * for the reports (timed), then serves the dashboard on loopback and asks every report and table several
 * times over HTTP. `dashboard_ms` is the median per endpoint, over the whole 30 days (every event in range:
 * the heaviest honest case), except `*_7d`, the API's default range.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { Projector } from '../src/dashboard/projection.js';
import { createDashboardHandler } from '../src/dashboard/server.js';
import { createRecordGenerator } from '../src/emulator/generator/index.js';
import { extractIndex } from '../src/schema/index.js';
import { openDashboardStore, openStore, type BlobRef, type RecordInput } from '../src/store/index.js';

const DAY = 86_400_000;
const TENANTS = [
  '0b5e1c7a-3d2f-4e6a-8b9c-1d2e3f4a5b6c',
  '1c6f2d8b-4e3a-4f7b-9cad-2e3f4a5b6c7d',
  '2d7a3e9c-5f4b-4a8c-adbe-3f4a5b6c7d8e',
];
/** Defender record types and their shares of the filled store. */
const MIX: [number, number][] = [
  [28, 0.6],
  [41, 0.25],
  [47, 0.05],
  [64, 0.1],
];
const REQUESTS = 7;

function note(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export interface DashboardBench {
  events: number;
  fill_records_per_s: number;
  projection_records_per_s: number;
  dashboard_ms: Record<string, number>;
}

/** Fills `dataDir` with `events` Defender records in blobs of 1,000, oldest first, ending now. */
async function fill(dataDir: string, events: number, now: number): Promise<number> {
  const store = await openStore({ dataDir });
  const gens = TENANTS.map((tenantId, i) =>
    createRecordGenerator({ seed: 7 + i, tenantId, duplicateRate: 0 }),
  );
  const start = now - 30 * DAY;
  const perBlob = 1_000;
  const blobs = Math.ceil(events / perBlob);
  const started = performance.now();
  let n = 0;
  for (let b = 0; b < blobs; b++) {
    const tenant = b % TENANTS.length;
    const gen = gens[tenant];
    const tenantId = TENANTS[tenant] as string;
    if (!gen) break;
    const records: RecordInput[] = [];
    const count = Math.min(perBlob, events - n);
    for (let i = 0; i < count; i++) {
      const at = new Date(start + ((n + i) / events) * 30 * DAY);
      const roll = ((n + i) * 0.618034) % 1;
      let acc = 0;
      let type = 28;
      for (const [t, share] of MIX) {
        acc += share;
        if (roll < acc) {
          type = t;
          break;
        }
      }
      const rec = gen.recordOfType(type, at);
      records.push({ id: String(rec.Id), raw: JSON.stringify(rec), index: extractIndex(rec) });
    }
    n += count;
    const at = new Date(start + (n / events) * 30 * DAY).toISOString();
    const blob: BlobRef = {
      tenantId,
      contentType: 'Audit.General',
      contentId: `bench-${b}`,
      contentUri: `https://manage.office.com/api/v1.0/${tenantId}/activity/feed/audit/bench-${b}`,
      contentCreated: at,
      contentExpiration: new Date(Date.parse(at) + 7 * DAY).toISOString(),
    };
    await store.addBlobs([blob]);
    await store.commitBlob(blob, records);
    if (b % 100 === 0) note(`dashboard store: ${n} of ${events} records…`);
  }
  await store.close();
  return n / ((performance.now() - started) / 1000);
}

export async function dashboardBench(dir: string, events: number): Promise<DashboardBench> {
  const dataDir = path.join(dir, 'dashboard');
  // BENCH_DASHBOARD_REUSE=1 with a dir that holds a filled store measures it again (its records end when it
  // was filled, so the ranges below end then too).
  let fillRate = 0;
  let now = Date.now();
  const reuse = process.env.BENCH_DASHBOARD_REUSE === '1' && existsSync(path.join(dataDir, 'atp-siem.db'));
  if (reuse) {
    const probe = await openStore({ dataDir });
    const last = await probe.readFrom((await probe.lastOffset()) - 1, 1);
    await probe.close();
    now = Date.parse(last[0]?.index.creationTime ?? new Date().toISOString()) + 1000;
  } else {
    note(`filling a store with ${events} Defender records (30 days, ${TENANTS.length} tenants)…`);
    fillRate = await fill(dataDir, events, now);
  }
  if (process.env.BENCH_DASHBOARD_FILL_ONLY)
    return {
      events,
      fill_records_per_s: Math.round(fillRate),
      projection_records_per_s: 0,
      dashboard_ms: {},
    };
  const store = await openStore({ dataDir });
  const dashboard = openDashboardStore(dataDir);
  const projector = new Projector({ store, dashboard, workers: 1 });
  const started = performance.now();
  const projected = await projector.catchUp();
  const projectionRate = projected / ((performance.now() - started) / 1000);
  note(`projected ${projected} records for the reports at ${Math.round(projectionRate)} records/s`);

  const handler = createDashboardHandler({
    store,
    dashboard,
    tenants: TENANTS.map((id) => ({ id, name: null })),
    version: 'bench',
  });
  const server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (p: string): Promise<{ ms: number; body: unknown }> => {
    const t0 = performance.now();
    const res = await request(`${base}${p}`);
    const text = await res.body.text();
    const ms = performance.now() - t0;
    if (res.statusCode !== 200) throw new Error(`${p}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
    return { ms, body: p.includes('format=csv') ? null : (JSON.parse(text) as unknown) };
  };
  const range = `from=${new Date(now - 30 * DAY).toISOString()}&to=${new Date(now).toISOString()}`;
  const t0 = TENANTS[0] as string;
  // Targets taken from the data, so that the pages measured are real ones.
  const emails = (await get(`/api/emails?${range}&size=1`)).body as {
    rows: { offset: number; recipient: string; networkMessageId: string; tenantId: string }[];
  };
  const sample = emails.rows[0];
  if (!sample) throw new Error('the filled store has no mail');
  const endpoints: Record<string, string> = {
    meta: `/api/meta?${range}`,
    overview: `/api/overview?${range}`,
    overview_pivot_technology: `/api/overview?${range}&pivot=technology`,
    overview_7d: `/api/overview`,
    overview_one_tenant: `/api/overview?${range}&tenant=${t0}`,
    worklist_inboxed: `/api/worklists/inboxed?${range}`,
    worklist_click_throughs: `/api/worklists/click-throughs?${range}`,
    worklist_approvals: `/api/worklists/approvals?${range}`,
    email: `/api/emails?${range}`,
    email_7d: `/api/emails`,
    email_filtered: `/api/emails?${range}&any.verdict=phish,hcphish&none.latestLocation=Quarantine`,
    email_search: `/api/emails?${range}&q=invoice`,
    email_sort_sender: `/api/emails?${range}&sort=sender&dir=asc`,
    email_page_100: `/api/emails?${range}&page=100`,
    email_page: `/api/message?tenant=${sample.tenantId}&nmid=${sample.networkMessageId}`,
    user_page: `/api/user?user=${encodeURIComponent(sample.recipient)}`,
    clicks: `/api/clicks?${range}`,
    click_rows: `/api/clicks/rows?${range}`,
    files: `/api/files?${range}`,
    file_rows: `/api/files/rows?${range}`,
    investigations: `/api/investigations?${range}`,
    investigation_rows: `/api/investigations/rows?${range}`,
    clusters_url: `/api/clusters?${range}&by=url`,
    clusters_sha256: `/api/clusters?${range}&by=sha256`,
    clusters_sender_subject: `/api/clusters?${range}&by=sender-subject`,
    detail: `/api/event/${sample.offset}`,
    fleet: `/api/fleet?${range}`,
  };
  const ms: Record<string, number> = {};
  for (const [name, p] of Object.entries(endpoints)) {
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) times.push((await get(p)).ms);
    ms[name] = Math.round(median(times) * 10) / 10;
    note(`dashboard ${name}: ${ms[name]} ms (median of ${REQUESTS})`);
  }
  server.close();
  await dashboard.close();
  await store.close();
  return {
    events: projected,
    fill_records_per_s: Math.round(fillRate),
    projection_records_per_s: Math.round(projectionRate),
    dashboard_ms: ms,
  };
}
