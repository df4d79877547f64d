/**
 * The dashboard over HTTP: the single-page app's files, Chart.js from node_modules, and the JSON API of
 * api-types.ts, on the same listener as /healthz and /metrics (src/cli/run.ts). Every answer carries a strict
 * Content-Security-Policy (no inline script or style), query parameters are validated (a clear 400), CSV
 * cells that a spreadsheet would run as formulas are neutralised, and when the listener is not on loopback
 * every request needs the configured token or basic-auth credentials (`listen_auth`).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type {
  EventDetail,
  Fleet,
  Freshness,
  MessagePage,
  Meta,
  Overview,
  Page,
  Pivot,
  SinkHealth,
  StreamHealth,
  UserPage,
} from './api-types.js';
import type { DashboardStore, DashRange, TableName, TableQuery } from '../store/dashboard.js';
import type { ContentTypeStatus, Store } from '../store/types.js';
import { normalize } from '../schema/index.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const MAX_RANGE_DAYS = 400;

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** A parameter error: answered 400 with its message. */
export class BadRequest extends Error {}

/** Neutralises a CSV cell: quotes it, and prefixes `'` when a spreadsheet would read it as a formula. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n']/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

const timeParam = z
  .string()
  .trim()
  .transform((s, ctx) => {
    const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isFinite(t)) {
      ctx.addIssue({ code: 'custom', message: 'write an ISO-8601 time (2026-12-03T10:00:00Z) or epoch ms' });
      return z.NEVER;
    }
    return t;
  });

const GUIDISH = /^[0-9a-zA-Z][0-9a-zA-Z.-]{0,99}$/;

const rangeSchema = z.object({
  from: timeParam.optional(),
  to: timeParam.optional(),
  tenant: z
    .string()
    .regex(GUIDISH, 'tenant: a tenant id (GUID)')
    .optional()
    .transform((s) => (s === '' || s === undefined ? null : s.toLowerCase())),
  q: z.string().max(200, 'q: at most 200 characters').optional(),
});

const tableSchema = rangeSchema.extend({
  page: z.coerce.number().int().min(1, 'page: 1 or more').max(1_000_000).default(1),
  size: z.coerce.number().int().min(1, 'size: 1 to 500').max(500, 'size: 1 to 500').default(50),
  sort: z
    .string()
    .regex(/^[a-zA-Z]{1,40}$/, 'sort: a column name')
    .optional(),
  dir: z.enum(['asc', 'desc'], { error: 'dir: asc or desc' }).optional(),
  format: z.enum(['json', 'csv'], { error: 'format: json or csv' }).default('json'),
});

const PIVOTS = ['verdict', 'technology', 'action', 'location', 'policy', 'direction'] as const;

function firstError(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid parameters';
  const key = issue.path.join('.');
  return issue.message.startsWith(`${key}:`) || key === '' ? issue.message : `${key}: ${issue.message}`;
}

function params(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) out[k] = v;
  return out;
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw new BadRequest(firstError(r.error));
  return r.data;
}

/** The range of a request, rounded out to whole hours (the resolution of the pre-aggregated counts). */
export function parseRange(url: URL, now: number): DashRange & { q: string | null } {
  const p = parse(rangeSchema, params(url));
  const to = Math.ceil((p.to ?? now) / HOUR) * HOUR;
  const from = Math.floor((p.from ?? to - 7 * DAY) / HOUR) * HOUR;
  if (from >= to) throw new BadRequest('from: must be before to');
  if (to - from > MAX_RANGE_DAYS * DAY)
    throw new BadRequest(`from: the range can span at most ${MAX_RANGE_DAYS} days`);
  return { from, to, tenant: p.tenant, q: p.q ?? null };
}

function parseTable(url: URL, now: number, defaultSort: string): TableQuery & { format: 'json' | 'csv' } {
  const range = parseRange(url, now);
  const raw = params(url);
  const p = parse(tableSchema, raw);
  const any: Record<string, string[]> = {};
  const none: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(raw)) {
    const m = /^(any|none)\.([a-zA-Z]{1,40})$/.exec(k);
    if (!m) continue;
    const values = v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (values.length > 100) throw new BadRequest(`${k}: at most 100 values`);
    (m[1] === 'any' ? any : none)[m[2] as string] = values;
  }
  return {
    ...range,
    page: p.page,
    size: p.size,
    sort: p.sort ?? defaultSort,
    dir: p.dir ?? 'desc',
    any,
    none,
    format: p.format,
  };
}

