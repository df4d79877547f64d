/* global document */
// Email detections, Safe Links clicks, files, investigations, clusters.

import {
  h,
  clear,
  link,
  fmtNum,
  fmtAge,
  timeEl,
  verdictChip,
  verdictLabel,
  locationChip,
  chip,
  actionTone,
  copyable,
  muted,
  truncate,
  eventHref,
} from './dom.js';
import { params, api, commonApi, pageHref, update } from './state.js';
import {
  panel,
  showError,
  emptyState,
  pagedTable,
  topList,
  tenantCell,
  filterBar,
  filterQuery,
  hasFilters,
  clearFiltersHref,
} from './widgets.js';
import { barCounts, verdictColor } from './charts.js';
import { userLink, mailLink } from './pages-overview.js';

function shortId(id) {
  if (!id) return muted('—');
  return h('span', { class: 'mono', title: id }, id.length > 14 ? id.slice(0, 8) + '…' : id);
}

function listCell(items, fmt = (x) => x) {
  if (!items || !items.length) return muted('—');
  const el = h(
    'span',
    { class: 'list' },
    items.map((x, i) => [i ? ', ' : '', fmt(x)]),
  );
  if (items.every((x) => typeof x === 'string')) el.setAttribute('title', items.join(', '));
  return el;
}

// ---------- email ----------

const EMAIL_FILTERS = [
  { key: 'verdict', label: 'Verdict', fmt: verdictLabel },
  { key: 'technology', label: 'Detection technology' },
  { key: 'deliveryAction', label: 'Delivery action' },
  { key: 'originalLocation', label: 'Original location' },
  { key: 'latestLocation', label: 'Latest location' },
  { key: 'detectionType', label: 'Detection type' },
  { key: 'policy', label: 'Policy' },
  { key: 'direction', label: 'Direction' },
  { key: 'senderDomain', label: 'Sender domain' },
  { key: 'recipient', label: 'Recipient' },
  { key: 'override', label: 'Override' },
];

export const emailColumns = [
  { key: 'time', label: 'Time (UTC)', sort: 'time', time: true, cell: (r) => timeEl(r.time) },
  { key: 'verdict', label: 'Verdict', sort: 'verdict', cell: (r) => verdictChip(r.verdict, r.verdictRaw) },
  { key: 'verdictRaw', label: 'Microsoft verdict', cell: (r) => r.verdictRaw },
  { key: 'recipient', label: 'Recipient', sort: 'recipient', cell: (r) => userLink(r.recipient) },
  { key: 'sender', label: 'Sender', sort: 'sender', cell: (r) => r.sender },
  { key: 'senderDomain', label: 'Sender domain', cell: (r) => r.senderDomain },
  {
    key: 'senderIp',
    label: 'Sender IP',
    cell: (r) => (r.senderIp ? h('span', { class: 'mono' }, r.senderIp) : null),
  },
  {
    key: 'subject',
    label: 'Subject',
    sort: 'subject',
    cls: 'wide',
    cell: (r) =>
      r.subject ? h('span', { title: r.subject }, truncate(r.subject, 100)) : muted('(no subject)'),
  },
  { key: 'technologies', label: 'Detection technology', cell: (r) => listCell(r.technologies) },
  {
    key: 'deliveryAction',
    label: 'Delivery action',
    sort: 'deliveryAction',
    cell: (r) => chip(r.deliveryAction, actionTone(r.deliveryAction)),
  },
  {
    key: 'originalLocation',
    label: 'Original location',
    sort: 'originalLocation',
    cell: (r) => locationChip(r.originalLocation),
  },
  {
    key: 'latestLocation',
    label: 'Latest location',
    sort: 'latestLocation',
    cell: (r) => locationChip(r.latestLocation),
  },
  { key: 'detectionType', label: 'Detection type', cell: (r) => r.detectionType },
  { key: 'policy', label: 'Policy', sort: 'policy', cell: (r) => r.policy },
  { key: 'direction', label: 'Direction', sort: 'direction', cell: (r) => r.direction },
  { key: 'override', label: 'Override', cell: (r) => (r.override ? chip(r.override, 'warn') : null) },
  {
    key: 'attachments',
    label: 'Attachments',
    cell: (r) =>
      r.attachments && r.attachments.length
        ? listCell(r.attachments, (a) =>
            h('span', { title: a.sha256 ? `SHA-256 ${a.sha256}` : 'no hash' }, a.name || '(unnamed)'),
          )
        : null,
  },
  {
    key: 'urls',
    label: 'URLs (not clickable)',
    cell: (r) =>
      r.urls && r.urls.length
        ? h(
            'span',
            { class: 'mono small', title: r.urls.join('\n') },
            truncate(r.urls[0], 60),
            r.urls.length > 1 ? ` (+${r.urls.length - 1})` : '',
          )
        : null,
  },
  {
    key: 'networkMessageId',
    label: 'Message',
    cell: (r) =>
      r.networkMessageId ? mailLink(r.tenantId, r.networkMessageId, shortIdText(r.networkMessageId)) : null,
  },
  { key: 'tenant', label: 'Tenant', cell: (r) => tenantCell(r.tenantId) },
];

