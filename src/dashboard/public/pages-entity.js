/* global location, window */
// The email page (one message's whole life), the user page, and the detail view of one record.

import {
  h,
  append,
  clear,
  link,
  fmtNum,
  timeEl,
  chip,
  actionTone,
  copyable,
  muted,
  portalLink,
  rawVerdictChip,
  locationChip,
  eventHref,
  copyButton,
} from './dom.js';
import { params, api, pageHref, rangeBounds } from './state.js';
import { panel, showError, table, tenantCell, shared } from './widgets.js';
import { userLink } from './pages-overview.js';

const KIND_LABEL = { email: 'Mail', 'url-click': 'Click', file: 'File', investigation: 'Investigation' };

function timelineTable(name, entries) {
  if (!entries.length)
    return h('div', { class: 'empty', 'data-empty': '' }, h('p', null, 'Nothing on the timeline.'));
  const cols = [
    { key: 'time', label: 'Time (UTC)', cell: (r) => timeEl(r.time) },
    {
      key: 'kind',
      label: 'Kind',
      cell: (r) => h('span', { class: `chip k-${r.kind}` }, KIND_LABEL[r.kind] || r.kind),
    },
    { key: 'action', label: 'What', cell: (r) => chip(r.action, actionTone(r.action)) },
    { key: 'summary', label: 'Summary', cls: 'wrap', cell: (r) => r.summary },
  ];
  const LIMIT = 200;
  const wrap = h('div', { class: 'scroll' });
  const draw = (all) => {
    clear(wrap).appendChild(
      table(name, cols, all ? entries : entries.slice(0, LIMIT), { rowHref: (r) => eventHref(r.offset) }),
    );
    if (!all && entries.length > LIMIT) {
      const more = h(
        'button',
        { type: 'button', class: 'btn', 'data-show-all': '' },
        `Show all ${fmtNum(entries.length)} entries`,
      );
      more.addEventListener('click', () => draw(true));
      wrap.appendChild(h('p', null, `${fmtNum(LIMIT)} of ${fmtNum(entries.length)} entries shown. `, more));
    }
  };
  draw(false);
  return wrap;
}

function scrollTable(...args) {
  return h('div', { class: 'scroll' }, table(...args));
}

function kv(pairs) {
  const dl = h('dl', { class: 'kv' });
  for (const [k, v] of pairs) {
    dl.appendChild(h('dt', null, k));
    const dd = h('dd');
    if (v === null || v === undefined || v === '') dd.appendChild(muted('—'));
    else if (v instanceof window.Node) dd.appendChild(v);
    else if (Array.isArray(v)) append(dd, v);
    else dd.textContent = String(v);
    dl.appendChild(dd);
  }
  return dl;
}

// ---------- email page ----------

