/**
 * The dashboard's reports over SQLite (schema version 4, see migrations.ts). A connection of its own on the
 * store file (WAL: it reads while the collector writes), written only by the projector, read by the reports.
 *
 * Speed: charts and tiles read the pre-aggregated hourly counts (report ranges are whole hours: the server
 * rounds them, so these are exact), top-N panels and clusters the daily counts over the whole UTC days the
 * range touches, narrowed by the all-days totals (topRanked); tables read `dash_events` through the `(kind, t)`
 * index with LIMIT and count for at most COUNT_BUDGET_MS; the worklists read the per-message and
 * per-investigation state tables through partial indexes on their open items.
 */
import Database from 'better-sqlite3';
import type {
  ApprovalRow,
  ClickRow,
  ClickThroughRow,
  ClusterRow,
  Count,
  EmailFilterKey,
  EmailRow,
  FileRow,
  InboxedRow,
  InvestigationRow,
  Pivot,
  Series,
  TimelineEntry,
  TopCount,
  VerdictClass,
} from '../../dashboard/api-types.js';
import type {
  DashProgress,
  DashRange,
  DashboardRow,
  DashboardStore,
  HourlyDim,
  TableName,
  TableQuery,
  TableResult,
  TableRows,
  TopDim,
} from '../dashboard.js';
import { TOTAL_CAP } from '../dashboard.js';
import { DAY_MS } from './time.js';

const HOUR = 3_600_000;
const DAY = DAY_MS;
/** Investigation actions expire this long after they started waiting (spec: a week). */
const ACTION_EXPIRY_MS = 7 * DAY;
/** Top values shown per line chart; the rest are summed as `Other`. */
const SERIES_LINES = 8;
/** How long a table may spend counting its rows (ms) before it says "more than". */
const COUNT_BUDGET_MS = 60;
/** A cluster's mails, recipients and states are counted over at most its newest this many records. */
const CLUSTER_SAMPLE = 200;
/** Rows read per chunk when exporting a table. */
const EXPORT_CHUNK = 2_000;
/** Verdicts that make a mail still in a mailbox a worklist item. */
const THREAT_VERDICTS = ['malware', 'phish', 'hcphish'];

const PIVOT_DIM: Record<Pivot, HourlyDim> = {
  verdict: 'mail:verdict',
  technology: 'mail:technology',
  action: 'mail:action',
  location: 'mail:location',
  policy: 'mail:policy',
  direction: 'mail:direction',
};

/** Separates the URL from the click action in a `click:urlAction` value. */
const SEP = '\u001f';

/** The value a missing field counts as. */
const NONE = '(none)';

interface EventRowDb {
  seq: number;
  tenant_id: string;
  t: number;
  kind: string;
  action: string;
  verdict: string | null;
  verdict_raw: string | null;
  tech: string | null;
  delivery_action: string | null;
  orig_loc: string | null;
  latest_loc: string | null;
  detection_type: string | null;
  policy: string | null;
  direction: string | null;
  override: string | null;
  sender: string | null;
  sender_domain: string | null;
  sender_ip: string | null;
  recipient: string | null;
  subject: string | null;
  nmid: string | null;
  url: string | null;
  url_domain: string | null;
  click_action: string | null;
  app: string | null;
  file_name: string | null;
  site: string | null;
  path: string | null;
  family: string | null;
  sha256: string | null;
  user_key: string | null;
  inv_id: string | null;
  summary: string;
  extra: string | null;
}

interface Extra {
  tech?: string[];
  families?: string[];
  urls?: string[];
  shas?: string[];
  ss?: string[];
  att?: { name: string | null; sha256: string | null }[];
  lmb?: string | null;
  wl?: string | null;
}

interface MessageDb {
  tenant_id: string;
  nmid: string;
  first_t: number | null;
  last_t: number;
  first_seq: number | null;
  recipient: string | null;
  sender: string | null;
  subject: string | null;
  verdict: string | null;
  orig_loc: string | null;
  orig_class: string | null;
  latest_loc: string | null;
  latest_class: string | null;
  latest_t: number | null;
  removed_t: number | null;
  remediated_t: number | null;
  clicks: number;
  click_throughs: number;
  state: string;
  open: number;
}

interface InvestigationDb {
  tenant_id: string;
  inv_id: string;
  seq: number;
  t: number;
  name: string | null;
  type: string | null;
  status: string | null;
  start_t: number | null;
  pending: number;
  pending_since: number | null;
  actions: number;
  mails: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

function parseExtra(text: string | null): Extra {
  if (text === null) return {};
  try {
    return JSON.parse(text) as Extra;
  } catch {
    return {};
  }
}

/** LIKE pattern for a free-text search, with the wildcards in the text escaped. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Whether a mail is blocked, in a mailbox, removed, or elsewhere, from its state fields. */
function messageState(m: MessageDb): string {
  if (m.removed_t !== null || m.remediated_t !== null) return 'removed';
  if (m.orig_class === 'blocked' || m.orig_class === 'quarantined') {
    if (m.latest_loc === null || m.latest_loc === m.orig_loc) return 'blocked';
  }
  const latest = m.latest_t === null ? null : m.latest_class;
  if (latest === 'delivered') return 'inbox';
  if (latest === 'junked') return 'junk';
  if (latest === 'quarantined' || latest === 'deleted' || latest === 'blocked') {
    return m.orig_class === 'delivered' || m.orig_class === 'junked' ? 'removed' : 'blocked';
  }
  return 'other';
}

/** The tenant scope of the totals over all tenants. */
const ALL_TENANTS = '*';

/** A threat mail still in a mailbox: a worklist item. */
function isOpen(m: MessageDb): boolean {
  return (
    (m.state === 'inbox' || m.state === 'junk') && m.verdict !== null && THREAT_VERDICTS.includes(m.verdict)
  );
}

/** The `msg:state` count a message adds to (hour of its delivery): `state|original class|t` (t: a threat). */
function stateCount(m: MessageDb): { t: number; value: string } | null {
  if (m.first_t === null) return null;
  const threat = m.verdict !== null && THREAT_VERDICTS.includes(m.verdict);
  return { t: m.first_t, value: `${messageState(m)}|${m.orig_class ?? ''}|${threat ? 't' : ''}` };
}

/** Lower-case text a free-text search matches: the row's names, addresses, subject, URL and ids. */
function searchText(r: DashboardRow): string {
  return [
    r.subject,
    r.sender,
    r.recipient,
    r.url,
    r.fileName,
    r.user,
    r.senderIp,
    r.networkMessageId,
    r.sha256,
  ]
    .filter((x): x is string => x !== null)
    .join('\n')
    .toLowerCase();
}

interface TableSpec<Row> {
  /** FROM and JOIN clauses. */
  from: string;
  columns: string;
  /** Always-true predicates with their parameters (range, tenant). */
  where: (q: TableQuery, now: number) => { sql: string[]; params: unknown[] };
  /** Filter key → SQL expression of its value (NULL counts as `(none)`). */
  filters: Record<string, string>;
  /** Filter keys whose column holds a JSON array (matched through json_each). */
  jsonFilters?: Record<string, string>;
  /** Columns matched by free text. */
  search: string[];
  sorts: Record<string, string>;
  defaultSort: string;
  /** Extra ORDER BY after the chosen one (tie-break, stable pages). */
  tie: string;
  map: (row: Record<string, unknown>, now: number) => Row;
}

export interface SqliteDashboardOptions {
  file: string;
  busyTimeoutMs?: number;
}

export class SqliteDashboardStore implements DashboardStore {
  private readonly db: Database.Database;
  private readonly file: string;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(options: SqliteDashboardOptions) {
    this.file = options.file;
    this.db = new Database(options.file, { fileMustExist: true });
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    this.db.pragma('cache_size = -16000');
    // The reports can always be rebuilt from the records: no fsync per commit (WAL keeps them consistent).
    this.db.pragma('synchronous = NORMAL');
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version < 4) {
      this.db.close();
      throw new Error(
        `store ${options.file} is at schema ${version}: open it with the store first (migrates to 4)`,
      );
    }
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  async progress(): Promise<DashProgress> {
    const r = this.stmt('SELECT offset, newest_t FROM dash_progress WHERE id = 1').get() as
      { offset: number; newest_t: number | null } | undefined;
    return { offset: r?.offset ?? 0, newestT: r?.newest_t ?? null };
  }