function shortIdText(id) {
  return id.length > 14 ? id.slice(0, 8) + '…' : id;
}

const EMAIL_DEFAULT_COLS = [
  'time',
  'verdict',
  'recipient',
  'sender',
  'subject',
  'technologies',
  'deliveryAction',
  'latestLocation',
  'networkMessageId',
];

export async function renderEmails(root) {
  root.appendChild(h('h1', null, 'Email detections'));
  root.appendChild(
    h(
      'p',
      { class: 'lede' },
      'Mail with a detection (record 28). Filters are ANDed. Open a row for the record; the message link opens the whole life of the mail.',
    ),
  );
  const filters = h('div', { class: 'filter-slot' });
  const p = panel('emails', 'Mail detections');
  root.append(filters, p.el);
  const keys = EMAIL_FILTERS.map((f) => f.key);
  const t = pagedTable({
    name: 'emails',
    endpoint: '/api/emails',
    columns: emailColumns,
    chooser: true,
    defaultCols: EMAIL_DEFAULT_COLS,
    query: filterQuery(keys),
    rowHref: (r) => eventHref(r.offset),
    what: 'mail detections (record 28)',
    filtered: hasFilters(keys),
    clearHref: clearFiltersHref(keys),
    onData: (data) => {
      clear(filters).appendChild(
        filterBar(EMAIL_FILTERS.map((f) => ({ ...f, values: (data.facets && data.facets[f.key]) || [] }))),
      );
    },
  });
  clear(p.body).appendChild(t.el);
  try {
    const data = await t.load();
    p.setMeta(data.meta);
  } catch {
    /* shown in the table */
  }
}

// ---------- clicks ----------

const CLICK_FILTERS = [
  { key: 'action', label: 'Click action' },
  { key: 'app', label: 'App' },
  { key: 'domain', label: 'Domain' },
];

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function heatGrid(heat) {
  let max = 0;
  for (const row of heat) for (const n of row) max = Math.max(max, n);
  const thead = h(
    'thead',
    null,
    h(
      'tr',
      null,
      h('th', { scope: 'col' }, h('span', { class: 'sr' }, 'Day')),
      Array.from({ length: 24 }, (_, i) =>
        h('th', { scope: 'col', class: 'num' }, String(i).padStart(2, '0')),
      ),
    ),
  );
  const tbody = h(
    'tbody',
    null,
    heat.map((row, d) =>
      h(
        'tr',
        null,
        h('th', { scope: 'row' }, WEEKDAYS[d] || String(d)),
        row.map((n, hr) => {
          const lvl = n === 0 ? 0 : Math.max(1, Math.ceil((5 * n) / Math.max(1, max)));
          return h(
            'td',
            {
              class: `heat l${lvl}`,
              title: `${WEEKDAYS[d]} ${String(hr).padStart(2, '0')}:00 UTC: ${fmtNum(n)} clicks`,
              'data-n': n,
            },
            n ? fmtNum(n) : '',
          );
        }),
      ),
    ),
  );
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { class: 'heatgrid', 'data-table': 'click-heat' },
      h('caption', { class: 'sr' }, 'Clicks by weekday and hour (UTC)'),
      thead,
      tbody,
    ),
  );
}

