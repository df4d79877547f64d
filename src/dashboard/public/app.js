/* global document, window, location, localStorage, console */
// atp-siem dashboard: router, global bar (range, tenant, search, auto-refresh, theme), keyboard.

import { h, clear, fmtTime, ui } from './dom.js';
import {
  RANGES,
  DEFAULT_RANGE,
  rangeId,
  rangeBounds,
  params,
  hereWith,
  navigate,
  setNavigateHandler,
  newView,
  api,
  globalsWith,
  back,
  isAbort,
} from './state.js';
import { shared, freshnessText } from './widgets.js';
import { destroyCharts } from './charts.js';
import { renderOverview, renderWorklists, renderHealth, renderFleet } from './pages-overview.js';
import {
  renderEmails,
  renderClicks,
  renderFiles,
  renderInvestigations,
  renderClusters,
} from './pages-lists.js';
import { renderEmail, renderUser, renderEvent } from './pages-entity.js';

const ROUTES = [
  { path: '/', name: 'overview', title: 'Overview', nav: 'Overview', render: renderOverview },
  { path: '/overview', name: 'overview', title: 'Overview', render: renderOverview, parent: '/' },
  { path: '/worklists', name: 'worklists', title: 'Worklists', nav: 'Worklists', render: renderWorklists },
  { path: '/emails', name: 'emails', title: 'Email detections', nav: 'Email', render: renderEmails },
  { path: '/clicks', name: 'clicks', title: 'Safe Links clicks', nav: 'Clicks', render: renderClicks },
  { path: '/files', name: 'files', title: 'Files', nav: 'Files', render: renderFiles },
  {
    path: '/investigations',
    name: 'investigations',
    title: 'Investigations',
    nav: 'Investigations',
    render: renderInvestigations,
  },
  { path: '/clusters', name: 'clusters', title: 'Clusters', nav: 'Clusters', render: renderClusters },
  { path: '/fleet', name: 'fleet', title: 'Fleet', nav: 'Fleet', render: renderFleet },
  { path: '/health', name: 'health', title: 'Health', nav: 'Health', render: renderHealth },
  { path: '/email', name: 'email', title: 'Email', render: renderEmail, parent: '/emails' },
  { path: '/user', name: 'user', title: 'User', render: renderUser },
  { path: '/event/', prefix: true, name: 'event', title: 'Record', render: renderEvent },
];

function routeOf(pathname) {
  const p = pathname.replace(/\/+$/, '') || '/';
  return ROUTES.find((r) => (r.prefix ? pathname.startsWith(r.path) : r.path === p)) || null;
}

const $ = (id) => document.getElementById(id);

// ---------- theme ----------

const THEME_KEY = 'atp-siem.theme';
const media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

function savedTheme() {
  try {
    const t = localStorage.getItem(THEME_KEY);
    return t === 'dark' || t === 'light' ? t : null;
  } catch {
    return null;
  }
}

function currentTheme() {
  return savedTheme() || (media && media.matches ? 'dark' : 'light');
}

function applyTheme() {
  const t = currentTheme();
  document.documentElement.setAttribute('data-theme', t);
  const b = $('theme');
  b.textContent = t === 'dark' ? 'Light theme' : 'Dark theme';
  b.setAttribute('aria-pressed', t === 'dark' ? 'true' : 'false');
  b.setAttribute('title', `Theme: ${t} (click for ${t === 'dark' ? 'light' : 'dark'})`);
}

// ---------- global bar ----------

function isoToInput(iso) {
  return new Date(iso).toISOString().slice(0, 16);
}
function inputToIso(v) {
  if (!v) return null;
  const t = Date.parse(v + (v.length === 16 ? ':00Z' : 'Z'));
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function pageKeys() {
  return [...params().keys()].filter((k) => k === 'page' || k.endsWith('.page'));
}

function setupBar() {
  const range = $('range');
  clear(range);
  for (const r of RANGES) range.appendChild(h('option', { value: r.id }, r.label));
  range.addEventListener('change', () => {
    if (range.value === 'custom') {
      const b = rangeBounds();
      $('from').value = isoToInput(b.from);
      $('to').value = isoToInput(b.to);
      $('custom-range').hidden = false;
      $('from').focus();
      return;
    }
    navigate(
      hereWith(
        { range: range.value === DEFAULT_RANGE ? null : range.value, from: null, to: null },
        { resetPage: pageKeys() },
      ),
    );
  });
  $('custom-range').addEventListener('submit', (e) => {
    e.preventDefault();
    const from = inputToIso($('from').value);
    const to = inputToIso($('to').value);
    const err = $('range-error');
    if (!from || !to || Date.parse(from) >= Date.parse(to)) {
      err.textContent = 'Choose a start before the end.';
      err.hidden = false;
      return;
    }
    err.hidden = true;
    navigate(hereWith({ range: 'custom', from, to }, { resetPage: pageKeys() }));
  });

  $('tenant').addEventListener('change', () => {
    navigate(hereWith({ tenant: $('tenant').value || null }, { resetPage: pageKeys() }));
  });

  $('search').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('q').value.trim() || null;
    const r = routeOf(location.pathname);
    if (!r || ['email', 'user', 'event', 'fleet', 'health'].includes(r.name)) {
      navigate(ui('/emails', globalsWith({ q })));
    } else {
      navigate(hereWith({ q }, { resetPage: pageKeys() }));
    }
  });

  $('refresh').addEventListener('click', () => setAutoRefresh(!autoRefresh));
  $('theme').addEventListener('click', () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch {
      /* private mode: the toggle still works for this page */
    }
    applyTheme();
    render({ soft: true });
  });
  if (media && media.addEventListener) {
    media.addEventListener('change', () => {
      if (!savedTheme()) {
        applyTheme();
        render({ soft: true });
      }
    });
  }
  $('help-btn').addEventListener('click', () => toggleHelp());
  $('help-close').addEventListener('click', () => $('help').close());
}

