/* global document, location */
// Overview (home, with the three worklists on top), Worklists, Health and Fleet.

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
  ui,
} from './dom.js';
import { params, api, commonApi, pageHref, update, navigate, isAbort } from './state.js';
import {
  panel,
  showError,
  emptyState,
  pagedTable,
  table,
  topList,
  tile,
  tenantCell,
  tenantName,
  freshness,
} from './widgets.js';
import { stackedTime, verdictColor, paletteColor } from './charts.js';

// ---------- shared cells ----------

export function userLink(user) {
  if (!user) return muted('—');
  return link(pageHref('/user', { user }), user);
}

export function mailLink(tenantId, nmid, text) {
  if (!nmid) return text ? h('span', null, text) : muted('—');
  return link(pageHref('/email', { tenant: tenantId, nmid }), text || nmid);
}

function subjectCell(tenantId, nmid, subject) {
  const t = subject ? truncate(subject, 90) : '(no subject)';
  const el = mailLink(tenantId, nmid, t);
  if (subject) el.setAttribute('title', subject);
  return el;
}

function ageChip(seconds, warnAt, badAt) {
  const tone = seconds >= badAt ? 'bad' : seconds >= warnAt ? 'warn' : 'neutral';
  return chip(fmtAge(seconds), tone);
}

// ---------- worklists ----------

export const inboxedColumns = [
  { key: 'age', label: 'Age', sort: 'age', num: true, cell: (r) => ageChip(r.ageSeconds, 3600, 86400) },
  {
    key: 'deliveredAt',
    label: 'Delivered (UTC)',
    sort: 'deliveredAt',
    time: true,
    cell: (r) => timeEl(r.deliveredAt),
  },
  { key: 'recipient', label: 'Recipient', sort: 'recipient', cell: (r) => userLink(r.recipient) },
  { key: 'verdict', label: 'Verdict', sort: 'verdict', cell: (r) => verdictChip(r.verdict) },
  {
    key: 'latestLocation',
    label: 'Where now',
    sort: 'latestLocation',
    cell: (r) => locationChip(r.latestLocation),
  },
  {
    key: 'subject',
    label: 'Subject',
    cls: 'wide',
    cell: (r) => subjectCell(r.tenantId, r.networkMessageId, r.subject),
  },
  { key: 'sender', label: 'Sender', cell: (r) => r.sender },
  {
    key: 'clicks',
    label: 'Clicks',
    sort: 'clicks',
    num: true,
    cell: (r) => (r.clicks > 0 ? chip(fmtNum(r.clicks) + ' clicked', 'bad') : '0'),
  },
  { key: 'tenant', label: 'Tenant', cell: (r) => tenantCell(r.tenantId) },
];

function mailStatus(r) {
  if (!r.mail) return muted('mail not known');
  if (r.mail.removedAt) return h('span', null, chip('Removed', 'good'), ' ', timeEl(r.mail.removedAt));
  return chip('Still in mailbox', 'bad');
}

export const clickThroughColumns = [
  { key: 'time', label: 'Clicked (UTC)', sort: 'time', time: true, cell: (r) => timeEl(r.time) },
  { key: 'user', label: 'User', sort: 'user', cell: (r) => userLink(r.user) },
  {
    key: 'repeat',
    label: 'Repeats',
    title: 'Click-throughs by the same user in the range (repeat clickers)',
    num: true,
    cell: (r) =>
      r.userClickThroughs > 1
        ? h('span', null, chip('repeat', 'bad'), ' ', fmtNum(r.userClickThroughs))
        : fmtNum(r.userClickThroughs),
  },
  {
    key: 'mail',
    label: 'Mail',
    cell: (r) => (r.mail ? subjectCell(r.tenantId, r.mail.networkMessageId, r.mail.subject) : muted('—')),
  },
  { key: 'mailStatus', label: 'Mail now', cell: mailStatus },
  { key: 'clickAction', label: 'Action', cell: (r) => chip(r.clickAction, actionTone(r.clickAction)) },
  { key: 'app', label: 'App', sort: 'app', cell: (r) => r.app },
  {
    key: 'url',
    label: 'URL (not clickable)',
    cell: (r) => copyable(r.url, 'mono', 48),
  },
  { key: 'tenant', label: 'Tenant', cell: (r) => tenantCell(r.tenantId) },
];