function urlMatrix(rows, actions) {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { class: 'grid', 'data-table': 'url-by-action' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, 'URL (not clickable)'),
          h('th', { scope: 'col', class: 'num' }, 'Total'),
          actions.map((a) => h('th', { scope: 'col', class: 'num' }, a)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((r) =>
          h(
            'tr',
            { 'data-row': '' },
            h('td', { class: 'wide' }, copyable(r.url, 'mono', 160)),
            h('td', { class: 'num' }, fmtNum(r.total)),
            actions.map((a) => {
              const n = (r.byAction && r.byAction[a]) || 0;
              return h(
                'td',
                { class: 'num' + (n && actionTone(a) === 'bad' ? ' hot' : '') },
                n ? fmtNum(n) : h('span', { class: 'muted' }, '0'),
              );
            }),
          ),
        ),
      ),
    ),
  );
}

export const clickColumns = [
  { key: 'time', label: 'Clicked (UTC)', sort: 'time', time: true, cell: (r) => timeEl(r.time) },
  { key: 'user', label: 'User', sort: 'user', cell: (r) => userLink(r.user) },
  {
    key: 'clickAction',
    sort: 'action',
    label: 'Action',
    cell: (r) => chip(r.clickAction, actionTone(r.clickAction)),
  },
  { key: 'app', label: 'App', sort: 'app', cell: (r) => r.app },
  { key: 'urlDomain', label: 'Domain', cell: (r) => r.urlDomain },
  {
    key: 'url',
    sort: 'url',
    label: 'URL (not clickable)',
    cls: 'wide',
    cell: (r) => copyable(r.url, 'mono', 160),
  },
  {
    key: 'mail',
    label: 'Mail',
    cell: (r) =>
      r.networkMessageId ? mailLink(r.tenantId, r.networkMessageId, shortIdText(r.networkMessageId)) : null,
  },
  { key: 'tenant', label: 'Tenant', cell: (r) => tenantCell(r.tenantId) },
];

