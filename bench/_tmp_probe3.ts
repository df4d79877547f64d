import Database from 'better-sqlite3';
const db = new Database('/tmp/dash1m/dashboard/atp-siem.db');
const t = (name: string, sql: string, ...p: unknown[]) => {
  const st = db.prepare(sql);
  st.all(...p);
  const t0 = performance.now();
  st.all(...p);
  console.log(name, (performance.now() - t0).toFixed(1));
};
const to = 9e15,
  from = 0;
t(
  'delays',
  `SELECT remediated_t - first_t AS d FROM dash_messages WHERE remediated_t >= ? AND remediated_t < ? AND first_t IS NOT NULL AND remediated_t >= first_t ORDER BY d`,
  from,
  to,
);
t(
  'inv status',
  `SELECT coalesce(status, '(none)') AS value, COUNT(*) AS n FROM dash_investigations WHERE t >= ? AND t < ? GROUP BY 1`,
  from,
  to,
);
t(
  'heat',
  `SELECT b, SUM(n) AS n FROM dash_hourly WHERE dim = 'click:action' AND b >= ? AND b < ? GROUP BY b`,
  0,
  9e12,
);
t(
  'clickact',
  `SELECT value, SUM(n) AS n FROM dash_hourly WHERE dim = 'click:action' AND b >= ? AND b < ? GROUP BY value`,
  0,
  9e12,
);
t(
  'invrows',
  `SELECT e.* FROM dash_investigations e WHERE e.t >= ? AND e.t < ? ORDER BY (e.pending > 0) DESC, e.t DESC, e.inv_id LIMIT 50`,
  from,
  to,
);
t('invcount', `SELECT count(*) FROM dash_investigations e WHERE e.t >= ? AND e.t < ?`, from, to);
t(
  'sortsender',
  `SELECT e.seq FROM dash_events e WHERE e.kind='email' AND e.t >= ? AND e.t < ? ORDER BY e.sender ASC NULLS LAST, e.seq DESC LIMIT 50`,
  from,
  to,
);
t(
  'sortsender2',
  `SELECT e.seq FROM dash_events e WHERE e.kind='email' AND e.t >= ? AND e.t < ? ORDER BY e.sender ASC, e.seq DESC LIMIT 50`,
  from,
  to,
);
const urls = (
  db
    .prepare("SELECT value FROM dash_totals WHERE dim='click:url' AND tenant_id='*' ORDER BY n DESC LIMIT 20")
    .all() as any[]
).map((r) => r.value);
t(
  'perurl',
  `SELECT url, coalesce(click_action, '(none)') AS action, COUNT(*) AS n FROM dash_events INDEXED BY dash_events_click_url WHERE kind = 'url-click' AND url IN (SELECT value FROM json_each(?)) AND t >= ? AND t < ? GROUP BY 1, 2`,
  JSON.stringify(urls),
  from,
  to,
);
t(
  'topdomain-isnew',
  `SELECT DISTINCT value FROM dash_daily WHERE dim = 'click:domain' AND b >= ? AND b < ? AND value IN (SELECT value FROM json_each(?))`,
  0,
  99999,
  JSON.stringify(urls),
);
t(
  'through',
  `SELECT value, SUM(n) FROM dash_hourly WHERE dim='click:through' AND b >= 0 AND b < 9e12 GROUP BY value`,
);
