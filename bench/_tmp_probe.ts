import { openStore, openDashboardStore } from '../src/store/index.js';
const dataDir = '/tmp/dash1m/dashboard';
const store = await openStore({ dataDir });
const d = openDashboardStore(dataDir) as any;
const p = await d.progress();
const to = Math.ceil((p.newestT + 1) / 3600000) * 3600000,
  from = to - 30 * 86400000;
const r = { from, to, tenant: null };
const q = { ...r, q: null, page: 1, size: 50, sort: '', dir: 'desc', any: {}, none: {} };
async function time(name: string, f: () => Promise<unknown>) {
  await f();
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) await f();
  console.log(name, ((performance.now() - t0) / 3).toFixed(1));
}
const only = process.argv[2];
const tests: Record<string, () => Promise<unknown>> = {
  tiles: () => d.tiles(r),
  series: () => d.series(r, 'verdict'),
  outcome: () => d.outcome(r),
  topRecipient: () => d.top(r, 'mail:recipient', 10),
  topIp: () => d.top(r, 'mail:senderIp', 10),
  topDomain: () => d.top(r, 'mail:senderDomain', 10),
  topFamily: () => d.top(r, 'mail:family', 10),
  topClickDomain: () => d.top(r, 'click:domain', 10),
  overrides: () => d.counts(r, 'mail:override'),
  status: () => store.status(),
  lastOffset: () => store.lastOffset(),
  inboxed: () => d.table('inboxed', { ...q, sort: 'age' }, Date.now()),
  ct: () => d.table('click-throughs', { ...q, sort: 'time' }, Date.now()),
  facets: () => d.emailFacets(r),
  clicks: () => d.clicks(r),
  invs: () => d.investigations(r),
  invrows: () => d.table('investigations', { ...q, sort: 'pending' }, Date.now()),
  cl: () => d.table('clusters-sha256', { ...q, sort: 'records' }, Date.now()),
  fleet: () => d.fleet(r, Date.now()),
  emailsSearch: () => d.table('emails', { ...q, sort: 'time', q: 'invoice' }, Date.now()),
  emailsSort: () => d.table('emails', { ...q, sort: 'sender', dir: 'asc' }, Date.now()),
  emailsFilt: () =>
    d.table(
      'emails',
      {
        ...q,
        sort: 'time',
        any: { verdict: ['phish', 'hcphish'] },
        none: { latestLocation: ['Quarantine'] },
      },
      Date.now(),
    ),
};
for (const [k, f] of Object.entries(tests)) if (!only || only.split(',').includes(k)) await time(k, f);
