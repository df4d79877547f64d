/* global window */
// Panels with their freshness stamp, empty states that say why, errors, paged tables with sort,
// pagination, column chooser and CSV link, and the "any of / none of" filter pickers.

import { h, clear, link, ui, fmtNum, fmtTime, fmtHm, muted } from './dom.js';
import { params, hereWith, update, navigate, api, isAbort, commonApi, pageHref } from './state.js';

/** Shared between pages: tenants from /api/meta. */
export const shared = { meta: null, tenantNames: new Map() };

export function tenantName(id) {
  if (!id) return 'all tenants';
  return shared.tenantNames.get(id) || id;
}

export function tenantCell(id) {
  const name = shared.tenantNames.get(id);
  return h('span', { class: 'tenant', title: id }, name || (id ? id.slice(0, 8) + '…' : '—'));
}

// ---------- freshness ----------

export function freshnessText(meta) {
  if (!meta) return '';
  const parts = [];
  if (meta.completeTo) {
    const sameDay =
      new Date(meta.completeTo).toISOString().slice(0, 10) === new Date().toISOString().slice(0, 10);
    parts.push(`data complete to ${sameDay ? fmtHm(meta.completeTo) : fmtTime(meta.completeTo)} UTC`);
  } else {
    parts.push('collection has not listed any content yet');
  }
  if (meta.behind > 0) parts.push(`reports ${fmtNum(meta.behind)} records behind`);
  return parts.join(' · ');
}

export function freshness(meta) {
  const el = h('span', { class: 'fresh', 'data-fresh': '' }, freshnessText(meta));
  if (meta) {
    el.setAttribute(
      'title',
      `Range ${fmtTime(meta.from)} – ${fmtTime(meta.to)} UTC; newest event ${fmtTime(meta.newestEvent)}; ` +
        `projected offset ${meta.projectedOffset} of ${meta.lastOffset}; computed ${fmtTime(meta.at)}`,
    );
    if (meta.behind > 0) el.classList.add('behind');
  }
  return el;
}

// ---------- panels ----------

/** A titled panel: returns { el, body, setMeta(meta), head }. */
export function panel(name, title, { actions = null, cls = '', help = null } = {}) {
  const fresh = h('span', { class: 'fresh' });
  const head = h(
    'header',
    { class: 'panel-head' },
    h('h2', null, title),
    fresh,
    actions ? h('div', { class: 'panel-actions' }, actions) : null,
  );
  const body = h(
    'div',
    { class: 'panel-body' },
    h('div', { class: 'loading', 'aria-busy': 'true' }, 'Loading…'),
  );
  const el = h(
    'section',
    { class: `panel ${cls}`, 'data-panel': name },
    head,
    help ? h('p', { class: 'help' }, help) : null,
    body,
  );
  return {
    el,
    body,
    head,
    setMeta(meta) {
      fresh.replaceWith(freshness(meta));
    },
  };
}

/** Show an error (the server's 400 text) in a container. */
export function showError(container, err) {
  if (isAbort(err)) return;
  clear(container);
  container.appendChild(
    h(
      'div',
      { class: 'error', role: 'alert', 'data-error': '' },
      h('strong', null, err && err.status === 400 ? 'The server refused this view: ' : 'Could not load: '),
      String((err && err.message) || err),
    ),
  );
}

/**
 * An empty state that says why: nothing in range, reports catching up, tenant filter, search, filters.
 * `what` names the content ("Safe Links clicks (record 41)").
 */
export function emptyState(meta, what, { filtered = false, clearHref = null } = {}) {
  const p = params();
  const lines = [];
  if (meta && meta.behind > 0) {
    lines.push(
      h(
        'p',
        null,
        `No ${what} in the reports yet: reports are still catching up (${fmtNum(meta.behind)} records behind).`,
      ),
    );
  } else {
    lines.push(h('p', null, `No ${what} in this range.`));
  }
  if (meta && !meta.completeTo) lines.push(h('p', null, 'Collection has not listed any content yet.'));
  else if (
    meta &&
    meta.completeTo &&
    Date.parse(meta.completeTo) < Math.min(Date.parse(meta.to), Date.parse(meta.at)) - 15 * 60_000
  ) {
    lines.push(h('p', null, `Collected data is complete only to ${fmtTime(meta.completeTo)} UTC.`));
  }
  const tenant = p.get('tenant');
  if (tenant) {
    lines.push(
      h(
        'p',
        null,
        `The tenant filter (${tenantName(tenant)}) excludes every other tenant. `,
        link(hereWith({ tenant: null }, { resetPage: ['page'] }), 'Show all tenants'),
      ),
    );
  }
  const q = p.get('q');
  if (q) {
    lines.push(
      h(
        'p',
        null,
        `The search “${q}” may exclude everything. `,
        link(hereWith({ q: null }, { resetPage: ['page'] }), 'Clear the search'),
      ),
    );
  }
  if (filtered) {
    lines.push(
      h('p', null, 'Filters are applied. ', clearHref ? link(clearHref, 'Clear the filters') : null),
    );
  }
  return h('div', { class: 'empty', 'data-empty': '' }, lines);
}