function expiresCell(r) {
  if (r.expiresInSeconds < 0) return chip(`expired ${fmtAge(-r.expiresInSeconds)} ago`, 'bad');
  return chip(
    `in ${fmtAge(r.expiresInSeconds)}`,
    r.expiresInSeconds < 86400 ? 'bad' : r.expiresInSeconds < 3 * 86400 ? 'warn' : 'neutral',
  );
}

export const approvalColumns = [
  {
    key: 'waiting',
    label: 'Waiting',
    sort: 'waiting',
    num: true,
    cell: (r) => ageChip(r.waitingSeconds, 4 * 3600, 86400),
  },
  { key: 'pendingSince', label: 'Since (UTC)', cell: (r) => timeEl(r.pendingSince) },
  { key: 'expires', label: 'Actions expire', cell: expiresCell },
  { key: 'name', label: 'Investigation', cls: 'wide', cell: (r) => r.name || r.investigationId },
  { key: 'type', label: 'Type', sort: 'type', cell: (r) => r.type },
  { key: 'status', label: 'Status', cell: (r) => chip(r.status, 'warn') },
  { key: 'pendingActions', label: 'Pending actions', sort: 'pendingActions', num: true },
  { key: 'mails', label: 'Mails', num: true },
  { key: 'tenant', label: 'Tenant', cell: (r) => tenantCell(r.tenantId) },
];

const WORKLISTS = [
  {
    name: 'inboxed',
    title: 'Still in a mailbox',
    endpoint: '/api/worklists/inboxed',
    columns: inboxedColumns,
    what: 'threat mail still in a mailbox (Inbox or Junk, not removed)',
    help: 'Threat mail whose latest location is Inbox or Junk with no later ZAP, removal or successful investigation. Oldest first is the queue to work.',
    compact: [
      'age',
      'deliveredAt',
      'recipient',
      'verdict',
      'latestLocation',
      'subject',
      'sender',
      'clicks',
      'tenant',
    ],
  },
  {
    name: 'click-throughs',
    title: 'Click-throughs',
    endpoint: '/api/worklists/click-throughs',
    columns: clickThroughColumns,
    what: 'Safe Links click-throughs (record 41: a user went past a block or pending page)',
    help: 'Users who clicked through a Safe Links warning or pending page, joined to the mail that carried the URL and whether it was removed later.',
    compact: ['time', 'user', 'repeat', 'clickAction', 'url', 'mail', 'mailStatus', 'tenant'],
  },
  {
    name: 'approvals',
    title: 'Waiting for approval',
    endpoint: '/api/worklists/approvals',
    columns: approvalColumns,
    what: 'investigations (record 64) with actions waiting for approval',
    help: 'Automated investigations whose remediation actions wait for an analyst. Actions expire 7 days after they started waiting.',
    compact: ['waiting', 'expires', 'name', 'type', 'pendingActions', 'mails', 'tenant'],
  },
];

/** The three worklists, compact (5 rows) on the overview, full on /worklists. */
function worklistPanel(w, { compact }) {
  const p = panel(compact ? `worklist-${w.name}` : w.name, w.title, {
    help: compact ? null : w.help,
    cls: compact ? 'compact' : '',
    actions: compact ? link(pageHref('/worklists') + '#' + w.name, 'Open the worklist →') : null,
  });
  p.el.id = compact ? `wl-${w.name}` : w.name;
  const cols = compact ? w.columns.filter((c) => w.compact.includes(c.key)) : w.columns;
  const t = pagedTable({
    name: w.name,
    endpoint: w.endpoint,
    prefix: compact ? `${w.name}.` : `${w.name}.`,
    columns: cols.map((c) => (compact ? { ...c, sort: undefined } : c)),
    defaultSize: compact ? 5 : 25,
    rowHref: (r) => eventHref(r.offset),
    what: w.what,
  });
  clear(p.body).appendChild(t.el);
  const done = t
    .load()
    .then((data) => {
      p.setMeta(data.meta);
      if (compact) {
        // The pager is noise in the compact view: replace it with the count.
        const pager = t.el.querySelector('.pager');
        if (pager) pager.remove();
        const chooser = t.el.querySelector('[data-csv]');
        if (chooser) chooser.remove();
      }
    })
    .catch(() => {});
  return { el: p.el, done };
}