  async apply(rows: DashboardRow[], upto: number): Promise<void> {
    this.batchMessages.clear();
    this.batchPrevious.clear();
    this.db.transaction(() => {
      const current = (this.stmt('SELECT offset FROM dash_progress WHERE id = 1').get() as { offset: number })
        .offset;
      const fresh = rows.filter((r) => r.offset > current);
      const hourly = new Map<string, number>();
      const daily = new Map<string, number>();
      const add = (
        map: Map<string, number>,
        dim: string,
        t: number,
        tenant: string,
        value: string,
        delta = 1,
      ): void => {
        const b = Math.floor(t / (map === hourly ? HOUR : DAY));
        const k = `${dim}\u0000${b}\u0000${tenant}\u0000${value}`;
        map.set(k, (map.get(k) ?? 0) + delta);
      };
      const insertEvent = this.stmt(
        `INSERT OR IGNORE INTO dash_events (seq, tenant_id, t, kind, action, verdict, verdict_raw, tech,
          delivery_action, orig_loc, latest_loc, detection_type, policy, direction, override, sender, sender_domain,
          sender_ip, recipient, subject, nmid, url, url_domain, click_action, app, file_name, site, path, family,
          sha256, user_key, inv_id, search, summary, extra)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const insertKey = this.stmt('INSERT OR IGNORE INTO dash_keys (tenant_id, key, seq) VALUES (?, ?, ?)');
      const addTenant = this.stmt('INSERT OR IGNORE INTO dash_tenants (tenant_id) VALUES (?)');
      for (const tenant of new Set(fresh.map((r) => r.tenantId))) addTenant.run(tenant);
      let newest: number | null = null;
      for (const r of fresh) {
        newest = newest === null ? r.t : Math.max(newest, r.t);
        const families = r.family === null ? [] : [r.family];
        const shas = [...new Set(r.attachments.map((a) => a.sha256).filter((s): s is string => s !== null))];
        const ss =
          r.kind === 'email' && r.sender !== null && r.subject !== null ? [`${r.sender} · ${r.subject}`] : [];
        const extra: Extra = {
          tech: r.technologies,
          families,
          urls: r.urls,
          shas,
          ss,
          att: r.attachments,
          lmb: r.lastModifiedBy,
          wl: r.workload,
        };
        insertEvent.run(
          r.offset,
          r.tenantId,
          r.t,
          r.kind,
          r.action,
          r.verdict,
          r.verdictRaw,
          r.technologies.length > 0 ? r.technologies.join(', ') : null,
          r.deliveryAction,
          r.originalLocation,
          r.latestLocation,
          r.detectionType,
          r.policy,
          r.direction,
          r.override,
          r.sender,
          r.senderDomain,
          r.senderIp,
          r.recipient,
          r.subject,
          r.networkMessageId,
          r.url,
          r.urlDomain,
          r.clickAction,
          r.app,
          r.fileName,
          r.site,
          r.path,
          r.family,
          r.sha256,
          r.user === null ? null : r.user.toLowerCase(),
          r.investigation?.id ?? null,
          searchText(r),
          r.summary,
          JSON.stringify(extra),
        );
        const keys = new Set<string>();
        if (r.networkMessageId !== null) keys.add(`nmid:${r.networkMessageId}`);
        for (const id of r.investigation?.networkMessageIds ?? []) keys.add(`nmid:${id}`);
        // Mail records carry no URLs: a URL joins its mail through the clicks on it.
        if (r.kind === 'url-click' && r.url !== null && r.networkMessageId !== null) keys.add(`url:${r.url}`);
        if (r.kind === 'email') for (const s of ss) keys.add(`ss:${s}`);
        for (const s of shas) keys.add(`sha256:${s}`);
        if (r.kind === 'file' && r.sha256 !== null) keys.add(`sha256:${r.sha256}`);
        for (const k of keys) insertKey.run(r.tenantId, k, r.offset);

        const tn = r.tenantId;
        switch (r.kind) {
          case 'email': {
            add(hourly, 'mail:verdict', r.t, tn, r.verdict ?? 'other');
            for (const tech of r.technologies.length > 0 ? r.technologies : [NONE])
              add(hourly, 'mail:technology', r.t, tn, tech);
            add(hourly, 'mail:action', r.t, tn, r.deliveryAction ?? NONE);
            add(hourly, 'mail:location', r.t, tn, r.originalLocation ?? NONE);
            add(hourly, 'mail:latestLocation', r.t, tn, r.latestLocation ?? NONE);
            add(hourly, 'mail:detectionType', r.t, tn, r.detectionType ?? NONE);
            add(hourly, 'mail:policy', r.t, tn, r.policy ?? NONE);
            add(hourly, 'mail:direction', r.t, tn, r.direction ?? NONE);
            const delivered = r.originalClass === 'delivered' || r.originalClass === 'junked';
            if (r.override !== null && delivered) add(hourly, 'mail:override', r.t, tn, r.override);
            if (r.recipient !== null) add(daily, 'mail:recipient', r.t, tn, r.recipient);
            if (r.senderDomain !== null) add(daily, 'mail:senderDomain', r.t, tn, r.senderDomain);
            if (r.senderIp !== null) add(daily, 'mail:senderIp', r.t, tn, r.senderIp);
            for (const f of families) add(daily, 'mail:family', r.t, tn, f);
            for (const s of shas) add(daily, 'cluster:sha256', r.t, tn, s);
            for (const s of ss) add(daily, 'cluster:sender-subject', r.t, tn, s);
            break;
          }
          case 'url-click':
            add(hourly, 'click:action', r.t, tn, r.clickAction ?? NONE);
            add(hourly, 'click:app', r.t, tn, r.app ?? NONE);
            if (r.clickThrough) add(hourly, 'click:through', r.t, tn, 'through');
            if (r.urlDomain !== null) add(daily, 'click:domain', r.t, tn, r.urlDomain);
            if (r.url !== null) add(daily, 'click:url', r.t, tn, r.url);
            if (r.url !== null)
              add(daily, 'click:urlAction', r.t, tn, `${r.url}${SEP}${r.clickAction ?? NONE}`);
            if (r.url !== null && r.networkMessageId !== null) add(daily, 'cluster:url', r.t, tn, r.url);
            break;
          case 'file':
            add(hourly, 'file:workload', r.t, tn, r.workload ?? NONE);
            if (r.family !== null) add(daily, 'file:family', r.t, tn, r.family);
            if (r.site !== null) add(daily, 'file:site', r.t, tn, r.site);
            break;
          case 'investigation':
            add(hourly, 'inv:records', r.t, tn, r.investigation?.status ?? NONE);
            break;
        }
        this.applyMessage(r);
        if (r.investigation !== null) this.applyInvestigation(r);
      }
      for (const change of this.flushMessages()) {
        add(hourly, 'msg:state', change.t, change.tenant, change.value, change.delta);
      }
      for (const [map, table] of [
        [hourly, 'dash_hourly'],
        [daily, 'dash_daily'],
      ] as const) {
        const up = this.stmt(
          `INSERT INTO ${table} (dim, b, tenant_id, value, n) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (dim, b, tenant_id, value) DO UPDATE SET n = n + excluded.n`,
        );
        for (const [k, n] of map) {
          if (n === 0) continue;
          const [dim, b, tenant, value] = k.split('\u0000');
          up.run(dim, Number(b), tenant, value, n);
        }
      }
      // The all-days totals of the daily (top-N) dimensions, per tenant and over all tenants.
      const totals = new Map<string, number>();
      for (const [k, n] of daily) {
        const [dim, , tenant, value] = k.split('\u0000');
        for (const scope of [tenant, ALL_TENANTS]) {
          const tk = `${dim}\u0000${scope}\u0000${value}`;
          totals.set(tk, (totals.get(tk) ?? 0) + n);
        }
      }
      const upTotal = this.stmt(
        `INSERT INTO dash_totals (dim, tenant_id, value, n) VALUES (?, ?, ?, ?)
         ON CONFLICT (dim, tenant_id, value) DO UPDATE SET n = n + excluded.n`,
      );
      for (const [k, n] of totals) {
        const [dim, tenant, value] = k.split('\u0000');
        upTotal.run(dim, tenant, value, n);
      }
      this.stmt(
        'UPDATE dash_progress SET offset = max(offset, ?), newest_t = max(coalesce(newest_t, ?), ?) WHERE id = 1',
      ).run(upto, newest ?? 0, newest ?? 0);
      if (newest === null)
        this.stmt('UPDATE dash_progress SET newest_t = NULLIF(newest_t, 0) WHERE id = 1').run();
    })();
  }

  /** Messages read or changed by the batch being applied, written once at its end. */
  private readonly batchMessages = new Map<string, MessageDb>();
  /** Their `msg:state` count key as stored before the batch, to move the count when the state changes. */
  private readonly batchPrevious = new Map<string, { t: number; value: string } | null>();

  private message(tenant: string, nmid: string): MessageDb | null {
    const key = `${tenant}\u0000${nmid}`;
    const cached = this.batchMessages.get(key);
    if (cached) return cached;
    const found =
      (this.stmt('SELECT * FROM dash_messages WHERE tenant_id = ? AND nmid = ?').get(tenant, nmid) as
        MessageDb | undefined) ?? null;
    if (found) this.batchMessages.set(key, found);
    this.batchPrevious.set(key, found === null ? null : stateCount(found));
    return found;
  }

  private saveMessage(m: MessageDb): void {
    this.batchMessages.set(`${m.tenant_id}\u0000${m.nmid}`, m);
  }

  /** Writes the batch's messages; returns how the `msg:state` counts move. */
  private flushMessages(): { t: number; tenant: string; value: string; delta: number }[] {
    const changes: { t: number; tenant: string; value: string; delta: number }[] = [];
    for (const [key, m] of this.batchMessages) {
      this.writeMessage(m);
      const before = this.batchPrevious.get(key) ?? null;
      const after = stateCount(m);
      if (before?.t === after?.t && before?.value === after?.value) continue;
      if (before) changes.push({ ...before, tenant: m.tenant_id, delta: -1 });
      if (after) changes.push({ ...after, tenant: m.tenant_id, delta: 1 });
    }
    this.batchMessages.clear();
    this.batchPrevious.clear();
    return changes;
  }

  private writeMessage(m: MessageDb): void {
    m.state = messageState(m);
    m.open = isOpen(m) ? 1 : 0;
    this.stmt(
      `INSERT OR REPLACE INTO dash_messages (tenant_id, nmid, first_t, last_t, first_seq, recipient, sender, subject,
        verdict, orig_loc, orig_class, latest_loc, latest_class, latest_t, removed_t, remediated_t, clicks, click_throughs, state, open)
       VALUES (@tenant_id, @nmid, @first_t, @last_t, @first_seq, @recipient, @sender, @subject, @verdict, @orig_loc,
        @orig_class, @latest_loc, @latest_class, @latest_t, @removed_t, @remediated_t, @clicks, @click_throughs, @state, @open)`,
    ).run(m);
  }

  private blankMessage(tenant: string, nmid: string, t: number): MessageDb {
    return {
      tenant_id: tenant,
      nmid,
      first_t: null,
      last_t: t,
      first_seq: null,
      recipient: null,
      sender: null,
      subject: null,
      verdict: null,
      orig_loc: null,
      orig_class: null,
      latest_loc: null,
      latest_class: null,
      latest_t: null,
      removed_t: null,
      remediated_t: null,
      clicks: 0,
      click_throughs: 0,
      state: 'other',
      open: 0,
    };
  }

  /** Folds a row into the state of the mail it concerns. Rows arrive in store order, not time order. */
  private applyMessage(r: DashboardRow): void {
    const nmids =
      r.kind === 'investigation'
        ? (r.investigation?.remediated ?? []).map((x) => ({ id: x.networkMessageId, t: x.t }))
        : r.networkMessageId === null
          ? []
          : [{ id: r.networkMessageId, t: r.t }];
    for (const { id, t } of nmids) {
      const m = this.message(r.tenantId, id) ?? this.blankMessage(r.tenantId, id, r.t);
      m.last_t = Math.max(m.last_t, r.t);
      if (r.kind === 'email') {
        // Every record of a mail names its original location; the delivery record (Inline) is the authority.
        const received = r.messageT ?? r.t;
        const isDelivery = r.detectionType === 'Inline';
        if (m.first_t === null || received < m.first_t) m.first_t = received;
        if (m.first_seq === null || isDelivery) m.first_seq = r.offset;
        if (m.orig_loc === null || isDelivery) {
          m.orig_loc = r.originalLocation;
          m.orig_class = r.originalClass;
        }
        m.recipient ??= r.recipient;
        m.sender ??= r.sender;
        m.subject ??= r.subject;
        m.verdict = r.verdict ?? m.verdict;
        if (m.latest_t === null || r.t >= m.latest_t) {
          m.latest_t = r.t;
          m.latest_loc = r.latestLocation ?? r.originalLocation;
          m.latest_class = r.latestLocation === null ? r.originalClass : r.latestClass;
        }
        if (r.action === 'remediated') m.removed_t = m.removed_t === null ? r.t : Math.min(m.removed_t, r.t);
      } else if (r.kind === 'url-click') {
        m.clicks += 1;
        if (r.clickThrough) m.click_throughs += 1;
      } else if (r.kind === 'investigation') {
        m.remediated_t = m.remediated_t === null ? t : Math.min(m.remediated_t, t);
      }
      this.saveMessage(m);
    }
  }

  private applyInvestigation(r: DashboardRow): void {
    const inv = r.investigation;
    if (inv === null) return;
    const old = this.stmt('SELECT * FROM dash_investigations WHERE tenant_id = ? AND inv_id = ?').get(
      r.tenantId,
      inv.id,
    ) as InvestigationDb | undefined;
    // The newest update wins (by time, then by offset); an older one arriving late changes nothing.
    if (old && (old.t > r.t || (old.t === r.t && old.seq > r.offset))) return;
    this.stmt(
      `INSERT OR REPLACE INTO dash_investigations (tenant_id, inv_id, seq, t, name, type, status, start_t, pending,
        pending_since, actions, mails) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      r.tenantId,
      inv.id,
      r.offset,
      r.t,
      inv.name,
      inv.type,
      inv.status,
      inv.startT ?? old?.start_t ?? null,
      inv.pendingActions,
      inv.pendingSince,
      inv.actions,
      inv.networkMessageIds.length,
    );
  }

  async bounds(): Promise<{ tenants: string[]; oldest: number | null; newest: number | null }> {
    const tenants = (
      this.stmt(
        `SELECT tenant_id FROM streams UNION SELECT tenant_id FROM dash_tenants ORDER BY 1`,
      ).all() as { tenant_id: string }[]
    ).map((r) => r.tenant_id);
    const mins = (['email', 'url-click', 'file', 'investigation'] as const)
      .map(
        (kind) =>
          (this.stmt('SELECT min(t) AS t FROM dash_events WHERE kind = ?').get(kind) as { t: number | null })
            .t,
      )
      .filter((t): t is number => t !== null);
    const b = {
      oldest: mins.length === 0 ? null : Math.min(...mins),
      newest: (await this.progress()).newestT,
    };
    return { tenants, oldest: b.oldest, newest: b.newest };
  }

  /** Sums of an hourly dimension over the range, grouped by value. */
  private hourlySums(range: DashRange, dim: string): Map<string, number> {
    const rows = this.stmt(
      `SELECT value, SUM(n) AS n FROM dash_hourly WHERE dim = ? AND b >= ? AND b < ? AND (? IS NULL OR tenant_id = ?)
       GROUP BY value`,
    ).all(dim, Math.floor(range.from / HOUR), Math.ceil(range.to / HOUR), range.tenant, range.tenant) as {
      value: string;
      n: number;
    }[];
    return new Map(rows.map((r) => [r.value, r.n]));
  }

  async counts(range: DashRange, dim: HourlyDim): Promise<Count[]> {
    return sortCounts(this.hourlySums(range, dim));
  }

  async series(range: DashRange, pivot: Pivot): Promise<Series> {
    const dim = PIVOT_DIM[pivot];
    const hourly = range.to - range.from <= 3 * DAY;
    const width = hourly ? HOUR : DAY;
    const first = Math.floor(range.from / width);
    const end = Math.ceil(range.to / width);
    const rows = this.stmt(
      `SELECT b / CAST(? AS INTEGER) AS bucket, value, SUM(n) AS n FROM dash_hourly
       WHERE dim = ? AND b >= ? AND b < ? AND (? IS NULL OR tenant_id = ?) GROUP BY bucket, value`,
    ).all(
      width / HOUR,
      dim,
      Math.floor(range.from / HOUR),
      Math.ceil(range.to / HOUR),
      range.tenant,
      range.tenant,
    ) as { bucket: number; value: string; n: number }[];
    const totals = new Map<string, number>();
    for (const r of rows) totals.set(r.value, (totals.get(r.value) ?? 0) + r.n);
    const ranked = sortCounts(totals);
    const shown = new Set(ranked.slice(0, SERIES_LINES).map((c) => c.value));
    const buckets = Array.from({ length: Math.max(0, end - first) }, (_, i) => (first + i) * width);
    const lines = new Map<string, number[]>();
    for (const v of shown)
      lines.set(
        v,
        buckets.map(() => 0),
      );
    if (ranked.length > SERIES_LINES)
      lines.set(
        'Other',
        buckets.map(() => 0),
      );
    for (const r of rows) {
      const line = lines.get(shown.has(r.value) ? r.value : 'Other');
      const i = r.bucket - first;
      if (line && i >= 0 && i < line.length) line[i] = (line[i] ?? 0) + r.n;
    }
    return { bucketMs: width, buckets, lines: [...lines].map(([value, counts]) => ({ value, counts })) };
  }

  /** Threat mail still in a mailbox, per tenant, from the `msg:state` counts. */
  private stillByTenant(range: DashRange): Map<string, number> {
    const rows = this.stmt(
      `SELECT tenant_id, SUM(n) AS n FROM dash_hourly WHERE dim = 'msg:state' AND b >= ? AND b < ?
       AND (? IS NULL OR tenant_id = ?) AND (value LIKE 'inbox|%|t' OR value LIKE 'junk|%|t')
       GROUP BY tenant_id`,
    ).all(Math.floor(range.from / HOUR), Math.ceil(range.to / HOUR), range.tenant, range.tenant) as {
      tenant_id: string;
      n: number;
    }[];
    return new Map(rows.map((r) => [r.tenant_id, r.n]));
  }

  async tiles(range: DashRange): ReturnType<DashboardStore['tiles']> {
    const sum = (dim: string): number => [...this.hourlySums(range, dim).values()].reduce((a, b) => a + b, 0);
    const pending = this.stmt(
      `SELECT COUNT(*) AS n FROM dash_investigations WHERE pending > 0 AND t >= ? AND t < ?
       AND (? IS NULL OR tenant_id = ?)`,
    ).get(range.from, range.to, range.tenant, range.tenant) as { n: number };
    const investigations = this.stmt(
      `SELECT COUNT(*) AS n FROM dash_investigations WHERE t >= ? AND t < ? AND (? IS NULL OR tenant_id = ?)`,
    ).get(range.from, range.to, range.tenant, range.tenant) as { n: number };
    return {
      mailDetections: sum('mail:verdict'),
      stillInMailbox: [...this.stillByTenant(range).values()].reduce((a, b) => a + b, 0),
      clickThroughs: sum('click:through'),
      pendingApprovals: pending.n,
      fileDetections: sum('file:workload'),
      investigations: investigations.n,
    };
  }

  async outcome(range: DashRange): ReturnType<DashboardStore['outcome']> {
    const out = { blocked: 0, delivered: 0, junked: 0, removedAfterDelivery: 0, stillThere: 0 };
    for (const [value, n] of this.hourlySums(range, 'msg:state')) {
      const [state, origClass, threat] = value.split('|');
      // Threat mail only (malware, phish): spam and bulk in a junk folder are not outcomes to act on.
      if (threat !== 't') continue;
      if (origClass === 'delivered') out.delivered += n;
      else if (origClass === 'junked') out.junked += n;
      else if (state === 'blocked' || origClass === 'quarantined' || origClass === 'blocked')
        out.blocked += n;
      if (state === 'removed' && (origClass === 'delivered' || origClass === 'junked')) {
        out.removedAfterDelivery += n;
      }
      if (state === 'inbox' || state === 'junk') out.stillThere += n;
    }
    return out;
  }

  /**
   * The `limit` most frequent values of a daily dimension over the whole UTC days the range touches, exact.
   * Candidates are the values with the highest totals over all retained days (dash_totals); a value outside
   * them counts at most the last candidate's total in any range, so when the `limit`-th candidate's count in
   * the range is higher, the answer is exact without reading the other values. Otherwise (flat data) every
   * value of the range is summed. `complete`: the list holds every value of the range.
   */
  private topRanked(range: DashRange, dim: TopDim, limit: number): { rows: Count[]; complete: boolean } {
    const d0 = Math.floor(range.from / DAY);
    const d1 = Math.ceil(range.to / DAY);
    const scope = range.tenant ?? ALL_TENANTS;
    const span = this.stmt('SELECT MIN(b) AS lo, MAX(b) AS hi FROM dash_daily WHERE dim = ?').get(dim) as {
      lo: number | null;
      hi: number | null;
    };
    if (span.lo === null || span.hi === null) return { rows: [], complete: true };
    const all = (): { rows: Count[]; complete: boolean } => {
      const rows = this.stmt(
        `SELECT value, SUM(n) AS n FROM dash_daily WHERE dim = ? AND b >= ? AND b < ? AND (? IS NULL OR tenant_id = ?)
         GROUP BY value`,
      ).all(dim, d0, d1, range.tenant, range.tenant) as Count[];
      const ranked = sortCounts(new Map(rows.filter((r) => r.n > 0).map((r) => [r.value, r.n])));
      return { rows: ranked.slice(0, limit), complete: ranked.length <= limit };
    };
    if (span.lo >= d0 && span.hi < d1) {
      // The range covers every retained day: the totals are the answer.
      const rows = this.stmt(
        `SELECT value, n FROM dash_totals WHERE dim = ? AND tenant_id = ? AND n > 0 ORDER BY n DESC, value LIMIT ?`,
      ).all(dim, scope, limit + 1) as Count[];
      if (rows.length <= limit) return { rows, complete: true };
      return { rows: rows.slice(0, limit), complete: false };
    }
    const k = Math.max(500, limit * 10);
    const candidates = this.stmt(
      `SELECT value, n FROM dash_totals WHERE dim = ? AND tenant_id = ? AND n > 0 ORDER BY n DESC LIMIT ?`,
    ).all(dim, scope, k) as Count[];
    if (candidates.length < k) return all();
    const bound = candidates[candidates.length - 1]?.n ?? 0;
    const sums = this.stmt(
      `SELECT value, SUM(n) AS n FROM dash_daily WHERE dim = ? AND value IN (SELECT value FROM json_each(?))
       AND b >= ? AND b < ? AND (? IS NULL OR tenant_id = ?) GROUP BY value`,
    ).all(dim, JSON.stringify(candidates.map((c) => c.value)), d0, d1, range.tenant, range.tenant) as Count[];
    const ranked = sortCounts(new Map(sums.filter((r) => r.n > 0).map((r) => [r.value, r.n])));
    const last = ranked[limit - 1];
    if (last !== undefined && last.n > bound) return { rows: ranked.slice(0, limit), complete: false };
    return all();
  }

  async top(range: DashRange, dim: TopDim, limit: number): Promise<TopCount[]> {
    const ranked = this.topRanked(range, dim, limit).rows;
    if (ranked.length === 0) return [];
    // Without any day before the range in the store, "new" would mark everything: it marks nothing.
    const first = this.stmt('SELECT MIN(b) AS lo FROM dash_daily WHERE dim = ?').get(dim) as {
      lo: number | null;
    };
    if (first.lo === null || first.lo >= Math.floor(range.from / DAY)) {
      return ranked.map((r) => ({ ...r, isNew: false }));
    }
    const before = { ...range, from: range.from - 7 * DAY, to: range.from };
    const seen = this.stmt(
      `SELECT DISTINCT value FROM dash_daily WHERE dim = ? AND b >= ? AND b < ? AND (? IS NULL OR tenant_id = ?)
       AND value IN (SELECT value FROM json_each(?))`,
    ).all(
      dim,
      Math.floor(before.from / DAY),
      Math.ceil(before.to / DAY),
      range.tenant,
      range.tenant,
      JSON.stringify(ranked.map((r) => r.value)),
    ) as { value: string }[];
    const known = new Set(seen.map((s) => s.value));
    return ranked.map((r) => ({ ...r, isNew: !known.has(r.value) }));
  }

  async emailFacets(range: DashRange): Promise<Record<EmailFilterKey, Count[]>> {
    const h = (dim: HourlyDim): Count[] => sortCounts(this.hourlySums(range, dim));
    const top = (dim: TopDim): Count[] => this.topRanked(range, dim, 50).rows;
    return {
      verdict: h('mail:verdict'),
      technology: h('mail:technology'),
      deliveryAction: h('mail:action'),
      originalLocation: h('mail:location'),
      latestLocation: h('mail:latestLocation'),
      detectionType: h('mail:detectionType'),
      policy: h('mail:policy'),
      direction: h('mail:direction'),
      override: h('mail:override'),
      senderDomain: top('mail:senderDomain'),
      recipient: top('mail:recipient'),
    };
  }

  private tableSql(
    name: TableName,
    query: TableQuery,
    now: number,
    columns?: string,
  ): { spec: TableSpec<unknown>; sql: string; params: unknown[] } {
    const spec = TABLES[name] as TableSpec<unknown>;
    const base = spec.where(query, now);
    const where = [...base.sql];
    const params = [...base.params];
    for (const [mode, filters] of [
      ['any', query.any],
      ['none', query.none],
    ] as const) {
      for (const [key, values] of Object.entries(filters)) {
        if (values.length === 0) continue;
        const json = spec.jsonFilters?.[key];
        const column = spec.filters[key];
        if (json === undefined && column === undefined) {
          throw new RangeError(
            `${mode}.${key}: not a filter of this table; use one of ${Object.keys(spec.filters).join(', ')}`,
          );
        }
        const list = `(SELECT value FROM json_each(?))`;
        const test =
          json !== undefined
            ? `EXISTS (SELECT 1 FROM json_each(${json}) jf WHERE jf.value IN ${list})`
            : `coalesce(${column}, '${NONE}') IN ${list}`;
        where.push(mode === 'any' ? test : `NOT ${test}`);
        params.push(JSON.stringify(values));
      }
    }
    if (query.q !== null && query.q.trim() !== '') {
      where.push(`(${spec.search.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`);
      for (let i = 0; i < spec.search.length; i++) params.push(likePattern(query.q.trim().toLowerCase()));
    }
    const sortExpr = spec.sorts[query.sort === '' ? spec.defaultSort : query.sort];
    if (sortExpr === undefined) {
      throw new RangeError(
        `sort: unknown column ${query.sort}; use one of ${Object.keys(spec.sorts).join(', ')}`,
      );
    }
    // `~expr`: the sort runs the other way round (age descending is delivery time ascending), so that an
    // index on the column serves it.
    const inverted = sortExpr.startsWith('~');
    const dir = (query.dir === 'asc') !== inverted ? 'ASC' : 'DESC';
    const expr = inverted ? sortExpr.slice(1) : sortExpr;
    const sql = `SELECT ${columns ?? spec.columns} FROM ${spec.from} WHERE ${where.join(' AND ')}
      ORDER BY ${expr} ${dir} NULLS LAST, ${spec.tie}`;
    return { spec, sql, params };
  }

  async table<N extends TableName>(
    name: N,
    query: TableQuery,
    now: number,
  ): Promise<TableResult<TableRows[N]>> {
    if (name.startsWith('clusters-'))
      return this.clusterTable(name, query) as Promise<TableResult<TableRows[N]>>;
    const { spec, sql, params } = this.tableSql(name, query, now);
    const limit = [query.size, (query.page - 1) * query.size];
    let raw: Record<string, unknown>[];
    if (name === 'emails' && query.sort !== 'time' && query.sort !== '') {
      // Sorted on a column no index orders: sort the offsets alone (narrow sorter rows), then read the page.
      const keyed = this.tableSql(name, query, now, 'e.seq');
      const seqs = (
        this.db.prepare(`${keyed.sql} LIMIT ? OFFSET ?`).all(...keyed.params, ...limit) as { seq: number }[]
      ).map((r) => r.seq);
      const found = new Map<unknown, Record<string, unknown>>(
        (
          this.db
            .prepare(
              `SELECT ${spec.columns} FROM dash_events e WHERE e.seq IN (SELECT value FROM json_each(?))`,
            )
            .all(JSON.stringify(seqs)) as Record<string, unknown>[]
        ).map((r) => [r.seq, r]),
      );
      raw = seqs.flatMap((seq): Record<string, unknown>[] => {
        const r = found.get(seq);
        return r === undefined ? [] : [r];
      });
    } else {
      raw = this.db.prepare(`${sql} LIMIT ? OFFSET ?`).all(...params, ...limit) as Record<string, unknown>[];
    }
    const rows = raw.map((r) => spec.map(r, now) as TableRows[N]);
    if (name === 'click-throughs') this.repeatClicks(rows as ClickThroughRow[], query);
    const counted = this.countRows(sql, params);
    return { rows, total: counted.n, totalIsLowerBound: counted.lowerBound };
  }

  /**
   * How many rows a table query has: exact up to TOTAL_CAP, and counted for at most COUNT_BUDGET_MS, so that
   * a rare search over a million rows still answers in time (then `lowerBound`: "more than n").
   */
  private countRows(sql: string, params: unknown[]): { n: number; lowerBound: boolean } {
    const stmt = this.db.prepare(`SELECT 1 FROM (${sql}) LIMIT ${TOTAL_CAP + 1}`).raw(true);
    const deadline = performance.now() + COUNT_BUDGET_MS;
    let n = 0;
    for (const _row of stmt.iterate(...params)) {
      n += 1;
      if (n > TOTAL_CAP) return { n: TOTAL_CAP, lowerBound: true };
      if ((n & 1023) === 0 && performance.now() > deadline) return { n, lowerBound: true };
    }
    return { n, lowerBound: false };
  }

  /** Each row's count of its user's click-throughs in the range (repeat clickers). */
  private repeatClicks(rows: ClickThroughRow[], range: DashRange): void {
    const count = this.stmt(
      `SELECT COUNT(*) AS n FROM dash_events WHERE user_key = ? AND action = 'clicked-through-warning'
       AND t >= ? AND t < ? AND (? IS NULL OR tenant_id = ?)`,
    );
    const cache = new Map<string, number>();
    for (const r of rows) {
      if (r.user === null) continue;
      let n = cache.get(r.user);
      if (n === undefined) {
        n = (count.get(r.user, range.from, range.to, range.tenant, range.tenant) as { n: number }).n;
        cache.set(r.user, n);
      }
      r.userClickThroughs = n;
    }
  }

  async *exportTable<N extends TableName>(
    name: N,
    query: TableQuery,
    now: number,
  ): AsyncIterable<TableRows[N]> {
    if (name.startsWith('clusters-')) {
      const all = await this.clusterTable(name, { ...query, page: 1, size: Number.MAX_SAFE_INTEGER });
      for (const r of all.rows) yield r as TableRows[N];
      return;
    }
    const { spec, sql, params } = this.tableSql(name, query, now);
    // A connection of its own: an open iterator keeps its connection busy, and the export reads one snapshot.
    const db = new Database(this.file, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 10000');
      db.exec('BEGIN');
      const stmt = db.prepare(`${sql} LIMIT ? OFFSET ?`);
      for (let offset = 0; ; offset += EXPORT_CHUNK) {
        const rows = stmt.all(...params, EXPORT_CHUNK, offset) as Record<string, unknown>[];
        const mapped = rows.map((r) => spec.map(r, now) as TableRows[N]);
        if (name === 'click-throughs') this.repeatClicks(mapped as ClickThroughRow[], query);
        for (const r of mapped) yield r;
        if (rows.length < EXPORT_CHUNK) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      db.exec('COMMIT');
    } finally {
      db.close();
    }
  }

  private async clusterTable(name: TableName, query: TableQuery): Promise<TableResult<ClusterRow>> {
    if (query.sort !== '' && query.sort !== 'records') {
      throw new RangeError(
        `sort: clusters are ordered by records (how many records share the key); use sort=records`,
      );
    }
    const by = name.slice('clusters-'.length) as ClusterRow['by'];
    const dim = `cluster:${by}` as TopDim;
    // Clusters are keys shared by at least two records; a search looks through every key of the range.
    const searching = query.q !== null && query.q.trim() !== '';
    const found = this.topRanked(
      query,
      dim,
      searching ? Number.MAX_SAFE_INTEGER : query.page * query.size + 1,
    );
    let ranked = found.rows.filter((c) => c.n >= 2);
    if (searching) {
      const q = (query.q ?? '').trim().toLowerCase();
      ranked = ranked.filter((c) => c.value.toLowerCase().includes(q));
    }
    const complete = found.complete || searching || ranked.length < found.rows.length;
    const page = ranked.slice((query.page - 1) * query.size, query.page * query.size);
    const prefix = by === 'sender-subject' ? 'ss' : by;
    // The rows sharing the key (mails, or for a URL the clicks on it), newest first and at most CLUSTER_SAMPLE
    // of them, then the distinct mails they concern.
    const detail = this.stmt(
      `WITH rows AS MATERIALIZED (
         SELECT e.seq, e.t, e.kind, e.tenant_id, e.nmid FROM dash_keys k JOIN dash_events e ON e.seq = k.seq
         WHERE k.tenant_id = ? AND k.key = ? AND e.t >= ? AND e.t < ? ORDER BY k.seq DESC LIMIT ${CLUSTER_SAMPLE + 1}),
       msgs AS MATERIALIZED (SELECT m.* FROM (SELECT DISTINCT tenant_id, nmid FROM rows WHERE nmid IS NOT NULL) x
         JOIN dash_messages m ON m.tenant_id = x.tenant_id AND m.nmid = x.nmid)
       SELECT (SELECT COUNT(*) FROM rows) AS sampled_rows, (SELECT COUNT(*) FROM msgs) AS mails,
         (SELECT COUNT(DISTINCT recipient) FROM msgs) AS recipients,
         (SELECT SUM(state IN ('inbox', 'junk')) FROM msgs) AS still,
         (SELECT SUM(clicks > 0) FROM msgs) AS clicked,
         (SELECT SUM(state = 'removed') FROM msgs) AS removed,
         (SELECT MIN(t) FROM rows) AS first_t, (SELECT MAX(t) FROM rows) AS last_t,
         coalesce((SELECT MIN(first_seq) FROM msgs), (SELECT MIN(seq) FROM rows)) AS sample`,
    );
    const tenants =
      query.tenant !== null
        ? [query.tenant]
        : (this.stmt('SELECT tenant_id FROM dash_tenants').all() as { tenant_id: string }[]).map(
            (r) => r.tenant_id,
          );
    const rows = page.map((c): ClusterRow => {
      const key = `${prefix}:${c.value}`;
      // Per tenant (the key's rows are in key order within a tenant, so the newest come first), then summed:
      // tenants share no mail.
      const d = {
        sampled_rows: 0,
        mails: 0,
        recipients: 0,
        still: 0,
        clicked: 0,
        removed: 0,
        first_t: null as number | null,
        last_t: null as number | null,
        sample: null as number | null,
      };
      for (const tenant of tenants) {
        const t = detail.get(tenant, key, query.from, query.to) as typeof d;
        if (t.first_t === null) continue;
        d.sampled_rows = Math.max(d.sampled_rows, t.sampled_rows);
        d.mails += t.mails;
        d.recipients += t.recipients;
        d.still += t.still ?? 0;
        d.clicked += t.clicked ?? 0;
        d.removed += t.removed ?? 0;
        d.first_t = d.first_t === null ? t.first_t : Math.min(d.first_t, t.first_t);
        d.last_t = Math.max(d.last_t ?? 0, t.last_t ?? 0);
        d.sample = d.sample === null ? t.sample : Math.min(d.sample, t.sample ?? d.sample);
      }
      return {
        by,
        key: c.value,
        records: c.n,
        sampled: d.sampled_rows > CLUSTER_SAMPLE,
        mails: d.mails,
        recipients: d.recipients,
        stillInMailbox: d.still ?? 0,
        clicked: d.clicked ?? 0,
        removed: d.removed ?? 0,
        firstSeen: iso(d.first_t ?? query.from),
        lastSeen: iso(d.last_t ?? query.from),
        sampleOffset: d.sample ?? 0,
      };
    });
    // A campaign is at least two mails; a key that two records share about one mail is not one.
    const clusters = rows.filter((r) => r.mails >= 2);
    return {
      rows: clusters,
      total:
        (query.page - 1) * query.size +
        clusters.length +
        Math.max(0, ranked.length - query.page * query.size),
      totalIsLowerBound: !complete || clusters.length < rows.length,
    };
  }

  async clicks(range: DashRange): ReturnType<DashboardStore['clicks']> {
    // The most clicked URLs (whole days), then their clicks by action in the range itself.
    const topUrls = this.topRanked(range, 'click:url', 20).rows.map((c) => c.value);
    const urls = new Map<string, { total: number; byAction: Record<string, number> }>();
    const byAction = this.stmt(
      `SELECT value, SUM(n) AS n FROM dash_daily WHERE dim = 'click:urlAction' AND value >= ? AND value < ?
       AND b >= ? AND b < ? AND (? IS NULL OR tenant_id = ?) GROUP BY value`,
    );
    for (const url of topUrls) {
      const u = { total: 0, byAction: {} as Record<string, number> };
      for (const r of byAction.all(
        `${url}${SEP}`,
        `${url}${String.fromCharCode(SEP.charCodeAt(0) + 1)}`,
        Math.floor(range.from / DAY),
        Math.ceil(range.to / DAY),
        range.tenant,
        range.tenant,
      ) as Count[]) {
        const action = r.value.slice(url.length + 1);
        u.total += r.n;
        u.byAction[action] = (u.byAction[action] ?? 0) + r.n;
      }
      urls.set(url, u);
    }
    const heat = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0));
    const rows = this.stmt(
      `SELECT b, SUM(n) AS n FROM dash_hourly WHERE dim = 'click:action' AND b >= ? AND b < ?
       AND (? IS NULL OR tenant_id = ?) GROUP BY b`,
    ).all(Math.floor(range.from / HOUR), Math.ceil(range.to / HOUR), range.tenant, range.tenant) as {
      b: number;
      n: number;
    }[];
    for (const r of rows) {
      const d = new Date(r.b * HOUR);
      const row = heat[d.getUTCDay()];
      if (row) row[d.getUTCHours()] = (row[d.getUTCHours()] ?? 0) + r.n;
    }
    return {
      byAction: await this.counts(range, 'click:action'),
      byApp: await this.counts(range, 'click:app'),
      urlByAction: [...urls]
        .map(([url, u]) => ({ url, ...u }))
        .sort((a, b) => b.total - a.total || a.url.localeCompare(b.url))
        .slice(0, 20),
      topDomains: await this.top(range, 'click:domain', 10),
      heat,
    };
  }

  async files(range: DashRange): ReturnType<DashboardStore['files']> {
    return {
      byWorkload: await this.counts(range, 'file:workload'),
      byFamily: this.topRanked(range, 'file:family', 20).rows,
      bySite: this.topRanked(range, 'file:site', 20).rows,
    };
  }

  async investigations(range: DashRange): ReturnType<DashboardStore['investigations']> {
    const group = (column: string): Count[] =>
      (
        this.stmt(
          `SELECT coalesce(${column}, '${NONE}') AS value, COUNT(*) AS n FROM dash_investigations
           WHERE t >= ? AND t < ? AND (? IS NULL OR tenant_id = ?) GROUP BY 1 ORDER BY n DESC, value`,
        ).all(range.from, range.to, range.tenant, range.tenant) as Count[]
      ).map((r) => ({ value: r.value, n: r.n }));
    const delays = (
      this.stmt(
        `SELECT remediated_t - first_t AS d FROM dash_messages WHERE remediated_t >= ? AND remediated_t < ?
         AND first_t IS NOT NULL AND remediated_t >= first_t AND (? IS NULL OR tenant_id = ?)`,
      ).all(range.from, range.to, range.tenant, range.tenant) as { d: number }[]
    ).map((r) => r.d / 1000);
    delays.sort((x, y) => x - y);
    const pct = (p: number): number | null =>
      delays.length === 0
        ? null
        : (delays[Math.min(delays.length - 1, Math.ceil(p * delays.length) - 1)] ?? null);
    return {
      byStatus: group('status'),
      byType: group('type'),
      remediationDelay: { n: delays.length, medianSeconds: pct(0.5), p90Seconds: pct(0.9) },
    };
  }

  private timeline(rows: EventRowDb[]): TimelineEntry[] {
    return rows.map((r) => ({
      offset: r.seq,
      time: iso(r.t),
      kind: r.kind as TimelineEntry['kind'],
      action: r.action,
      summary: r.summary,
    }));
  }

  async messageTimeline(tenantId: string, networkMessageId: string): Promise<TimelineEntry[]> {
    return this.timeline(
      this.stmt(
        `SELECT e.* FROM dash_keys k JOIN dash_events e ON e.seq = k.seq WHERE k.tenant_id = ? AND k.key = ?
         ORDER BY e.t, e.seq`,
      ).all(tenantId, `nmid:${networkMessageId}`) as EventRowDb[],
    );
  }

  async messageUrls(tenantId: string, networkMessageId: string): Promise<string[]> {
    return (
      this.stmt(
        `SELECT e.url, MAX(e.t) AS t FROM dash_keys k JOIN dash_events e ON e.seq = k.seq
         WHERE k.tenant_id = ? AND k.key = ? AND e.kind = 'url-click' AND e.url IS NOT NULL
         GROUP BY e.url ORDER BY t DESC`,
      ).all(tenantId, `nmid:${networkMessageId}`) as { url: string }[]
    ).map((r) => r.url);
  }

  async messageOffsets(tenantId: string, networkMessageId: string): Promise<number[]> {
    return (
      this.stmt(
        `SELECT e.seq FROM dash_keys k JOIN dash_events e ON e.seq = k.seq
         WHERE k.tenant_id = ? AND k.key = ? AND e.kind = 'email' ORDER BY e.t DESC, e.seq DESC`,
      ).all(tenantId, `nmid:${networkMessageId}`) as { seq: number }[]
    ).map((r) => r.seq);
  }

  async userTimeline(user: string, tenant: string | null, limit: number): Promise<TimelineEntry[]> {
    return this.timeline(
      this.stmt(
        `SELECT * FROM (SELECT * FROM dash_events WHERE user_key = ? AND (? IS NULL OR tenant_id = ?)
         ORDER BY t DESC, seq DESC LIMIT ?) ORDER BY t, seq`,
      ).all(user.toLowerCase(), tenant, tenant, limit) as EventRowDb[],
    );
  }

  async userCounts(user: string, tenant: string | null): ReturnType<DashboardStore['userCounts']> {
    const rows = this.stmt(
      `SELECT kind, action, COUNT(*) AS n FROM dash_events WHERE user_key = ? AND (? IS NULL OR tenant_id = ?)
       GROUP BY kind, action`,
    ).all(user.toLowerCase(), tenant, tenant) as { kind: string; action: string; n: number }[];
    const out = { mails: 0, clicks: 0, clickThroughs: 0, files: 0, investigations: 0 };
    for (const r of rows) {
      if (r.kind === 'email') out.mails += r.n;
      else if (r.kind === 'url-click') {
        out.clicks += r.n;
        if (r.action === 'clicked-through-warning') out.clickThroughs += r.n;
      } else if (r.kind === 'file') out.files += r.n;
      else out.investigations += r.n;
    }
    return out;
  }

  async entries(offsets: number[]): Promise<TimelineEntry[]> {
    if (offsets.length === 0) return [];
    return this.timeline(
      this.stmt(
        `SELECT * FROM dash_events WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY t, seq`,
      ).all(JSON.stringify(offsets)) as EventRowDb[],
    );
  }

  async fleet(range: DashRange): ReturnType<DashboardStore['fleet']> {
    const tenants = new Map<
      string,
      {
        mailDetections: number;
        stillInMailbox: number;
        clickThroughs: number;
        pendingApprovals: number;
        fileDetections: number;
      }
    >();
    const row = (t: string) => {
      let r = tenants.get(t);
      if (!r) {
        r = {
          mailDetections: 0,
          stillInMailbox: 0,
          clickThroughs: 0,
          pendingApprovals: 0,
          fileDetections: 0,
        };
        tenants.set(t, r);
      }
      return r;
    };
    const h0 = Math.floor(range.from / HOUR);
    const h1 = Math.ceil(range.to / HOUR);
    for (const [dim, key] of [
      ['mail:verdict', 'mailDetections'],
      ['click:through', 'clickThroughs'],
      ['file:workload', 'fileDetections'],
    ] as const) {
      for (const r of this.stmt(
        `SELECT tenant_id, SUM(n) AS n FROM dash_hourly WHERE dim = ? AND b >= ? AND b < ? GROUP BY tenant_id`,
      ).all(dim, h0, h1) as { tenant_id: string; n: number }[]) {
        row(r.tenant_id)[key] += r.n;
      }
    }
    for (const [tenant, n] of this.stillByTenant(range)) row(tenant).stillInMailbox += n;
    for (const r of this.stmt(
      `SELECT tenant_id, COUNT(*) AS n FROM dash_investigations WHERE pending > 0 AND t >= ? AND t < ?
       GROUP BY tenant_id`,
    ).all(range.from, range.to) as { tenant_id: string; n: number }[]) {
      row(r.tenant_id).pendingApprovals += r.n;
    }
    return [...tenants]
      .map(([tenantId, r]) => ({ tenantId, ...r }))
      .sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  }

  async prune(before: number): Promise<void> {
    this.db.transaction(() => {
      this.stmt('DELETE FROM dash_hourly WHERE b < ?').run(Math.floor(before / HOUR));
      const day = Math.floor(before / DAY);
      const sub = this.stmt(
        `UPDATE dash_totals SET n = n - ? WHERE dim = ? AND tenant_id IN (?, '${ALL_TENANTS}') AND value = ?`,
      );
      for (const r of this.stmt(
        'SELECT dim, tenant_id, value, SUM(n) AS n FROM dash_daily WHERE b < ? GROUP BY 1, 2, 3',
      ).all(day) as { dim: string; tenant_id: string; value: string; n: number }[]) {
        sub.run(r.n, r.dim, r.tenant_id, r.value);
      }
      this.stmt('DELETE FROM dash_totals WHERE n <= 0').run();
      this.stmt('DELETE FROM dash_daily WHERE b < ?').run(day);
      this.stmt('DELETE FROM dash_messages WHERE last_t < ?').run(before);
      this.stmt('DELETE FROM dash_investigations WHERE t < ?').run(before);
      this.stmt(
        'DELETE FROM dash_keys WHERE NOT EXISTS (SELECT 1 FROM dash_events e WHERE e.seq = dash_keys.seq)',
      ).run();
    })();
  }

  async close(): Promise<void> {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }
}

function sortCounts(map: Map<string, number>): Count[] {
  return [...map]
    .map(([value, n]) => ({ value, n }))
    .sort((a, b) => b.n - a.n || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

function rangeWhere(column: string, kind: string | null) {
  return (q: TableQuery): { sql: string[]; params: unknown[] } => {
    const sql = [`${column} >= ?`, `${column} < ?`, `(? IS NULL OR e.tenant_id = ?)`];
    const params: unknown[] = [q.from, q.to, q.tenant, q.tenant];
    if (kind !== null) {
      sql.unshift(`e.kind = ?`);
      params.unshift(kind);
    }
    return { sql, params };
  };
}

const EMAIL_COLUMNS = `e.seq, e.tenant_id, e.t, e.recipient, e.sender, e.sender_domain, e.sender_ip, e.subject, e.verdict,
  e.verdict_raw, e.delivery_action, e.orig_loc, e.latest_loc, e.detection_type, e.policy, e.direction, e.override,
  e.nmid, e.extra`;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

const TABLES: { [N in TableName]: TableSpec<TableRows[N]> } = {
  emails: {
    from: 'dash_events e',
    columns: EMAIL_COLUMNS,
    where: rangeWhere('e.t', 'email'),
    filters: {
      verdict: 'e.verdict',
      deliveryAction: 'e.delivery_action',
      originalLocation: 'e.orig_loc',
      latestLocation: 'e.latest_loc',
      detectionType: 'e.detection_type',
      policy: 'e.policy',
      direction: 'e.direction',
      senderDomain: 'e.sender_domain',
      recipient: 'e.recipient',
      override: 'e.override',
    },
    jsonFilters: { technology: `e.extra, '$.tech'` },
    search: ['e.search'],
    sorts: {
      time: 'e.t',
      recipient: 'e.recipient',
      sender: 'e.sender',
      subject: 'e.subject',
      verdict: 'e.verdict',
      deliveryAction: 'e.delivery_action',
      originalLocation: 'e.orig_loc',
      latestLocation: 'e.latest_loc',
      policy: 'e.policy',
      direction: 'e.direction',
    },
    defaultSort: 'time',
    tie: 'e.seq DESC',
    map: (r): EmailRow => {
      const x = parseExtra(str(r.extra));
      return {
        offset: num(r.seq),
        tenantId: String(r.tenant_id),
        time: iso(num(r.t)),
        recipient: str(r.recipient),
        sender: str(r.sender),
        senderDomain: str(r.sender_domain),
        senderIp: str(r.sender_ip),
        subject: str(r.subject),
        verdict: str(r.verdict) as VerdictClass | null,
        verdictRaw: str(r.verdict_raw),
        technologies: x.tech ?? [],
        deliveryAction: str(r.delivery_action),
        originalLocation: str(r.orig_loc),
        latestLocation: str(r.latest_loc),
        detectionType: str(r.detection_type),
        policy: str(r.policy),
        direction: str(r.direction),
        override: str(r.override),
        attachments: x.att ?? [],
        urls: x.urls ?? [],
        networkMessageId: str(r.nmid),
      };
    },
  },
  inboxed: {
    from: 'dash_messages e',
    columns: 'e.*',
    where: (q) => ({
      sql: ['e.open = 1', 'e.first_t >= ?', 'e.first_t < ?', '(? IS NULL OR e.tenant_id = ?)'],
      params: [q.from, q.to, q.tenant, q.tenant],
    }),
    filters: { verdict: 'e.verdict', latestLocation: 'e.latest_loc', recipient: 'e.recipient' },
    search: ['e.subject', 'e.sender', 'e.recipient', 'e.nmid'],
    sorts: {
      age: '~e.first_t',
      deliveredAt: 'e.first_t',
      recipient: 'e.recipient',
      verdict: 'e.verdict',
      latestLocation: 'e.latest_loc',
      clicks: 'e.clicks',
    },
    defaultSort: 'age',
    tie: 'e.nmid',
    map: (r, now): InboxedRow => ({
      offset: num(r.first_seq),
      tenantId: String(r.tenant_id),
      networkMessageId: String(r.nmid),
      recipient: str(r.recipient),
      sender: str(r.sender),
      subject: str(r.subject),
      verdict: str(r.verdict) as VerdictClass | null,
      latestLocation: str(r.latest_loc),
      deliveredAt: iso(num(r.first_t)),
      ageSeconds: Math.max(0, Math.round((now - num(r.first_t)) / 1000)),
      clicks: num(r.clicks),
    }),
  },
  'click-throughs': {
    from: `dash_events e LEFT JOIN dash_messages m ON m.tenant_id = e.tenant_id AND m.nmid = e.nmid`,
    columns: `e.seq, e.tenant_id, e.t, e.user_key, e.url, e.url_domain, e.click_action, e.app, e.nmid,
      m.first_seq AS m_seq, m.subject AS m_subject, m.sender AS m_sender,
      coalesce(m.removed_t, m.remediated_t) AS m_removed, m.nmid AS m_nmid`,
    where: (q) => {
      const w = rangeWhere('e.t', 'url-click')(q);
      return { sql: [...w.sql, `e.action = 'clicked-through-warning'`], params: w.params };
    },
    filters: { app: 'e.app', action: 'e.click_action', user: 'e.user_key' },
    search: ['e.search', 'm.subject', 'm.sender'],
    sorts: { time: 'e.t', user: 'e.user_key', app: 'e.app' },
    defaultSort: 'time',
    tie: 'e.seq DESC',
    map: (r): ClickThroughRow => ({
      offset: num(r.seq),
      tenantId: String(r.tenant_id),
      time: iso(num(r.t)),
      user: str(r.user_key),
      url: str(r.url),
      urlDomain: str(r.url_domain),
      clickAction: str(r.click_action),
      app: str(r.app),
      mail:
        str(r.nmid) === null
          ? null
          : {
              offset: typeof r.m_seq === 'number' ? r.m_seq : null,
              networkMessageId: String(r.nmid),
              subject: str(r.m_subject),
              sender: str(r.m_sender),
              removedAt: typeof r.m_removed === 'number' ? iso(r.m_removed) : null,
            },
      // Filled in per page by the store (repeatClicks), from the user's click-throughs in range.
      userClickThroughs: 0,
    }),
  },
  approvals: {
    from: 'dash_investigations e',
    columns: 'e.*',
    where: (q) => ({
      sql: ['e.pending > 0', 'e.t >= ?', 'e.t < ?', '(? IS NULL OR e.tenant_id = ?)'],
      params: [q.from, q.to, q.tenant, q.tenant],
    }),
    filters: { type: 'e.type', status: 'e.status' },
    search: ['e.name', 'e.inv_id', 'e.type'],
    sorts: { waiting: '~coalesce(e.pending_since, e.t)', pendingActions: 'e.pending', type: 'e.type' },
    defaultSort: 'waiting',
    tie: 'e.inv_id',
    map: (r, now): ApprovalRow => {
      const since = typeof r.pending_since === 'number' ? r.pending_since : num(r.t);
      return {
        offset: num(r.seq),
        tenantId: String(r.tenant_id),
        investigationId: String(r.inv_id),
        name: str(r.name),
        type: str(r.type),
        status: str(r.status),
        pendingActions: num(r.pending),
        pendingSince: iso(since),
        waitingSeconds: Math.max(0, Math.round((now - since) / 1000)),
        expiresInSeconds: Math.round((since + ACTION_EXPIRY_MS - now) / 1000),
        mails: num(r.mails),
      };
    },
  },
  clicks: {
    from: 'dash_events e',
    columns: 'e.seq, e.tenant_id, e.t, e.user_key, e.url, e.url_domain, e.click_action, e.app, e.nmid',
    where: rangeWhere('e.t', 'url-click'),
    filters: { action: 'e.click_action', app: 'e.app', domain: 'e.url_domain', user: 'e.user_key' },
    search: ['e.search'],
    sorts: { time: 'e.t', user: 'e.user_key', url: 'e.url', action: 'e.click_action', app: 'e.app' },
    defaultSort: 'time',
    tie: 'e.seq DESC',
    map: (r): ClickRow => ({
      offset: num(r.seq),
      tenantId: String(r.tenant_id),
      time: iso(num(r.t)),
      user: str(r.user_key),
      url: str(r.url),
      urlDomain: str(r.url_domain),
      clickAction: str(r.click_action),
      app: str(r.app),
      networkMessageId: str(r.nmid),
    }),
  },
  files: {
    from: 'dash_events e',
    columns: `e.seq, e.tenant_id, e.t, e.file_name, e.site, e.path, e.family, e.sha256, e.extra,
      (SELECT COUNT(*) FROM dash_keys k JOIN dash_events m ON m.seq = k.seq AND m.kind = 'email'
        WHERE e.sha256 IS NOT NULL AND k.tenant_id = e.tenant_id AND k.key = 'sha256:' || e.sha256) AS in_mail`,
    where: rangeWhere('e.t', 'file'),
    filters: { workload: `json_extract(e.extra, '$.wl')`, family: 'e.family', site: 'e.site' },
    search: ['e.search', 'e.site', 'e.path'],
    sorts: {
      time: 'e.t',
      fileName: 'e.file_name',
      site: 'e.site',
      family: 'e.family',
      alsoInMail: 'in_mail',
    },
    defaultSort: 'time',
    tie: 'e.seq DESC',
    map: (r): FileRow => {
      const x = parseExtra(str(r.extra));
      return {
        offset: num(r.seq),
        tenantId: String(r.tenant_id),
        time: iso(num(r.t)),
        workload: x.wl ?? null,
        fileName: str(r.file_name),
        site: str(r.site),
        path: str(r.path),
        family: str(r.family),
        sha256: str(r.sha256),
        lastModifiedBy: x.lmb ?? null,
        alsoInMail: num(r.in_mail),
      };
    },
  },
  investigations: {
    from: 'dash_investigations e',
    columns: 'e.*',
    where: (q) => ({
      sql: ['e.t >= ?', 'e.t < ?', '(? IS NULL OR e.tenant_id = ?)'],
      params: [q.from, q.to, q.tenant, q.tenant],
    }),
    filters: { status: 'e.status', type: 'e.type' },
    search: ['e.name', 'e.inv_id', 'e.type', 'e.status'],
    sorts: {
      pending: '(e.pending > 0) DESC, e.t',
      lastUpdate: 'e.t',
      status: 'e.status',
      type: 'e.type',
      startTime: 'e.start_t',
    },
    defaultSort: 'pending',
    tie: 'e.inv_id',
    map: (r): InvestigationRow => ({
      offset: num(r.seq),
      tenantId: String(r.tenant_id),
      investigationId: String(r.inv_id),
      name: str(r.name),
      type: str(r.type),
      status: str(r.status),
      startTime: isoOrNull(typeof r.start_t === 'number' ? r.start_t : null),
      lastUpdate: iso(num(r.t)),
      pendingActions: num(r.pending),
      pendingSince: isoOrNull(typeof r.pending_since === 'number' ? r.pending_since : null),
      actions: num(r.actions),
      mails: num(r.mails),
    }),
  },
  'clusters-url': clusterSpec(),
  'clusters-sha256': clusterSpec(),
  'clusters-sender-subject': clusterSpec(),
};

/** Clusters are computed from the counts (clusterTable), not from a SQL table; this spec is never used for SQL. */
function clusterSpec(): TableSpec<ClusterRow> {
  return {
    from: '',
    columns: '',
    where: () => ({ sql: [], params: [] }),
    filters: {},
    search: [],
    sorts: { records: 'records' },
    defaultSort: 'records',
    tie: '',
    map: (r) => r as unknown as ClusterRow,
  };
}