// ---------- tables ----------

/**
 * A plain table (no fetch): columns [{ key, label, num, cell(row), sort }], rows.
 * opts: name, rowHref(row), sort/dir/onSort for sortable headers, rowAttrs(row).
 */
export function table(name, columns, rows, opts = {}) {
  const thead = h(
    'thead',
    null,
    h(
      'tr',
      null,
      columns.map((c) => {
        const th = h('th', { scope: 'col', class: c.num ? 'num' : null, 'data-col': c.key });
        if (c.sort && opts.onSort) {
          const active = opts.sort === c.sort;
          if (active) th.setAttribute('aria-sort', opts.dir === 'asc' ? 'ascending' : 'descending');
          th.appendChild(
            h(
              'button',
              {
                type: 'button',
                class: 'sort' + (active ? ' active' : ''),
                'data-sort': c.sort,
                title: `Sort by ${c.label}`,
                on: { click: () => opts.onSort(c) },
              },
              c.label,
              h(
                'span',
                { class: 'sort-ind', 'aria-hidden': 'true' },
                active ? (opts.dir === 'asc' ? ' ▲' : ' ▼') : ' ↕',
              ),
            ),
          );
        } else {
          th.textContent = c.label;
        }
        if (c.title) th.setAttribute('title', c.title);
        return th;
      }),
    ),
  );
  const tbody = h('tbody');
  for (const row of rows) {
    const href = opts.rowHref ? opts.rowHref(row) : null;
    const attrs = {
      'data-row': '',
      'data-offset': typeof row.offset === 'number' ? row.offset : null,
      'data-open': href,
      tabindex: href ? '-1' : null,
      ...(opts.rowAttrs ? opts.rowAttrs(row) : {}),
    };
    const tr = h('tr', attrs);
    if (href) tr.classList.add('clickable');
    for (const c of columns) {
      const v = c.cell ? c.cell(row) : row[c.key];
      const td = h('td', { class: c.num ? 'num' : c.cls || null, 'data-col': c.key });
      if (v instanceof window.Node) td.appendChild(v);
      else if (Array.isArray(v))
        v.forEach(
          (x) => x !== null && x !== undefined && td.append(x instanceof window.Node ? x : String(x)),
        );
      else if (v === null || v === undefined || v === '') td.appendChild(muted('—'));
      else td.textContent = c.num && typeof v === 'number' ? fmtNum(v) : String(v);
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
  tbody.addEventListener('click', onRowClick);
  return h('table', { class: 'grid', 'data-table': name }, thead, tbody);
}

function onRowClick(e) {
  const t = e.target;
  if (!(t instanceof window.Element)) return;
  if (t.closest('a, button, input, select, summary, label, textarea')) return;
  if (window.getSelection && String(window.getSelection()).length > 0) return;
  const tr = t.closest('tr[data-open]');
  if (!tr) return;
  if (e.ctrlKey || e.metaKey) {
    window.open(tr.getAttribute('data-open'), '_blank', 'noopener');
    return;
  }
  navigate(tr.getAttribute('data-open'));
}

/**
 * A server-paged table: fetches `endpoint` with the common parameters, the `query` Map and
 * page/size/sort/dir from the URL (under `prefix`), and renders toolbar, table and pager.
 * Returns { el, load } ; load() resolves to the Page answer.
 */
export function pagedTable(opts) {
  const {
    name,
    endpoint,
    prefix = '',
    columns,
    chooser = false,
    defaultCols = null,
    query = new Map(),
    rowHref,
    what,
    filtered = false,
    clearHref = null,
    csv = true,
    onData = null,
    defaultSize = 50,
  } = opts;
  const el = h('div', { class: 'table-wrap', 'data-table-wrap': name });
  const key = (k) => prefix + k;

  async function load() {
    clear(el).appendChild(h('div', { class: 'loading', 'aria-busy': 'true' }, 'Loading…'));
    const p = params();
    const q = new Map([...commonApi(), ...query]);
    for (const k of ['sort', 'dir']) if (p.get(key(k))) q.set(k, p.get(key(k)));
    const page = Math.max(1, Number(p.get(key('page'))) || 1);
    const size = Number(p.get(key('size'))) || defaultSize;
    q.set('page', String(page));
    q.set('size', String(size));
    let data;
    try {
      data = await api(endpoint, q);
    } catch (err) {
      showError(el, err);
      throw err;
    }
    clear(el);
    if (onData) onData(data);

    // Columns shown: cols= in the URL, else the defaults.
    let shown = columns;
    if (chooser) {
      const wanted = (p.get(key('cols')) || '').split(',').filter(Boolean);
      const base = wanted.length ? wanted : defaultCols || columns.map((c) => c.key);
      shown = columns.filter((c) => base.includes(c.key) || c.always);
      if (!shown.length) shown = columns;
    }
    if (!chooser && (p.get('tenant') || shared.tenantNames.size <= 1))
      shown = shown.filter((c) => c.key !== 'tenant');

    const csvQ = new Map(q);
    csvQ.delete('page');
    csvQ.delete('size');
    csvQ.set('format', 'csv');
    const csvLink = csv
      ? h('a', { href: ui(endpoint, csvQ), download: `${name}.csv`, 'data-csv': name, class: 'btn' }, 'CSV')
      : null;

    const from = data.total === 0 ? 0 : (data.page - 1) * data.size + 1;
    const to = (data.page - 1) * data.size + data.rows.length;
    const count = h(
      'span',
      { class: 'count', 'data-total': data.total },
      data.total === 0
        ? '0 rows'
        : `${fmtNum(from)}–${fmtNum(to)} of ${data.totalIsLowerBound ? 'at least ' : ''}${fmtNum(data.total)}`,
    );
    el.appendChild(
      h(
        'div',
        { class: 'toolbar' },
        count,
        h('span', { class: 'spacer' }),
        chooser ? columnChooser(columns, shown, key('cols'), defaultCols) : null,
        csvLink,
      ),
    );

    if (!data.rows.length) {
      el.appendChild(emptyState(data.meta, what, { filtered, clearHref }));
      // still render an empty table so tests can find it
      el.appendChild(h('div', { class: 'scroll' }, table(name, shown, [], {})));
      return data;
    }
    const sortState = { sort: data.sort, dir: data.dir };
    el.appendChild(
      h(
        'div',
        { class: 'scroll' },
        table(name, shown, data.rows, {
          rowHref,
          sort: sortState.sort,
          dir: sortState.dir,
          onSort: (c) => {
            const dir =
              sortState.sort === c.sort
                ? sortState.dir === 'asc'
                  ? 'desc'
                  : 'asc'
                : c.firstDir || (c.num || c.time ? 'desc' : 'asc');
            update({ [key('sort')]: c.sort, [key('dir')]: dir }, { resetPage: [key('page')] });
          },
        }),
      ),
    );
    el.appendChild(pager(data, key, defaultSize));
    return data;
  }
  return { el, load };
}

function pager(data, key, defaultSize) {
  const pages = Math.max(1, Math.ceil(data.total / data.size));
  const prev = h(
    'button',
    { type: 'button', class: 'btn', 'data-page-prev': '', disabled: data.page <= 1 },
    '← Previous',
  );
  const next = h(
    'button',
    {
      type: 'button',
      class: 'btn',
      'data-page-next': '',
      disabled: data.page >= pages && !data.totalIsLowerBound,
    },
    'Next →',
  );
  prev.addEventListener('click', () => update({ [key('page')]: data.page - 1 > 1 ? data.page - 1 : null }));
  next.addEventListener('click', () => update({ [key('page')]: data.page + 1 }));
  const sizeSel = h(
    'select',
    { 'aria-label': 'Rows per page', 'data-page-size': '' },
    [25, 50, 100, 200, 500].map((n) =>
      h('option', { value: String(n), selected: n === data.size }, `${n} / page`),
    ),
  );
  sizeSel.addEventListener('change', () =>
    update({
      [key('size')]: Number(sizeSel.value) === defaultSize ? null : sizeSel.value,
      [key('page')]: null,
    }),
  );
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    prev,
    h(
      'span',
      null,
      `Page ${fmtNum(data.page)} of ${data.totalIsLowerBound ? 'at least ' : ''}${fmtNum(pages)}`,
    ),
    next,
    sizeSel,
  );
}

function columnChooser(columns, shown, urlKey, defaultCols) {
  const shownKeys = new Set(shown.map((c) => c.key));
  const boxes = columns.map((c) => {
    const cb = h('input', {
      type: 'checkbox',
      value: c.key,
      checked: shownKeys.has(c.key),
      disabled: !!c.always,
      'data-colpick': c.key,
    });
    return h('label', { class: 'opt' }, cb, ' ', c.label);
  });
  const apply = h('button', { type: 'button', class: 'btn primary' }, 'Apply');
  const reset = h('button', { type: 'button', class: 'btn' }, 'Default columns');
  const d = h(
    'details',
    { class: 'popover', 'data-chooser': '' },
    h('summary', { class: 'btn' }, 'Columns'),
    h(
      'div',
      { class: 'pop' },
      h('div', { class: 'opts' }, boxes),
      h('div', { class: 'pop-actions' }, apply, reset),
    ),
  );
  apply.addEventListener('click', () => {
    const keys = boxes
      .map((l) => l.querySelector('input'))
      .filter((i) => i.checked)
      .map((i) => i.value);
    const def = (defaultCols || columns.map((c) => c.key)).join(',');
    update({ [urlKey]: keys.join(',') === def ? null : keys.join(',') });
  });
  reset.addEventListener('click', () => update({ [urlKey]: null }));
  return d;
}

// ---------- filters ----------

/** any.<key>/none.<key> from the URL for these keys, as a Map for the API. */
export function filterQuery(keys) {
  const p = params();
  const out = new Map();
  for (const k of keys) {
    for (const mode of ['any', 'none']) {
      const v = p.get(`${mode}.${k}`);
      if (v) out.set(`${mode}.${k}`, v);
    }
  }
  return out;
}

export function hasFilters(keys) {
  return filterQuery(keys).size > 0;
}

export function clearFiltersHref(keys) {
  const changes = {};
  for (const k of keys) {
    changes[`any.${k}`] = null;
    changes[`none.${k}`] = null;
  }
  return hereWith(changes, { resetPage: ['page'] });
}

/**
 * Filter pickers: one per key, each "any of / none of" a set of values from facets.
 * keys: [{ key, label, values: Count[], fmt?(value)->string }].
 */
export function filterBar(keys) {
  const p = params();
  const bar = h('div', { class: 'filters', 'data-filters': '' });
  const active = h('div', { class: 'active-filters' });
  for (const f of keys) {
    const anyV = (p.get(`any.${f.key}`) || '').split(',').filter(Boolean);
    const noneV = (p.get(`none.${f.key}`) || '').split(',').filter(Boolean);
    const mode = noneV.length ? 'none' : 'any';
    const selected = new Set(mode === 'none' ? noneV : anyV);
    const fmt = f.fmt || ((v) => v);
    const values = [...(f.values || [])];
    for (const s of selected) if (!values.some((c) => c.value === s)) values.push({ value: s, n: 0 });

    const modeAny = h('input', {
      type: 'radio',
      name: `mode-${f.key}`,
      value: 'any',
      checked: mode === 'any',
    });
    const modeNone = h('input', {
      type: 'radio',
      name: `mode-${f.key}`,
      value: 'none',
      checked: mode === 'none',
    });
    const search =
      values.length > 8
        ? h('input', {
            type: 'search',
            placeholder: 'Find a value',
            class: 'pop-find',
            'aria-label': `Find a ${f.label} value`,
          })
        : null;
    const list = h(
      'div',
      { class: 'opts' },
      values.length
        ? values.map((c) =>
            h(
              'label',
              { class: 'opt', 'data-value': c.value },
              h('input', { type: 'checkbox', value: c.value, checked: selected.has(c.value) }),
              ' ',
              h('span', { class: 'opt-label' }, fmt(c.value)),
              h('span', { class: 'opt-n num' }, fmtNum(c.n)),
            ),
          )
        : muted('No values in this range'),
    );
    if (search) {
      search.addEventListener('input', () => {
        const s = search.value.toLowerCase();
        for (const l of list.querySelectorAll('label'))
          l.hidden =
            !!s &&
            !String(l.getAttribute('data-value')).toLowerCase().includes(s) &&
            !l.textContent.toLowerCase().includes(s);
      });
    }
    const apply = h('button', { type: 'button', class: 'btn primary', 'data-apply': '' }, 'Apply');
    const clr = h('button', { type: 'button', class: 'btn' }, 'Clear');
    const summaryText = selected.size
      ? `${f.label}: ${mode === 'none' ? 'none of' : 'any of'} ${selected.size}`
      : f.label;
    const d = h(
      'details',
      { class: 'popover filter', 'data-filter': f.key },
      h('summary', { class: 'btn' + (selected.size ? ' on' : '') }, summaryText, ' ▾'),
      h(
        'div',
        { class: 'pop' },
        h(
          'div',
          { class: 'mode', role: 'radiogroup', 'aria-label': 'Match' },
          h('label', null, modeAny, ' any of'),
          h('label', null, modeNone, ' none of'),
        ),
        search,
        list,
        h('div', { class: 'pop-actions' }, apply, clr),
      ),
    );
    apply.addEventListener('click', () => {
      const vals = [...list.querySelectorAll('input[type=checkbox]')]
        .filter((i) => i.checked)
        .map((i) => i.value);
      const m = modeNone.checked ? 'none' : 'any';
      update(
        {
          [`any.${f.key}`]: m === 'any' && vals.length ? vals.join(',') : null,
          [`none.${f.key}`]: m === 'none' && vals.length ? vals.join(',') : null,
        },
        { resetPage: ['page'] },
      );
    });
    clr.addEventListener('click', () =>
      update({ [`any.${f.key}`]: null, [`none.${f.key}`]: null }, { resetPage: ['page'] }),
    );
    bar.appendChild(d);

    if (selected.size) {
      const x = h(
        'button',
        { type: 'button', class: 'chip-x', 'aria-label': `Remove the ${f.label} filter` },
        '×',
      );
      x.addEventListener('click', () =>
        update({ [`any.${f.key}`]: null, [`none.${f.key}`]: null }, { resetPage: ['page'] }),
      );
      active.appendChild(
        h(
          'span',
          { class: 'filter-chip', 'data-active-filter': f.key },
          `${f.label} ${mode === 'none' ? 'none of' : 'any of'}: ${[...selected].map(fmt).join(', ')}`,
          x,
        ),
      );
    }
  }
  const wrap = h('div', { class: 'filter-wrap' }, bar, active);
  return wrap;
}

// ---------- small lists ----------

/**
 * A top-N list: rows of value + count (+ "new" badge), the value links somewhere, a bar shows the share.
 * items: TopCount[]|Count[]; hrefOf(value) -> own href or null.
 */
export function topList(
  name,
  items,
  { hrefOf = null, fmt = (v) => v, countHref = null, label = 'Value' } = {},
) {
  const max = Math.max(1, ...items.map((i) => i.n));
  const tb = h('tbody');
  for (const it of items) {
    const href = hrefOf ? hrefOf(it.value) : null;
    const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
    bar.style.width = `${Math.max(2, Math.round((100 * it.n) / max))}%`;
    const cHref = countHref ? countHref(it.value) : href;
    tb.appendChild(
      h(
        'tr',
        { 'data-value': it.value, 'data-row': '', 'data-open': href, tabindex: href ? '-1' : null },
        h(
          'td',
          { class: 'val', title: fmt(it.value) },
          it.isNew ? [badgeNewEl(), ' '] : null,
          href ? link(href, fmt(it.value)) : h('span', null, fmt(it.value)),
        ),
        h('td', { class: 'num' }, cHref ? link(cHref, fmtNum(it.n)) : fmtNum(it.n)),
        h('td', { class: 'barcell' }, bar),
      ),
    );
  }
  tb.addEventListener('click', onRowClick);
  return h(
    'table',
    { class: 'grid top', 'data-table': name },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, label),
        h('th', { scope: 'col', class: 'num' }, 'Count'),
        h('th', { scope: 'col' }, h('span', { class: 'sr' }, 'Share')),
      ),
    ),
    tb,
  );
}

function badgeNewEl() {
  return h('span', { class: 'badge-new', title: 'Not seen in the 7 days before the range' }, 'new');
}

/** A tile: big number, label, opens a list. */
export function tile(name, label, n, href, tone = '') {
  return h(
    'a',
    { href, 'data-nav': '', class: `tile ${tone}`, 'data-tile': name },
    h('span', { class: 'tile-n' }, fmtNum(n)),
    h('span', { class: 'tile-label' }, label),
  );
}

export { pageHref };