export async function renderWorklists(root) {
  root.appendChild(h('h1', null, 'Worklists'));
  root.appendChild(
    h(
      'p',
      { class: 'lede' },
      'What to work on: threat mail still in a mailbox, users who clicked through a warning, and investigations waiting for your approval.',
    ),
  );
  const nav = h(
    'nav',
    { class: 'subnav', 'aria-label': 'Worklists' },
    WORKLISTS.map((w) => h('a', { href: '#' + w.name }, w.title)),
  );
  root.appendChild(nav);
  const parts = WORKLISTS.map((w) => worklistPanel(w, { compact: false }));
  for (const pt of parts) root.appendChild(pt.el);
  await Promise.all(parts.map((pt) => pt.done));
  if (location.hash) {
    const t = document.getElementById(location.hash.slice(1));
    if (t) t.scrollIntoView();
  }
}

// ---------- overview ----------

const PIVOTS = [
  { id: 'verdict', label: 'Verdict', filter: 'verdict' },
  { id: 'technology', label: 'Detection technology', filter: 'technology' },
  { id: 'action', label: 'Delivery action', filter: 'deliveryAction' },
  { id: 'location', label: 'Delivery location', filter: 'originalLocation' },
  { id: 'policy', label: 'Policy', filter: 'policy' },
  { id: 'direction', label: 'Direction', filter: 'direction' },
];

