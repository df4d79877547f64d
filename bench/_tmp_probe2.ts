import Database from 'better-sqlite3';
import { openDashboardStore } from '../src/store/index.js';
const db = new Database('/tmp/dash1m/dashboard/atp-siem.db');
const d = openDashboardStore('/tmp/dash1m/dashboard') as any;
const p = await d.progress();
const to = Math.ceil((p.newestT + 1) / 3600000) * 3600000,
  from = to - 30 * 86400000;
const r = { from, to, tenant: null };
const q = { ...r, q: null, page: 1, size: 50, sort: '', dir: 'desc', any: {}, none: {} };
const time = async (name: string, f: () => unknown) => {
  await f();
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) await f();
  console.log(name, ((performance.now() - t0) / 3).toFixed(1));
};
await time('sort-seq-only', () =>
  db
    .prepare(
      "SELECT seq FROM dash_events e WHERE kind='email' AND t>=? AND t<? ORDER BY sender ASC, seq LIMIT 50",
    )
    .all(from, to),
);
await time('topRanked ss', () => d.topRanked(r, 'cluster:sender-subject', 51));
await time('topRanked url', () => d.topRanked(r, 'cluster:url', 51));
await time('topRanked clickurl', () => d.topRanked(r, 'click:url', 20));
await time('clusters ss', () => d.table('clusters-sender-subject', { ...q, sort: 'records' }, Date.now()));
await time('clicks', () => d.clicks(r));
await time('invs', () => d.investigations(r));
await time('bounds', () => d.bounds());
const row = db
  .prepare("SELECT tenant_id, nmid FROM dash_events WHERE kind='email' AND nmid IS NOT NULL LIMIT 1")
  .get() as any;
await time('msgTimeline', () => d.messageTimeline(row.tenant_id, row.nmid));
await time('msgUrls', () => d.messageUrls(row.tenant_id, row.nmid));
await time('msgOffsets', () => d.messageOffsets(row.tenant_id, row.nmid));
console.log(
  db
    .prepare('SELECT COUNT(*) n FROM dash_keys WHERE tenant_id=? AND key=?')
    .get(row.tenant_id, 'nmid:' + row.nmid),
);