export async function renderClicks(root) {
  root.appendChild(h('h1', null, 'Safe Links clicks'));
  root.appendChild(
    h(
      'p',
      { class: 'lede' },
      'Record 41: every click on a wrapped URL, by action and app, with the URLs clicked most and when people click.',
    ),
  );
  const byAction = panel('clicks-by-action', 'By action');
  const byApp = panel('clicks-by-app', 'By app');
  const domains = panel('top-clicked-domains', 'Top clicked domains');
  root.appendChild(h('div', { class: 'grid3' }, byAction.el, byApp.el, domains.el));
  const matrix = panel('url-by-action', 'Top clicked URLs by action');
  root.appendChild(matrix.el);
  const heat = panel('click-heat', 'Clicks by hour of day and weekday (UTC)');
  root.appendChild(heat.el);
  const what = 'Safe Links clicks (record 41)';
  const { filters, rowsDone } = filteredRows(root, {
    name: 'clicks',
    title: 'Clicks',
    endpoint: '/api/clicks/rows',
    columns: clickColumns,
    filterDefs: CLICK_FILTERS,
    what,
  });

  try {
    const data = await api('/api/clicks', commonApi());
    const m = data.meta;
    clear(filters).appendChild(
      filterBar([
        { ...CLICK_FILTERS[0], values: data.byAction },
        { ...CLICK_FILTERS[1], values: data.byApp },
        { ...CLICK_FILTERS[2], values: data.topDomains },
      ]),
    );
    for (const p of [byAction, byApp, domains, matrix, heat]) p.setMeta(m);
    const filterBy = (key) => (value) =>
      update({ [`any.${key}`]: value, [`none.${key}`]: null }, { resetPage: ['page'] });
    clear(byAction.body).appendChild(
      data.byAction.length
        ? barCounts('clicks-by-action', data.byAction, {
            colorOf: (v) => toneColor(actionTone(v)),
            onClick: filterBy('action'),
          })
        : emptyState(m, what),
    );
    if (data.byAction.length)
      byAction.body.appendChild(
        topList('clicks-by-action-list', data.byAction, {
          hrefOf: (v) => pageHrefHere({ 'any.action': v }),
          label: 'Action',
        }),
      );
    clear(byApp.body).appendChild(
      data.byApp.length
        ? barCounts('clicks-by-app', data.byApp, { onClick: filterBy('app') })
        : emptyState(m, what),
    );
    if (data.byApp.length)
      byApp.body.appendChild(
        topList('clicks-by-app-list', data.byApp, {
          hrefOf: (v) => pageHrefHere({ 'any.app': v }),
          label: 'App',
        }),
      );
    clear(domains.body).appendChild(
      data.topDomains.length
        ? topList('top-clicked-domains', data.topDomains, {
            hrefOf: (v) => pageHrefHere({ 'any.domain': v }),
            label: 'Domain',
          })
        : emptyState(m, what),
    );
    const actions = [...new Set(data.urlByAction.flatMap((r) => Object.keys(r.byAction || {})))];
    const order = data.byAction.map((c) => c.value);
    actions.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
    clear(matrix.body).appendChild(
      data.urlByAction.length ? urlMatrix(data.urlByAction, actions) : emptyState(m, what),
    );
    const anyHeat = data.heat && data.heat.some((r) => r.some((n) => n > 0));
    clear(heat.body).appendChild(anyHeat ? heatGrid(data.heat) : emptyState(m, what));
  } catch (err) {
    for (const p of [byAction, byApp, domains, matrix, heat]) showError(p.body, err);
  }
  await rowsDone;
}

function pageHrefHere(extra) {
  return pageHref(document.location.pathname, extra);
}

function toneColor(tone) {
  return tone === 'bad'
    ? verdictColor('malware')
    : tone === 'warn'
      ? verdictColor('spam')
      : tone === 'good'
        ? 'rgb(84,179,153)'
        : verdictColor('other');
}

// ---------- files ----------

const FILE_FILTERS = [
  { key: 'workload', label: 'Workload' },
  { key: 'family', label: 'Malware family' },
  { key: 'site', label: 'Site' },
];

export const fileColumns = [
  { key: 'time', sort: 'time', time: true, label: 'Detected (UTC)', cell: (r) => timeEl(r.time) },
  { key: 'workload', label: 'Workload', cell: (r) => chip(r.workload) },
  {
    key: 'fileName',
    sort: 'fileName',
    label: 'File',
    cls: 'wide',
    cell: (r) => (r.fileName ? h('span', { title: r.path || r.fileName }, truncate(r.fileName, 80)) : null),
  },
  {
    key: 'family',
    sort: 'family',
    label: 'Family',
    cell: (r) => (r.family ? h('span', { class: 'chip v-malware' }, r.family) : null),
  },
  {
    key: 'alsoInMail',
    sort: 'alsoInMail',
    label: 'Also seen in mail',
    num: true,
    cell: (r) => (r.alsoInMail ? chip(`${fmtNum(r.alsoInMail)} mails`, 'bad') : '0'),
  },
  { key: 'sha256', label: 'SHA-256', cell: (r) => (r.sha256 ? copyable(r.sha256, 'mono hash') : null) },
  { key: 'lastModifiedBy', label: 'Last modified by', cell: (r) => userLink(r.lastModifiedBy) },
  {
    key: 'site',
    sort: 'site',
    label: 'Site',
    cell: (r) => (r.site ? h('span', { class: 'mono small', title: r.site }, truncate(r.site, 60)) : null),
  },
  {
    key: 'path',
    label: 'Path',
    cell: (r) => (r.path ? h('span', { class: 'mono small', title: r.path }, truncate(r.path, 60)) : null),
  },
  { key: 'tenant', label: 'Tenant', cell: (r) => tenantCell(r.tenantId) },
];