export async function renderOverview(root) {
  const tenant = params().get('tenant');
  root.appendChild(
    h('h1', null, 'Overview', tenant ? h('span', { class: 'h1-sub' }, ' · ' + tenantName(tenant)) : null),
  );

  // Headline tiles, then the worklists: what to work on this morning.
  const pivot = PIVOTS.find((x) => x.id === params().get('pivot')) || PIVOTS[0];
  const tilesP = h(
    'div',
    { class: 'tiles', 'data-panel': 'tiles' },
    h('div', { class: 'loading' }, 'Loading…'),
  );
  root.appendChild(tilesP);
  const wl = WORKLISTS.map((w) => worklistPanel(w, { compact: true }));
  root.appendChild(
    h(
      'div',
      { class: 'worklists', 'data-panel': 'worklists' },
      wl.map((x) => x.el),
    ),
  );

  const pivotSel = h(
    'select',
    { id: 'pivot', 'aria-label': 'Break down by' },
    PIVOTS.map((x) => h('option', { value: x.id, selected: x.id === pivot.id }, x.label)),
  );
  pivotSel.addEventListener('change', () =>
    update({ pivot: pivotSel.value === 'verdict' ? null : pivotSel.value }),
  );
  const det = panel('detections', 'Mail detections over time', {
    actions: h('label', { class: 'inline' }, 'Break down by ', pivotSel),
    help: 'Record 28 (mail with a detection). Click a bar to open those mails.',
  });
  const outcome = panel('outcome', 'What happened to detected threat mail', {
    help: 'Threat mail first seen in the range, by outcome: stopped at delivery, delivered (inbox or junk), removed after delivery, or still there.',
  });
  root.appendChild(h('div', { class: 'grid2 wide-left' }, det.el, outcome.el));

  const TOPS = [
    {
      key: 'recipients',
      title: 'Top targeted recipients',
      label: 'Recipient',
      href: (v) => pageHref('/user', { user: v }),
      count: (v) => pageHref('/emails', { 'any.recipient': v }),
    },
    {
      key: 'senderDomains',
      title: 'Top sender domains',
      label: 'Domain',
      href: (v) => pageHref('/emails', { 'any.senderDomain': v }),
    },
    { key: 'senderIps', title: 'Top sender IPs', label: 'IP', href: (v) => pageHref('/emails', { q: v }) },
    {
      key: 'malwareFamilies',
      title: 'Top malware families',
      label: 'Family',
      href: (v) => pageHref('/files', { 'any.family': v }),
      count: (v) => pageHref('/emails', { q: v }),
    },
    {
      key: 'clickedDomains',
      title: 'Top clicked domains',
      label: 'Domain',
      href: (v) => pageHref('/clicks', { 'any.domain': v }),
    },
  ];
  const topPanels = TOPS.map((t) => ({ t, p: panel(`top-${t.key}`, t.title) }));
  const overrides = panel('overrides', 'Threats delivered because of an override', {
    help: 'Risky allows: transport rules, allow lists, safe senders, SecOps mailbox, phishing simulation.',
  });
  root.appendChild(
    h(
      'div',
      { class: 'grid3 tops' },
      topPanels.map((x) => x.p.el),
      overrides.el,
    ),
  );

  const health = panel('health', 'Collection health', { actions: link(pageHref('/health'), 'Details →') });
  const sinks = panel('sinks', 'Sinks');
  root.appendChild(h('div', { class: 'grid2' }, health.el, sinks.el));

  let data;
  try {
    data = await api('/api/overview', new Map([...commonApi(), ['pivot', pivot.id]]));
  } catch (err) {
    if (isAbort(err)) return;
    for (const p of [det, outcome, overrides, health, sinks, ...topPanels.map((x) => x.p)])
      showError(p.body, err);
    showError(tilesP, err);
    return;
  }
  const m = data.meta;

  // Tiles: each opens its list.
  const T = data.tiles;
  clear(tilesP).append(
    tile('mailDetections', 'Mail detections', T.mailDetections, pageHref('/emails')),
    tile(
      'stillInMailbox',
      'Still in a mailbox',
      T.stillInMailbox,
      pageHref('/worklists') + '#inboxed',
      T.stillInMailbox ? 'bad' : '',
    ),
    tile(
      'clickThroughs',
      'Click-throughs',
      T.clickThroughs,
      pageHref('/worklists') + '#click-throughs',
      T.clickThroughs ? 'bad' : '',
    ),
    tile(
      'pendingApprovals',
      'Waiting for approval',
      T.pendingApprovals,
      pageHref('/worklists') + '#approvals',
      T.pendingApprovals ? 'warn' : '',
    ),
    tile('fileDetections', 'File detections', T.fileDetections, pageHref('/files')),
    tile('investigations', 'Investigations', T.investigations, pageHref('/investigations')),
    h('div', { class: 'tiles-fresh' }, freshness(m)),
  );

  // Detections over time.
  det.setMeta(m);
  clear(det.body);
  const series = data.detections;
  const total = series.lines.reduce((s, l) => s + l.counts.reduce((a, b) => a + b, 0), 0);
  if (!total) det.body.appendChild(emptyState(m, 'mail detections (record 28)'));
  else {
    const isVerdict = series.pivot === 'verdict';
    det.body.appendChild(
      stackedTime('detections', series, {
        colorOf: (v, i) =>
          isVerdict
            ? verdictColor(v === 'Other' ? 'other' : v)
            : v === 'Other'
              ? verdictColor('other')
              : paletteColor(i),
        labelOf: (v) => (isVerdict ? verdictLabel(v) : v),
        onClick: (value, bucket, width) => {
          const q = {
            range: 'custom',
            from: new Date(bucket).toISOString(),
            to: new Date(bucket + width).toISOString(),
          };
          if (value !== 'Other') q[`any.${pivot.filter}`] = value;
          navigate(ui('/emails', new Map([...globalMap(), ...Object.entries(q)])));
        },
      }),
    );
  }

  // Outcome.
  outcome.setMeta(m);
  clear(outcome.body).appendChild(outcomeBars(data.outcome, m));

  // Top-N.
  for (const { t, p } of topPanels) {
    p.setMeta(m);
    clear(p.body);
    const items = data.top[t.key] || [];
    if (!items.length) p.body.appendChild(emptyState(m, t.title.replace(/^Top /, '').toLowerCase()));
    else
      p.body.appendChild(
        topList(`top-${t.key}`, items, { hrefOf: t.href, countHref: t.count || t.href, label: t.label }),
      );
  }

  // Overrides.
  overrides.setMeta(m);
  clear(overrides.body);
  if (!data.overrides.length)
    overrides.body.appendChild(emptyState(m, 'threat mail delivered because of an override'));
  else
    overrides.body.appendChild(
      topList('overrides', data.overrides, {
        hrefOf: (v) => pageHref('/emails', { 'any.override': v }),
        label: 'Override',
      }),
    );

  // Health and sinks.
  health.setMeta(m);
  clear(health.body).appendChild(healthTable(data.health, { compact: true }));
  sinks.setMeta(m);
  clear(sinks.body).appendChild(sinksTable(data.sinks, { compact: true }));
  await Promise.all(wl.map((x) => x.done));
}