export async function renderEmail(root) {
  const p = params();
  const tenant = p.get('tenant');
  const nmid = p.get('nmid');
  root.appendChild(h('h1', null, 'Email'));
  if (!nmid) {
    root.appendChild(
      h(
        'div',
        { class: 'error', role: 'alert', 'data-error': '' },
        'This page needs a message: /email?tenant=<tenant id>&nmid=<NetworkMessageId>.',
      ),
    );
    return;
  }
  const head = panel('message', 'Message');
  root.appendChild(head.el);
  let m;
  try {
    const q = new Map([['nmid', nmid]]);
    if (tenant) q.set('tenant', tenant);
    m = await api('/api/message', q);
  } catch (err) {
    showError(head.body, err);
    return;
  }
  head.setMeta(m.meta);
  root.querySelector('h1').textContent = m.subject ? `Email: ${m.subject}` : 'Email (no subject)';

  clear(head.body).append(
    h(
      'div',
      { class: 'grid2' },
      kv([
        ['Subject', m.subject],
        ['Sender', m.sender],
        ['Sender IP', m.senderIp ? copyable(m.senderIp) : null],
        [
          'Recipients',
          m.recipients.length
            ? h(
                'span',
                { class: 'list' },
                m.recipients.map((r, i) => [i ? ', ' : '', userLink(r)]),
              )
            : null,
        ],
        ['Tenant', tenantCell(m.tenantId)],
        ['Portal', portalLink(m.deepLink)],
      ]),
      kv([
        ['Network message id', copyable(m.networkMessageId)],
        ['Internet message id', copyable(m.internetMessageId)],
        ['Original verdict', rawVerdictChip(m.originalVerdict)],
        ['Latest verdict', rawVerdictChip(m.latestVerdict)],
        ['Delivery action', chip(m.deliveryAction, actionTone(m.deliveryAction))],
        ['Original location', locationChip(m.originalLocation)],
        ['Latest location', locationChip(m.latestLocation)],
      ]),
    ),
  );
  head.el.setAttribute('data-nmid', m.networkMessageId);

  const tl = panel('timeline', 'Timeline');
  tl.setMeta(m.meta);
  clear(tl.body).appendChild(timelineTable('timeline', m.timeline));
  root.appendChild(tl.el);

  const ov = panel('overrides', 'Overrides');
  clear(ov.body).appendChild(
    m.overrides.length
      ? scrollTable(
          'overrides',
          [
            { key: 'reason', label: 'Reason', cell: (r) => (r.reason ? chip(r.reason, 'warn') : null) },
            { key: 'source', label: 'Source', cell: (r) => r.source },
          ],
          m.overrides,
        )
      : h(
          'div',
          { class: 'empty', 'data-empty': '' },
          h('p', null, 'No override: the verdict was not overridden by a rule, allow list or safe sender.'),
        ),
  );
  const auth = panel('authentication', 'Authentication');
  clear(auth.body).appendChild(
    m.authentication.length
      ? scrollTable(
          'authentication',
          [
            { key: 'name', label: 'Check', cell: (r) => r.name },
            {
              key: 'value',
              label: 'Result',
              cell: (r) =>
                chip(
                  r.value,
                  /^(pass|none)$/i.test(r.value)
                    ? r.value.toLowerCase() === 'pass'
                      ? 'good'
                      : 'neutral'
                    : /fail/i.test(r.value)
                      ? 'bad'
                      : 'warn',
                ),
            },
          ],
          m.authentication,
        )
      : h(
          'div',
          { class: 'empty', 'data-empty': '' },
          h('p', null, 'The record carries no authentication results.'),
        ),
  );
  root.appendChild(h('div', { class: 'grid2' }, ov.el, auth.el));

  const att = panel('attachments', 'Attachments');
  clear(att.body).appendChild(
    m.attachments.length
      ? scrollTable(
          'attachments',
          [
            { key: 'name', label: 'File name', cell: (r) => r.name || muted('(unnamed)') },
            {
              key: 'family',
              label: 'Family',
              cell: (r) => (r.family ? h('span', { class: 'chip v-malware' }, r.family) : null),
            },
            { key: 'sha256', label: 'SHA-256', cell: (r) => copyable(r.sha256, 'mono hash') },
          ],
          m.attachments,
        )
      : h('div', { class: 'empty', 'data-empty': '' }, h('p', null, 'No attachments.')),
  );
  const urls = panel('urls', 'URLs (shown as text, never as links)');
  for (const x of [ov, auth, att, urls]) x.setMeta(m.meta);
  clear(urls.body).appendChild(
    m.urls.length
      ? h(
          'ul',
          { class: 'urls', 'data-table': 'urls' },
          m.urls.map((u) => h('li', null, copyable(u))),
        )
      : h('div', { class: 'empty', 'data-empty': '' }, h('p', null, 'No URLs.')),
  );
  root.appendChild(h('div', { class: 'grid2' }, att.el, urls.el));
}

// ---------- user page ----------

export async function renderUser(root) {
  const user = params().get('user');
  root.appendChild(h('h1', null, user ? `User: ${user}` : 'User'));
  if (!user) {
    root.appendChild(
      h(
        'div',
        { class: 'error', role: 'alert', 'data-error': '' },
        'This page needs a user: /user?user=<address>.',
      ),
    );
    return;
  }
  const counts = h(
    'div',
    { class: 'tiles', 'data-panel': 'user-counts' },
    h('div', { class: 'loading' }, 'Loading…'),
  );
  const tl = panel('timeline', 'Timeline');
  root.append(counts, tl.el);
  try {
    const q = new Map([['user', user]]);
    const { from, to } = rangeBounds();
    q.set('from', from);
    q.set('to', to);
    const t = params().get('tenant');
    if (t) q.set('tenant', t);
    const u = await api('/api/user', q);
    tl.setMeta(u.meta);
    const c = u.counts;
    const stat = (name, label, n, tone) =>
      h(
        'div',
        { class: `tile static ${n && tone ? tone : ''}`, 'data-tile': name },
        h('span', { class: 'tile-n' }, fmtNum(n)),
        h('span', { class: 'tile-label' }, label),
      );
    clear(counts).append(
      stat('mails', 'Mail detections', c.mails),
      stat('clicks', 'Safe Links clicks', c.clicks),
      stat('clickThroughs', 'Click-throughs', c.clickThroughs, 'bad'),
      stat('files', 'File detections', c.files),
      stat('investigations', 'Investigations', c.investigations),
      h(
        'div',
        { class: 'tiles-fresh' },
        link(pageHref('/emails', { 'any.recipient': u.user }), 'This user’s mail in the email table →'),
      ),
    );
    clear(tl.body).appendChild(timelineTable('timeline', u.timeline));
  } catch (err) {
    showError(counts, err);
    showError(tl.body, err);
  }
}

// ---------- event detail ----------