export async function renderFiles(root) {
  root.appendChild(h('h1', null, 'Files'));
  root.appendChild(
    h(
      'p',
      { class: 'lede' },
      'Record 47: malicious files found in SharePoint, OneDrive and Teams, with the mails that carried the same SHA-256.',
    ),
  );
  const P = FILE_FILTERS.map((f) => ({ f, p: panel(`files-by-${f.key}`, `By ${f.label.toLowerCase()}`) }));
  root.appendChild(
    h(
      'div',
      { class: 'grid3' },
      P.map((x) => x.p.el),
    ),
  );
  const what = 'file detections (record 47)';
  const { filters, rowsDone } = filteredRows(root, {
    name: 'files',
    title: 'File detections',
    endpoint: '/api/files/rows',
    columns: fileColumns,
    filterDefs: FILE_FILTERS,
    what,
  });
  try {
    const data = await api('/api/files', commonApi());
    const by = { workload: data.byWorkload, family: data.byFamily, site: data.bySite };
    clear(filters).appendChild(filterBar(FILE_FILTERS.map((f) => ({ ...f, values: by[f.key] || [] }))));
    for (const { f, p } of P) {
      p.setMeta(data.meta);
      const items = by[f.key] || [];
      clear(p.body).appendChild(
        items.length
          ? topList(`files-by-${f.key}`, items, {
              hrefOf: (v) => pageHrefHere({ [`any.${f.key}`]: v }),
              label: f.label,
            })
          : emptyState(data.meta, what),
      );
    }
  } catch (err) {
    for (const { p } of P) showError(p.body, err);
  }
  await rowsDone;
}

// ---------- investigations ----------

const INV_FILTERS = [
  { key: 'status', label: 'Status' },
  { key: 'type', label: 'Type' },
];

function statusTone(s) {
  const t = String(s || '').toLowerCase();
  if (t.includes('pending')) return 'warn';
  if (t.includes('fail') || t.includes('error')) return 'bad';
  if (
    t.includes('remediated') ||
    t.includes('no threats') ||
    t.includes('completed') ||
    t.includes('resolved')
  )
    return 'good';
  return 'neutral';
}

export const investigationColumns = [
  { key: 'status', sort: 'status', label: 'Status', cell: (r) => chip(r.status, statusTone(r.status)) },
  {
    key: 'pending',
    sort: 'pending',
    label: 'Pending actions',
    num: true,
    cell: (r) =>
      r.pendingActions
        ? h(
            'span',
            null,
            chip(`${fmtNum(r.pendingActions)} waiting`, 'warn'),
            r.pendingSince
              ? h(
                  'span',
                  { class: 'small muted' },
                  ` ${fmtAge((Date.now() - Date.parse(r.pendingSince)) / 1000)}`,
                )
              : null,
          )
        : '0',
  },
  { key: 'name', label: 'Investigation', cls: 'wide', cell: (r) => r.name || r.investigationId },
  { key: 'type', sort: 'type', label: 'Type', cell: (r) => r.type },
  {
    key: 'startTime',
    sort: 'startTime',
    time: true,
    label: 'Started (UTC)',
    cell: (r) => timeEl(r.startTime),
  },
  {
    key: 'lastUpdate',
    sort: 'lastUpdate',
    time: true,
    label: 'Last update (UTC)',
    cell: (r) => timeEl(r.lastUpdate),
  },
  { key: 'actions', label: 'Actions', num: true },
  { key: 'mails', label: 'Mails', num: true },
  { key: 'investigationId', label: 'Id', cell: (r) => shortId(r.investigationId) },
  { key: 'tenant', label: 'Tenant', cell: (r) => tenantCell(r.tenantId) },
];