function globalMap() {
  const p = params();
  const out = new Map();
  const t = p.get('tenant');
  if (t) out.set('tenant', t);
  const q = p.get('q');
  if (q) out.set('q', q);
  return out;
}

/**
 * The outcome counts messages (one mail, whatever number of records it has), so only "Still there" links to
 * a list with the same count (the inboxed worklist); the email table lists records.
 */
function outcomeBars(o, meta) {
  const rows = [
    {
      key: 'blocked',
      label: 'Blocked at delivery',
      n: o.blocked,
      tone: 'good',
      href: null,
    },
    {
      key: 'delivered',
      label: 'Delivered to inbox',
      n: o.delivered,
      tone: 'bad',
      href: null,
    },
    {
      key: 'junked',
      label: 'Delivered to junk',
      n: o.junked,
      tone: 'warn',
      href: null,
    },
    {
      key: 'removedAfterDelivery',
      label: 'Removed after delivery',
      n: o.removedAfterDelivery,
      tone: 'good',
      href: null,
    },
    {
      key: 'stillThere',
      label: 'Still there',
      n: o.stillThere,
      tone: 'bad',
      href: pageHref('/worklists') + '#inboxed',
    },
  ];
  const sum = o.blocked + o.delivered + o.junked;
  if (!sum && !o.stillThere && !o.removedAfterDelivery) return emptyState(meta, 'detected threat mail');
  const max = Math.max(1, ...rows.map((r) => r.n));
  return h(
    'table',
    { class: 'grid outcome', 'data-table': 'outcome' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'Outcome'),
        h('th', { scope: 'col', class: 'num' }, 'Mails'),
        h('th', { scope: 'col', class: 'num' }, 'Share'),
        h('th', { scope: 'col' }, h('span', { class: 'sr' }, 'Bar')),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((r) => {
        const bar = h('span', { class: `bar t-${r.tone}`, 'aria-hidden': 'true' });
        bar.style.width = `${Math.max(r.n ? 2 : 0, Math.round((100 * r.n) / max))}%`;
        const share = sum ? `${Math.round((100 * r.n) / sum)}%` : '—';
        return h(
          'tr',
          { 'data-outcome': r.key },
          h(
            'td',
            null,
            r.href ? link(r.href, r.label) : r.label,
            r.key === 'removedAfterDelivery' || r.key === 'stillThere'
              ? h('span', { class: 'muted small' }, ' (of delivered)')
              : null,
          ),
          h('td', { class: 'num' }, fmtNum(r.n)),
          h('td', { class: 'num' }, share),
          h('td', { class: 'barcell wide' }, bar),
        );
      }),
    ),
  );
}

function lagChip(s) {
  if (s === null || s === undefined) return chip('not listed yet', 'warn');
  return chip(fmtAge(s), s > 6 * 3600 ? 'bad' : s > 3600 ? 'warn' : 'good');
}