export interface DashboardContext {
  store: Store;
  dashboard: DashboardStore;
  tenants: { id: string; name: string | null }[];
  version: string;
  /** Sink state as the running service knows it (empty without sinks). */
  sinks?: () => Promise<SinkHealth[]>;
  now?: () => number;
}

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const STATIC_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.html': 'text/html; charset=utf-8',
};
const UI_PATHS = new Set([
  '/',
  '/worklists',
  '/overview',
  '/emails',
  '/email',
  '/user',
  '/clicks',
  '/files',
  '/investigations',
  '/clusters',
  '/fleet',
  '/health',
]);

function chartJsPath(): string {
  const require = createRequire(import.meta.url);
  // The package's exports do not list the UMD file: resolve the package root, then the file in it.
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
}

/** The public folder, also when running from dist/ (the build does not copy it). */
function publicDir(): string {
  return PUBLIC_DIR.includes(`${path.sep}dist${path.sep}`)
    ? PUBLIC_DIR.replace(`${path.sep}dist${path.sep}`, `${path.sep}src${path.sep}`)
    : PUBLIC_DIR;
}

const TABLE_ROUTES: Record<string, { table: TableName | 'clusters'; sort: string }> = {
  '/api/emails': { table: 'emails', sort: 'time' },
  '/api/worklists/inboxed': { table: 'inboxed', sort: 'age' },
  '/api/worklists/click-throughs': { table: 'click-throughs', sort: 'time' },
  '/api/worklists/approvals': { table: 'approvals', sort: 'waiting' },
  '/api/clicks/rows': { table: 'clicks', sort: 'time' },
  '/api/files/rows': { table: 'files', sort: 'time' },
  '/api/investigations/rows': { table: 'investigations', sort: 'pending' },
  '/api/clusters': { table: 'clusters', sort: 'records' },
};

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store', ...extra });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