/** A readable key/value tree of the normalized event. */
function tree(value, depth = 0) {
  if (value === null || value === undefined) return h('span', { class: 'null' }, 'null');
  if (Array.isArray(value)) {
    if (!value.length) return h('span', { class: 'muted' }, '[ ]');
    if (value.every((v) => v === null || typeof v !== 'object')) {
      return h(
        'span',
        { class: 'arr' },
        value.map((v, i) => [i ? ', ' : '', scalar(v)]),
      );
    }
    return h(
      'ol',
      { class: 'tree-list' },
      value.map((v) => h('li', null, tree(v, depth + 1))),
    );
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (!keys.length) return h('span', { class: 'muted' }, '{ }');
    const dl = h('dl', { class: 'tree' });
    for (const k of keys) {
      const v = value[k];
      dl.appendChild(h('dt', null, k));
      const nested =
        v !== null &&
        typeof v === 'object' &&
        !(Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'));
      if (nested && Object.keys(v).length) {
        const d = h(
          'details',
          { open: depth < 2 },
          h('summary', null, Array.isArray(v) ? `${v.length} items` : `${Object.keys(v).length} fields`),
          tree(v, depth + 1),
        );
        dl.appendChild(h('dd', null, d));
      } else {
        dl.appendChild(h('dd', null, tree(v, depth + 1)));
      }
    }
    return dl;
  }
  return scalar(value);
}

function scalar(v) {
  if (v === null || v === undefined) return h('span', { class: 'null' }, 'null');
  if (typeof v === 'number') return h('span', { class: 'n' }, String(v));
  if (typeof v === 'boolean') return h('span', { class: 'b' }, String(v));
  return h('span', { class: 's' }, String(v));
}

export async function renderEvent(root) {
  const offset = decodeURIComponent(location.pathname.split('/')[2] || '');
  root.appendChild(h('h1', null, `Record ${offset}`));
  const head = panel('event', 'Record');
  root.appendChild(head.el);
  if (!/^\d+$/.test(offset)) {
    showError(head.body, new Error('The record offset must be a number: /event/<offset>.'));
    return;
  }
  let e;
  try {
    e = await api('/api/event/' + encodeURIComponent(offset));
  } catch (err) {
    showError(head.body, err);
    return;
  }
  head.el.setAttribute('data-offset', String(e.offset));
  // EventDetail carries no freshness of its own: the store-wide one from /api/meta stands in.
  const storeMeta = shared.meta ? shared.meta.meta : null;
  head.setMeta(storeMeta);
  const n = e.normalized || {};
  const summary = [n.kind, n.action].filter(Boolean).join(' · ');
  if (summary) root.querySelector('h1').textContent = `Record ${e.offset}: ${summary}`;
  append(clear(head.body), [
    e.invalidReason
      ? h(
          'div',
          { class: 'error', role: 'alert', 'data-invalid': '' },
          h('strong', null, 'Invalid record: '),
          e.invalidReason,
        )
      : null,
    kv([
      ['Offset', String(e.offset)],
      ['Tenant', tenantCell(e.tenantId)],
      ['Content type', e.contentType],
      ['Record id', copyable(e.recordId)],
      ['Stored at (UTC)', timeEl(e.storedAt)],
      ['Portal', portalLink(e.deepLink)],
      [
        'Email page',
        e.networkMessageIds.length
          ? h(
              'span',
              { class: 'list', 'data-links': 'email' },
              e.networkMessageIds.map((id, i) => [
                i ? ', ' : '',
                link(pageHref('/email', { tenant: e.tenantId, nmid: id }), id),
              ]),
            )
          : null,
      ],
      [
        'Users',
        e.users.length
          ? h(
              'span',
              { class: 'list', 'data-links': 'user' },
              e.users.map((u, i) => [i ? ', ' : '', userLink(u)]),
            )
          : null,
      ],
    ]),
  ]);

  const rel = panel('related', 'Related events');
  rel.setMeta(storeMeta);
  clear(rel.body).appendChild(
    e.related.length
      ? timelineTable('related', e.related)
      : h(
          'div',
          { class: 'empty', 'data-empty': '' },
          h('p', null, 'No related events (same message, URL or SHA-256) in the store.'),
        ),
  );
  root.appendChild(rel.el);

  const norm = panel('normalized', 'Normalized fields');
  norm.setMeta(storeMeta);
  clear(norm.body).appendChild(h('div', { class: 'tree-root' }, tree(n)));
  const raw = panel('raw', 'Raw record, exactly as received', { actions: copyButton(e.raw, 'Raw record') });
  raw.setMeta(storeMeta);
  const pre = h('pre', { class: 'raw', 'data-raw': '', tabindex: '0' });
  pre.textContent = e.raw;
  const pretty = h('button', { type: 'button', class: 'btn', 'aria-pressed': 'false' }, 'Indent');
  pretty.addEventListener('click', () => {
    const on = pretty.getAttribute('aria-pressed') !== 'true';
    pretty.setAttribute('aria-pressed', on ? 'true' : 'false');
    pretty.textContent = on ? 'As received' : 'Indent';
    if (on) {
      try {
        pre.textContent = JSON.stringify(JSON.parse(e.raw), null, 2);
      } catch {
        pre.textContent = e.raw;
      }
    } else pre.textContent = e.raw;
  });
  raw.head.querySelector('.panel-actions').prepend(pretty);
  clear(raw.body).appendChild(pre);
  root.appendChild(h('div', { class: 'grid2' }, norm.el, raw.el));
}