function dropsCell(d) {
  const entries = Object.entries(d || {}).filter(([, n]) => n > 0);
  if (!entries.length) return '0';
  const total = entries.reduce((s, [, n]) => s + n, 0);
  const el = h(
    'span',
    null,
    chip(fmtNum(total), 'bad'),
    ' ',
    h('span', { class: 'small' }, entries.map(([k, n]) => `${k}: ${fmtNum(n)}`).join(', ')),
  );
  return el;
}

function errorCell(err, at) {
  if (!err) return muted('none');
  return h(
    'span',
    { class: 'err-text', title: err },
    truncate(err, 120),
    at ? h('span', { class: 'muted small' }, ' (', timeEl(at), ')') : null,
  );
}

export function healthTable(rows, { compact = false } = {}) {
  if (!rows.length)
    return h(
      'div',
      { class: 'empty', 'data-empty': '' },
      h('p', null, 'No tenant or content type is configured for collection in this view.'),
    );
  const cols = [
    { key: 'tenant', label: 'Tenant', cell: (r) => tenantCell(r.tenantId) },
    { key: 'contentType', label: 'Content type', cell: (r) => r.contentType },
    { key: 'lag', label: 'Lag', cell: (r) => lagChip(r.lagSeconds) },
    { key: 'cursor', label: 'Complete to (UTC)', cell: (r) => timeEl(r.cursor) },
    { key: 'records', label: 'Records', num: true },
    {
      key: 'invalid',
      label: 'Invalid',
      num: true,
      cell: (r) => (r.invalidRecords ? chip(fmtNum(r.invalidRecords), 'warn') : '0'),
    },
    { key: 'pending', label: 'Blobs pending', num: true, cell: (r) => fmtNum(r.blobsPending) },
    { key: 'drops', label: 'Drops', cell: (r) => dropsCell(r.blobsDropped) },
    { key: 'error', label: 'Last error', cls: 'wrap', cell: (r) => errorCell(r.lastError, r.lastErrorAt) },
  ];
  const shown = compact
    ? cols.filter((c) => ['tenant', 'contentType', 'lag', 'drops', 'error'].includes(c.key))
    : cols;
  return h(
    'div',
    { class: 'scroll' },
    table('health', shown, rows, {
      rowAttrs: (r) => ({ 'data-tenant': r.tenantId, 'data-content-type': r.contentType }),
    }),
  );
}

export function sinksTable(rows, { compact = false } = {}) {
  if (!rows.length)
    return h('div', { class: 'empty', 'data-empty': '' }, h('p', null, 'No sink is configured.'));
  const cols = [
    { key: 'sink', label: 'Sink', cell: (r) => r.sink },
    {
      key: 'state',
      label: 'State',
      cell: (r) => chip(r.state, /ok|run|healthy|up|idle/i.test(r.state) ? 'good' : 'bad'),
    },
    { key: 'lagEvents', label: 'Lag (events)', num: true },
    { key: 'lagSeconds', label: 'Lag', cell: (r) => lagChip(r.lagSeconds) },
    { key: 'delivered', label: 'Delivered', num: true },
    {
      key: 'deadLetterOpen',
      label: 'Dead letters',
      num: true,
      cell: (r) => (r.deadLetterOpen ? chip(fmtNum(r.deadLetterOpen), 'bad') : '0'),
    },
    { key: 'lastDeliveredAt', label: 'Last delivery (UTC)', cell: (r) => timeEl(r.lastDeliveredAt) },
    { key: 'error', label: 'Last error', cls: 'wrap', cell: (r) => errorCell(r.lastError, null) },
  ];
  const shown = compact
    ? cols.filter((c) => ['sink', 'state', 'lagEvents', 'lagSeconds', 'deadLetterOpen'].includes(c.key))
    : cols;
  return h(
    'div',
    { class: 'scroll' },
    table('sinks', shown, rows, { rowAttrs: (r) => ({ 'data-sink': r.sink }) }),
  );
}

// ---------- health ----------