/** Builds the request handler; it answers the dashboard's paths and returns false for any other. */
export function createDashboardHandler(
  ctx: DashboardContext,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const now = ctx.now ?? Date.now;
  const staticCache = new Map<string, Buffer>();
  const dir = publicDir();

  const readStatic = async (file: string): Promise<Buffer | null> => {
    const cached = staticCache.get(file);
    if (cached) return cached;
    try {
      const body = await readFile(file);
      staticCache.set(file, body);
      return body;
    } catch {
      return null;
    }
  };

  /** How fresh an answer is; `known` is the store's status when the caller read it already. */
  const freshness = async (range: DashRange, known?: ContentTypeStatus[]): Promise<Freshness> => {
    const [progress, last, streams] = await Promise.all([
      ctx.dashboard.progress(),
      ctx.store.lastOffset(),
      known ?? ctx.store.status(),
    ]);
    const cursors = streams
      .filter((s) => range.tenant === null || s.tenantId.toLowerCase() === range.tenant)
      .map((s) => s.cursor);
    const completeTo =
      cursors.length === 0 || cursors.includes(null) ? null : ([...(cursors as string[])].sort()[0] ?? null);
    return {
      projectedOffset: progress.offset,
      lastOffset: last,
      behind: Math.max(0, last - progress.offset),
      completeTo,
      newestEvent: progress.newestT === null ? null : new Date(progress.newestT).toISOString(),
      at: new Date(now()).toISOString(),
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      tenant: range.tenant,
    };
  };

  const health = (streams: ContentTypeStatus[], tenant: string | null): StreamHealth[] =>
    streams
      .filter((s) => tenant === null || s.tenantId.toLowerCase() === tenant)
      .map((s) => ({
        tenantId: s.tenantId,
        contentType: s.contentType,
        lagSeconds: s.cursor === null ? null : Math.max(0, Math.round((now() - Date.parse(s.cursor)) / 1000)),
        cursor: s.cursor,
        records: s.records,
        invalidRecords: s.invalidRecords,
        blobsPending: s.blobsPending,
        blobsDropped: s.blobsDropped,
        lastError: s.lastError,
        lastErrorAt: s.lastErrorAt,
      }));

  const routes: Record<string, (url: URL) => Promise<unknown>> = {
    '/api/meta': async (url) => {
      const range = parseRange(url, now());
      const b = await ctx.dashboard.bounds();
      const known = new Map(ctx.tenants.map((t) => [t.id.toLowerCase(), t.name]));
      const ids = new Set([
        ...ctx.tenants.map((t) => t.id.toLowerCase()),
        ...b.tenants.map((t) => t.toLowerCase()),
      ]);
      const meta: Meta = {
        tenants: [...ids].sort().map((id) => ({ id, name: known.get(id) ?? null })),
        oldest: b.oldest === null ? null : new Date(b.oldest).toISOString(),
        newest: b.newest === null ? null : new Date(b.newest).toISOString(),
        version: ctx.version,
        meta: await freshness(range),
      };
      return meta;
    },
    '/api/overview': async (url) => {
      const range = parseRange(url, now());
      const pivotRaw = url.searchParams.get('pivot') ?? 'verdict';
      if (!(PIVOTS as readonly string[]).includes(pivotRaw)) {
        throw new BadRequest(`pivot: one of ${PIVOTS.join(', ')}`);
      }
      const pivot = pivotRaw as Pivot;
      const d = ctx.dashboard;
      const streams = await ctx.store.status();
      const overview: Overview = {
        tiles: await d.tiles(range),
        detections: { ...(await d.series(range, pivot)), pivot },
        outcome: await d.outcome(range),
        top: {
          days: {
            from: new Date(Math.floor(range.from / DAY) * DAY).toISOString(),
            to: new Date(Math.ceil(range.to / DAY) * DAY).toISOString(),
          },
          recipients: await d.top(range, 'mail:recipient', 10),
          senderDomains: await d.top(range, 'mail:senderDomain', 10),
          senderIps: await d.top(range, 'mail:senderIp', 10),
          malwareFamilies: await d.top(range, 'mail:family', 10),
          clickedDomains: await d.top(range, 'click:domain', 10),
        },
        overrides: await d.counts(range, 'mail:override'),
        health: health(streams, range.tenant),
        sinks: (await ctx.sinks?.()) ?? [],
        meta: await freshness(range, streams),
      };
      return overview;
    },
    '/api/clicks': async (url) => {
      const range = parseRange(url, now());
      return { ...(await ctx.dashboard.clicks(range)), meta: await freshness(range) };
    },
    '/api/files': async (url) => {
      const range = parseRange(url, now());
      return { ...(await ctx.dashboard.files(range)), meta: await freshness(range) };
    },
    '/api/investigations': async (url) => {
      const range = parseRange(url, now());
      return { ...(await ctx.dashboard.investigations(range)), meta: await freshness(range) };
    },
    '/api/message': async (url) => messagePage(url),
    '/api/user': async (url) => {
      const range = parseRange(url, now());
      const user = parse(
        z.string().trim().min(1, 'user: required').max(320),
        url.searchParams.get('user') ?? '',
      );
      const page: UserPage = {
        tenantId: range.tenant,
        user,
        counts: await ctx.dashboard.userCounts(user, range.tenant),
        timeline: await ctx.dashboard.userTimeline(user, range.tenant, 500),
        meta: await freshness(range),
      };
      return page;
    },
    '/api/fleet': async (url) => {
      const range = parseRange(url, now());
      const streams = await ctx.store.status();
      const rows = await ctx.dashboard.fleet(range, now());
      const known = new Map(ctx.tenants.map((t) => [t.id.toLowerCase(), t.name]));
      const ids = new Set([...known.keys(), ...rows.map((r) => r.tenantId.toLowerCase())]);
      const byId = new Map(rows.map((r) => [r.tenantId.toLowerCase(), r]));
      const fleet: Fleet = {
        rows: [...ids].sort().map((id) => {
          const mine = health(streams, id);
          const lags = mine.map((s) => s.lagSeconds);
          const errored = mine
            .filter((s) => s.lastError !== null)
            .sort((a, b) => (b.lastErrorAt ?? '').localeCompare(a.lastErrorAt ?? ''));
          const r = byId.get(id);
          return {
            tenantId: id,
            name: known.get(id) ?? null,
            mailDetections: r?.mailDetections ?? 0,
            stillInMailbox: r?.stillInMailbox ?? 0,
            clickThroughs: r?.clickThroughs ?? 0,
            pendingApprovals: r?.pendingApprovals ?? 0,
            fileDetections: r?.fileDetections ?? 0,
            lagSeconds: lags.length === 0 || lags.includes(null) ? null : Math.max(...(lags as number[])),
            lastError: errored[0]?.lastError ?? null,
          };
        }),
        meta: await freshness(range, streams),
      };
      return fleet;
    },
  };

  const messagePage = async (url: URL): Promise<MessagePage> => {
    const range = parseRange(url, now());
    if (range.tenant === null) throw new BadRequest('tenant: required for a message (its tenant id)');
    const nmid = parse(
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[0-9a-f-]{36}$/, 'nmid: a NetworkMessageId (GUID)'),
      url.searchParams.get('nmid') ?? '',
    );
    const offsets = await ctx.dashboard.messageOffsets(range.tenant, nmid);
    const timeline = await ctx.dashboard.messageTimeline(range.tenant, nmid);
    const records = await Promise.all(offsets.map((o) => recordAt(o)));
    const events = records.flatMap((r) =>
      r === null ? [] : [normalize(JSON.parse(r.raw) as unknown).event],
    );
    const latest = events[0] ?? null;
    const original = events[events.length - 1] ?? null;
    return {
      tenantId: range.tenant,
      networkMessageId: nmid,
      internetMessageId: latest?.email?.internetMessageId ?? null,
      subject: latest?.email?.subject ?? null,
      sender: latest?.actors.from ?? latest?.actors.mailFrom ?? null,
      senderIp: latest?.actors.senderIp ?? null,
      recipients: latest?.actors.recipients ?? [],
      originalVerdict: original?.threat?.verdict ?? null,
      latestVerdict: latest?.threat?.verdict ?? null,
      originalLocation: original?.email?.originalDeliveryLocation ?? null,
      latestLocation:
        latest?.email?.latestDeliveryLocation ?? latest?.email?.originalDeliveryLocation ?? null,
      deliveryAction: original?.email?.deliveryAction ?? null,
      overrides: (latest?.email?.systemOverrides ?? []).map((o) => ({
        reason: o.details ?? o.finalOverride,
        source: o.source,
      })),
      authentication: latest?.email?.authentication ?? [],
      attachments: (latest?.files ?? []).map((f) => ({
        name: f.name,
        sha256: f.sha256,
        family: f.malwareFamily,
      })),
      urls: [...new Set([...(latest?.urls ?? []), ...(await ctx.dashboard.messageUrls(range.tenant, nmid))])],
      deepLink: latest?.deepLink ?? null,
      timeline,
      meta: await freshness(range),
    };
  };

  const recordAt = async (offset: number) => {
    const [r] = await ctx.store.readFrom(offset - 1, 1);
    return r !== undefined && r.offset === offset ? r : null;
  };

  const eventDetail = async (offset: number): Promise<EventDetail | null> => {
    const r = await recordAt(offset);
    if (r === null) return null;
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(r.raw);
    } catch {
      parsed = null;
    }
    const { event, invalidReason } = normalize(parsed);
    const related = await ctx.store.related(offset, 200);
    const users = new Set<string>();
    if (event.actors.user) users.add(event.actors.user.id);
    for (const rcpt of event.actors.recipients) users.add(rcpt);
    return {
      offset: r.offset,
      tenantId: r.tenantId,
      contentType: r.contentType,
      recordId: r.id,
      storedAt: r.storedAt,
      raw: r.raw,
      normalized: event as unknown as Record<string, unknown>,
      invalidReason: r.index.invalidReason ?? invalidReason,
      deepLink: event.deepLink,
      related: await ctx.dashboard.entries(related.map((x) => x.offset)),
      networkMessageIds: event.networkMessageIds,
      users: [...users],
    };
  };

  const table = async (
    res: ServerResponse,
    url: URL,
    route: { table: TableName | 'clusters'; sort: string },
  ): Promise<void> => {
    let name: TableName;
    if (route.table === 'clusters') {
      const by = url.searchParams.get('by') ?? 'url';
      if (!['url', 'sha256', 'sender-subject'].includes(by))
        throw new BadRequest('by: url, sha256 or sender-subject');
      name = `clusters-${by}` as TableName;
    } else name = route.table;
    const query = parseTable(url, now(), route.sort);
    const at = now();
    if (query.format === 'csv') {
      await sendCsv(res, name, query, at);
      return;
    }
    let result;
    try {
      result = await ctx.dashboard.table(name, query, at);
    } catch (err) {
      if (err instanceof RangeError) throw new BadRequest(err.message);
      throw err;
    }
    const page: Page<unknown> = {
      rows: result.rows,
      total: result.total,
      totalIsLowerBound: result.totalIsLowerBound,
      page: query.page,
      size: query.size,
      sort: query.sort,
      dir: query.dir,
      meta: await freshness(query),
    };
    if (name === 'emails') {
      sendJson(res, 200, { ...page, facets: await ctx.dashboard.emailFacets(query) });
    } else sendJson(res, 200, page);
  };

  const sendCsv = async (
    res: ServerResponse,
    name: TableName,
    query: TableQuery,
    at: number,
  ): Promise<void> => {
    const iterator = ctx.dashboard.exportTable(name, query, at)[Symbol.asyncIterator]();
    let first: IteratorResult<unknown>;
    try {
      first = await iterator.next();
    } catch (err) {
      if (err instanceof RangeError) throw new BadRequest(err.message);
      throw err;
    }
    const file = `atp-siem-${name}-${new Date(at).toISOString().slice(0, 16).replace(/[:T]/g, '')}.csv`;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${file}"`,
      'cache-control': 'no-store',
    });
    let columns: string[] | null = null;
    const write = async (row: unknown): Promise<void> => {
      const flat = flatten(row as Record<string, unknown>);
      if (columns === null) {
        columns = Object.keys(flat);
        res.write(`${columns.map(csvCell).join(',')}\r\n`);
      }
      const line = `${columns.map((c) => csvCell(flat[c])).join(',')}\r\n`;
      if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
    };
    if (!first.done) await write(first.value);
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      await write(next.value);
    }
    if (columns === null) res.write('\r\n');
    res.end();
  };

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = url.pathname;
    const isApi = route.startsWith('/api/');
    const isAsset = route.startsWith('/assets/');
    const isUi = UI_PATHS.has(route) || /^\/event\/\d+$/.test(route);
    if (!isApi && !isAsset && !isUi) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'method not allowed\n', 'text/plain; charset=utf-8', { allow: 'GET' });
      return true;
    }
    try {
      if (isUi) {
        const body = await readStatic(path.join(dir, 'index.html'));
        if (body === null)
          send(res, 500, 'the dashboard files are missing from this installation\n', 'text/plain');
        else send(res, 200, body, STATIC_TYPES['.html'] as string);
        return true;
      }
      if (isAsset) {
        const name = route.slice('/assets/'.length);
        const file = name === 'vendor/chart.umd.js' ? chartJsPath() : path.join(dir, name);
        const type = STATIC_TYPES[path.extname(file)];
        // Only plain file names under public/ (no `..`, no hidden files), of the known types.
        if (
          name !== 'vendor/chart.umd.js' &&
          (!/^[a-z0-9][a-z0-9._/-]*$/i.test(name) || name.includes('..'))
        ) {
          send(res, 404, 'not found\n', 'text/plain');
          return true;
        }
        const body = type === undefined ? null : await readStatic(file);
        if (body === null || type === undefined) send(res, 404, 'not found\n', 'text/plain');
        else send(res, 200, body, type, { 'cache-control': 'no-cache' });
        return true;
      }
      const eventMatch = /^\/api\/event\/(\d{1,15})$/.exec(route);
      if (eventMatch) {
        const detail = await eventDetail(Number(eventMatch[1]));
        if (detail === null)
          sendJson(res, 404, {
            error: `no record at offset ${eventMatch[1]} (retention may have removed it)`,
          });
        else sendJson(res, 200, detail);
        return true;
      }
      const tableRoute = TABLE_ROUTES[route];
      if (tableRoute) {
        await table(res, url, tableRoute);
        return true;
      }
      const handler = routes[route];
      if (!handler) {
        sendJson(res, 404, { error: `no such endpoint ${route}` });
        return true;
      }
      sendJson(res, 200, await handler(url));
    } catch (err) {
      if (err instanceof BadRequest) {
        if (!res.headersSent) sendJson(res, 400, { error: err.message });
        else res.destroy();
        return true;
      }
      throw err;
    }
    return true;
  };
}

/** A row as CSV cells: nested objects and lists of objects as JSON text, lists of values joined with `; `. */
function flatten(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (Array.isArray(v)) {
      out[k] = v.some((x) => typeof x === 'object' && x !== null) ? JSON.stringify(v) : v.join('; ');
    } else if (v !== null && typeof v === 'object') out[k] = JSON.stringify(v);
    else out[k] = v;
  }
  return out;
}