function syncBar() {
  const r = rangeId();
  $('range').value = r;
  const custom = $('custom-range');
  if (r === 'custom') {
    const b = rangeBounds();
    $('from').value = isoToInput(b.from);
    $('to').value = isoToInput(b.to);
    custom.hidden = false;
  } else custom.hidden = true;
  $('range-error').hidden = true;
  const t = params().get('tenant') || '';
  const sel = $('tenant');
  if (t && ![...sel.options].some((o) => o.value === t)) sel.appendChild(h('option', { value: t }, t));
  sel.value = t;
  if (document.activeElement !== $('q')) $('q').value = params().get('q') || '';

  // Nav links keep the global parameters; mark the current one.
  const route = routeOf(location.pathname);
  for (const a of document.querySelectorAll('#mainnav a')) {
    const path = a.getAttribute('data-path');
    a.setAttribute('href', ui(path, globalsWith()));
    const here = route && (route.path === path || route.parent === path);
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  $('brand').setAttribute('href', ui('/', globalsWith()));
}

async function loadMeta() {
  try {
    const meta = await api('/api/meta', new Map());
    shared.meta = meta;
    shared.tenantNames = new Map(meta.tenants.map((t) => [t.id, t.name]));
    const sel = $('tenant');
    const cur = params().get('tenant') || '';
    clear(sel);
    sel.appendChild(h('option', { value: '' }, `All tenants (${meta.tenants.length})`));
    for (const t of meta.tenants)
      sel.appendChild(h('option', { value: t.id, title: t.id }, t.name ? `${t.name}` : t.id));
    if (cur && !meta.tenants.some((t) => t.id === cur))
      sel.appendChild(h('option', { value: cur }, `${cur} (unknown)`));
    sel.value = cur;
    if (meta.oldest) $('from').min = isoToInput(meta.oldest);
    $('version').textContent = meta.version ? `v${meta.version}` : '';
    const f = $('fresh-global');
    f.textContent = freshnessText(meta.meta);
    f.classList.toggle('behind', meta.meta.behind > 0);
    f.setAttribute('title', meta.newest ? `Newest event ${fmtTime(meta.newest)} UTC` : 'No events yet');
    $('banner').hidden = true;
  } catch (err) {
    if (isAbort(err)) return;
    const b = $('banner');
    b.textContent = `The dashboard API is not answering (${err.message}). Retrying on the next refresh.`;
    b.hidden = false;
  }
}

// ---------- rendering ----------

let renderSeq = 0;
async function render({ soft = false } = {}) {
  const seq = ++renderSeq;
  newView();
  destroyCharts();
  closePopovers();
  const app = $('app');
  const route = routeOf(location.pathname);
  syncBar();
  const scroll = soft ? window.scrollY : 0;
  const selected = soft ? selectedIndex() : null;
  const root = h('div', { class: 'page', 'data-page': route ? route.name : 'not-found' });
  clear(app).appendChild(root);
  if (!route) {
    document.title = 'Not found · atp-siem';
    root.append(
      h('h1', null, 'Not found'),
      h('p', null, 'There is no such page. ', h('a', { href: '/', 'data-nav': '' }, 'Go to the overview')),
    );
    return;
  }
  document.title = `${route.title} · atp-siem`;
  try {
    await route.render(root);
  } catch (err) {
    if (!isAbort(err)) {
      root.appendChild(
        h('div', { class: 'error', role: 'alert', 'data-error': '' }, `This page failed: ${err.message}`),
      );
      console.error(err);
    }
  }
  if (seq !== renderSeq) return;
  root.setAttribute('data-ready', 'true');
  if (soft) {
    window.scrollTo(0, scroll);
    if (selected) restoreSelection(selected);
  }
}

setNavigateHandler(() => render());
window.addEventListener('popstate', () => render());

// In-app links: plain left clicks on own paths go through pushState.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  const a = e.target instanceof window.Element ? e.target.closest('a[href]') : null;
  if (!a || a.hasAttribute('download') || a.getAttribute('target')) return;
  const href = a.getAttribute('href');
  if (
    !href ||
    !href.startsWith('/') ||
    href.startsWith('//') ||
    href.startsWith('/api/') ||
    href.startsWith('/assets/')
  )
    return;
  e.preventDefault();
  navigate(href);
});