export async function renderHealth(root) {
  root.appendChild(h('h1', null, 'Collection health'));
  root.appendChild(
    h(
      'p',
      { class: 'lede' },
      'Per tenant and content type: how far behind collection is, what was dropped, the last error; and how far behind each sink is.',
    ),
  );
  const streams = panel('health', 'Tenants and content types');
  const sinks = panel('sinks', 'Sinks');
  const about = panel('about', 'Store');
  root.append(streams.el, sinks.el, about.el);
  try {
    const [data, meta] = await Promise.all([
      api('/api/overview', commonApi()),
      api('/api/meta', commonApi()),
    ]);
    streams.setMeta(data.meta);
    clear(streams.body).appendChild(healthTable(data.health));
    sinks.setMeta(data.meta);
    clear(sinks.body).appendChild(sinksTable(data.sinks));
    about.setMeta(meta.meta);
    const mm = meta.meta;
    clear(about.body).appendChild(
      h(
        'dl',
        { class: 'kv' },
        h('dt', null, 'Version'),
        h('dd', null, meta.version),
        h('dt', null, 'Records in the reports'),
        h(
          'dd',
          null,
          `${fmtNum(mm.projectedOffset)} of ${fmtNum(mm.lastOffset)} stored`,
          mm.behind ? [' ', chip(`${fmtNum(mm.behind)} behind`, 'warn')] : [' ', chip('caught up', 'good')],
        ),
        h('dt', null, 'Collection complete to'),
        h('dd', null, mm.completeTo ? [timeEl(mm.completeTo), ' UTC'] : 'not listed yet'),
        h('dt', null, 'Oldest / newest event'),
        h('dd', null, timeEl(meta.oldest), ' / ', timeEl(meta.newest)),
        h('dt', null, 'Tenants'),
        h('dd', null, fmtNum(meta.tenants.length)),
      ),
    );
  } catch (err) {
    for (const p of [streams, sinks, about]) showError(p.body, err);
  }
}

// ---------- fleet ----------

export async function renderFleet(root) {
  root.appendChild(h('h1', null, 'Fleet'));
  root.appendChild(
    h('p', { class: 'lede' }, 'Every tenant side by side. Open a row to see that tenant’s overview.'),
  );
  const p = panel('fleet', 'Tenants');
  root.appendChild(p.el);
  try {
    const q = commonApi();
    q.delete('tenant');
    const data = await api('/api/fleet', q);
    p.setMeta(data.meta);
    clear(p.body);
    if (!data.rows.length) {
      p.body.appendChild(emptyState(data.meta, 'tenants'));
      return;
    }
    const cols = [
      {
        key: 'name',
        label: 'Tenant',
        cell: (r) =>
          h(
            'span',
            null,
            h('strong', null, r.name || r.tenantId),
            r.name ? h('span', { class: 'muted small mono' }, ' ' + r.tenantId) : null,
          ),
      },
      { key: 'mailDetections', label: 'Mail detections', num: true },
      {
        key: 'stillInMailbox',
        label: 'Still in a mailbox',
        num: true,
        cell: (r) => (r.stillInMailbox ? chip(fmtNum(r.stillInMailbox), 'bad') : '0'),
      },
      {
        key: 'clickThroughs',
        label: 'Click-throughs',
        num: true,
        cell: (r) => (r.clickThroughs ? chip(fmtNum(r.clickThroughs), 'bad') : '0'),
      },
      {
        key: 'pendingApprovals',
        label: 'Waiting for approval',
        num: true,
        cell: (r) => (r.pendingApprovals ? chip(fmtNum(r.pendingApprovals), 'warn') : '0'),
      },
      { key: 'fileDetections', label: 'File detections', num: true },
      { key: 'lag', label: 'Worst lag', cell: (r) => lagChip(r.lagSeconds) },
      { key: 'lastError', label: 'Last error', cls: 'wrap', cell: (r) => errorCell(r.lastError, null) },
    ];
    p.body.appendChild(
      h(
        'div',
        { class: 'scroll' },
        table('fleet', cols, data.rows, {
          rowHref: (r) => pageHref('/', { tenant: r.tenantId }),
          rowAttrs: (r) => ({ 'data-tenant': r.tenantId }),
        }),
      ),
    );
  } catch (err) {
    showError(p.body, err);
  }
}