export async function renderInvestigations(root) {
  root.appendChild(h('h1', null, 'Investigations'));
  root.appendChild(
    h(
      'p',
      { class: 'lede' },
      'Record 64: automated investigations (AIR). Pending approval first; actions expire 7 days after they start waiting.',
    ),
  );
  const byStatus = panel('investigations-by-status', 'By status');
  const byType = panel('investigations-by-type', 'By type');
  const delay = panel('remediation-delay', 'Delay from delivery to remediation');
  root.appendChild(h('div', { class: 'grid3' }, byStatus.el, byType.el, delay.el));
  const what = 'investigations (record 64)';
  const { filters, rowsDone } = filteredRows(root, {
    name: 'investigations',
    title: 'Investigations',
    endpoint: '/api/investigations/rows',
    columns: investigationColumns,
    filterDefs: INV_FILTERS,
    what,
  });
  try {
    const data = await api('/api/investigations', commonApi());
    const m = data.meta;
    clear(filters).appendChild(
      filterBar([
        { ...INV_FILTERS[0], values: data.byStatus },
        { ...INV_FILTERS[1], values: data.byType },
      ]),
    );
    byStatus.setMeta(m);
    byType.setMeta(m);
    delay.setMeta(m);
    clear(byStatus.body).appendChild(
      data.byStatus.length
        ? topList('investigations-by-status', data.byStatus, {
            hrefOf: (v) => pageHrefHere({ 'any.status': v }),
            label: 'Status',
          })
        : emptyState(m, what),
    );
    clear(byType.body).appendChild(
      data.byType.length
        ? topList('investigations-by-type', data.byType, {
            hrefOf: (v) => pageHrefHere({ 'any.type': v }),
            label: 'Type',
          })
        : emptyState(m, what),
    );
    const d = data.remediationDelay;
    clear(delay.body).appendChild(
      d.n
        ? h(
            'div',
            { class: 'tiles small-tiles', 'data-delay': '' },
            h(
              'div',
              { class: 'tile static' },
              h('span', { class: 'tile-n' }, fmtAge(d.medianSeconds)),
              h('span', { class: 'tile-label' }, 'median'),
            ),
            h(
              'div',
              { class: 'tile static' },
              h('span', { class: 'tile-n' }, fmtAge(d.p90Seconds)),
              h('span', { class: 'tile-label' }, '90th percentile'),
            ),
            h(
              'div',
              { class: 'tile static' },
              h('span', { class: 'tile-n' }, fmtNum(d.n)),
              h('span', { class: 'tile-label' }, 'mails remediated'),
            ),
          )
        : emptyState(m, 'mails removed by an investigation'),
    );
  } catch (err) {
    for (const p of [byStatus, byType, delay]) showError(p.body, err);
  }
  await rowsDone;
}

/**
 * A slot for the filter bar and, under it, the page's paged table of records, filtered by the `any.<key>` /
 * `none.<key>` parameters of `filterDefs`; rows open the detail view. `rowsDone` settles once the table loaded.
 */
function filteredRows(root, { name, title, endpoint, columns, filterDefs, what }) {
  const filters = h('div', { class: 'filter-slot' });
  const rows = panel(name, title);
  root.append(filters, rows.el);
  const keys = filterDefs.map((f) => f.key);
  const t = pagedTable({
    name,
    endpoint,
    columns,
    query: filterQuery(keys),
    rowHref: (r) => eventHref(r.offset),
    what,
    filtered: hasFilters(keys),
    clearHref: clearFiltersHref(keys),
  });
  clear(rows.body).appendChild(t.el);
  const rowsDone = t
    .load()
    .then((d) => rows.setMeta(d.meta))
    .catch(() => {});
  return { filters, rowsDone };
}

// ---------- clusters ----------