// Close an open popover when clicking elsewhere.
document.addEventListener('click', (e) => {
  for (const d of document.querySelectorAll('details.popover[open]')) {
    if (!(e.target instanceof window.Node) || !d.contains(e.target)) d.open = false;
  }
});

function closePopovers() {
  for (const d of document.querySelectorAll('details.popover[open]')) d.open = false;
}

// ---------- auto-refresh ----------

let autoRefresh = false;
let timer = null;
function setAutoRefresh(on) {
  autoRefresh = on;
  const b = $('refresh');
  b.setAttribute('aria-pressed', on ? 'true' : 'false');
  b.textContent = on ? 'Auto-refresh: 30 s' : 'Auto-refresh: off';
  if (timer) window.clearInterval(timer);
  timer = null;
  if (on) {
    timer = window.setInterval(() => {
      if (document.visibilityState !== 'visible') return;
      if (document.querySelector('details.popover[open]') || isTyping(document.activeElement)) return;
      loadMeta();
      render({ soft: true });
    }, 30_000);
  }
}

// ---------- keyboard ----------

function isTyping(el) {
  if (!el || !(el instanceof window.Element)) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

function openableRows(tableEl) {
  return [...tableEl.querySelectorAll('tbody tr[data-open]')];
}

function currentTable() {
  const a = document.activeElement;
  const inTable = a && a.closest ? a.closest('table[data-table]') : null;
  if (inTable && openableRows(inTable).length) return inTable;
  const sel = document.querySelector('#app tr.sel');
  if (sel) return sel.closest('table');
  return [...document.querySelectorAll('#app table[data-table]')].find((t) => openableRows(t).length) || null;
}

function selectRow(tr) {
  for (const x of document.querySelectorAll('#app tr.sel')) {
    x.classList.remove('sel');
    x.removeAttribute('aria-selected');
  }
  tr.classList.add('sel');
  tr.setAttribute('aria-selected', 'true');
  tr.focus({ preventScroll: true });
  tr.scrollIntoView({ block: 'nearest' });
}

function move(delta) {
  const t = currentTable();
  if (!t) return false;
  const rows = openableRows(t);
  const cur = rows.findIndex((r) => r.classList.contains('sel') || r === document.activeElement);
  const next =
    cur < 0 ? (delta > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, cur + delta));
  if (rows[next]) selectRow(rows[next]);
  return true;
}

function selectedIndex() {
  const sel = document.querySelector('#app tr.sel');
  if (!sel) return null;
  const t = sel.closest('table[data-table]');
  return { table: t.getAttribute('data-table'), index: openableRows(t).indexOf(sel) };
}

function restoreSelection({ table, index }) {
  const t = document.querySelector(`#app table[data-table="${table.replace(/["\\]/g, '')}"]`);
  if (!t) return;
  const rows = openableRows(t);
  if (rows[index]) selectRow(rows[index]);
}

function toggleHelp() {
  const d = $('help');
  if (d.open) d.close();
  else d.showModal();
}

document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const help = $('help');
  if (e.key === 'Escape') {
    if (help.open) return; // the dialog closes itself
    const pop = document.querySelector('details.popover[open]');
    if (pop) {
      pop.open = false;
      pop.querySelector('summary').focus();
      e.preventDefault();
      return;
    }
    if (isTyping(e.target)) {
      e.target.blur();
      return;
    }
    e.preventDefault();
    back();
    return;
  }
  if (isTyping(e.target) || help.open) return;
  switch (e.key) {
    case '/':
      e.preventDefault();
      $('q').focus();
      $('q').select();
      break;
    case '?':
      e.preventDefault();
      toggleHelp();
      break;
    case 'j':
    case 'ArrowDown':
      if (move(1)) e.preventDefault();
      break;
    case 'k':
    case 'ArrowUp':
      if (move(-1)) e.preventDefault();
      break;
    case 'Enter': {
      const a = document.activeElement;
      const tr =
        a && a.matches && a.matches('tr[data-open]')
          ? a
          : a === document.body
            ? document.querySelector('#app tr.sel[data-open]')
            : null;
      if (tr) {
        e.preventDefault();
        navigate(tr.getAttribute('data-open'));
      }
      break;
    }
    case 'Backspace':
      e.preventDefault();
      back();
      break;
    default:
  }
});

// Clicking a row selects it (so j/k continue from there).
document.addEventListener('focusin', (e) => {
  const tr = e.target instanceof window.Element ? e.target.closest('tr[data-open]') : null;
  if (tr && !tr.classList.contains('sel')) {
    for (const x of document.querySelectorAll('#app tr.sel')) {
      x.classList.remove('sel');
      x.removeAttribute('aria-selected');
    }
    tr.classList.add('sel');
    tr.setAttribute('aria-selected', 'true');
  }
});

// ---------- boot ----------

applyTheme();
setupBar();
setAutoRefresh(false);
await loadMeta();
render();