/** A count of a sampled cluster (counted over its newest 200 records) is a lower bound: "≥ n". */
function atLeastText(r, n) {
  return r.sampled ? `≥ ${fmtNum(n)}` : fmtNum(n);
}

function atLeast(r, n) {
  return h('span', {
    text: atLeastText(r, n),
    title: r.sampled ? 'A large cluster: counted over its newest 200 records' : null,
  });
}

const CLUSTER_BY = [
  { id: 'url', label: 'Shared URL' },
  { id: 'sha256', label: 'Shared attachment (SHA-256)' },
  { id: 'sender-subject', label: 'Sender and subject' },
];

export async function renderClusters(root) {
  const by = CLUSTER_BY.find((b) => b.id === params().get('by')) || CLUSTER_BY[0];
  root.appendChild(h('h1', null, 'Clusters'));
  root.appendChild(
    h(
      'p',
      { class: 'lede' },
      'Campaigns without a Plan 2 licence: mails grouped by what they share, with how many are still in a mailbox, were clicked, or removed.',
    ),
  );
  const tabs = h(
    'div',
    { class: 'tabs', role: 'tablist', 'aria-label': 'Group by' },
    CLUSTER_BY.map((b) => {
      const a = link(pageHref('/clusters', { by: b.id === 'url' ? null : b.id }), b.label);
      a.setAttribute('role', 'tab');
      a.setAttribute('aria-selected', b.id === by.id ? 'true' : 'false');
      a.setAttribute('data-by', b.id);
      if (b.id === by.id) a.classList.add('active');
      return a;
    }),
  );
  root.appendChild(tabs);
  const p = panel('clusters', `Clusters by ${by.label.toLowerCase()}`);
  root.appendChild(p.el);
  const cols = [
    {
      key: 'key',
      label: by.id === 'url' ? 'URL (not clickable)' : by.id === 'sha256' ? 'SHA-256' : 'Sender · subject',
      cls: 'wide',
      cell: (r) => copyable(r.key, by.id === 'sender-subject' ? 'plain' : 'mono', 160),
    },
    { key: 'records', sort: 'records', label: 'Records', num: true },
    { key: 'mails', label: 'Mails', num: true, cell: (r) => atLeast(r, r.mails) },
    { key: 'recipients', label: 'Recipients', num: true, cell: (r) => atLeast(r, r.recipients) },
    {
      key: 'stillInMailbox',
      label: 'Still in a mailbox',
      num: true,
      cell: (r) => (r.stillInMailbox ? chip(atLeastText(r, r.stillInMailbox), 'bad') : '0'),
    },
    {
      key: 'clicked',
      label: 'Clicked',
      num: true,
      cell: (r) => (r.clicked ? chip(atLeastText(r, r.clicked), 'bad') : '0'),
    },
    {
      key: 'removed',
      label: 'Removed',
      num: true,
      cell: (r) => (r.removed ? chip(atLeastText(r, r.removed), 'good') : '0'),
    },
    { key: 'firstSeen', label: 'First seen (UTC)', cell: (r) => timeEl(r.firstSeen) },
    { key: 'lastSeen', label: 'Last seen (UTC)', cell: (r) => timeEl(r.lastSeen) },
  ];
  const t = pagedTable({
    name: 'clusters',
    endpoint: '/api/clusters',
    columns: cols,
    query: new Map([['by', by.id]]),
    rowHref: (r) => eventHref(r.sampleOffset),
    what: `clusters of mails sharing ${by.label.toLowerCase()}`,
  });
  clear(p.body).appendChild(t.el);
  try {
    const data = await t.load();
    p.setMeta(data.meta);
    // Rows open a sample mail; keep the sample offset visible to tests.
    for (const tr of t.el.querySelectorAll('tbody tr')) {
      const href = tr.getAttribute('data-open');
      if (href) tr.setAttribute('data-sample-offset', href.split('/').pop());
    }
  } catch {
    /* shown */
  }
}
