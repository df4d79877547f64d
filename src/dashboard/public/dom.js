/* global document, navigator, window, URL */
// DOM building and formatting. Everything that comes from data goes through textContent or
// setAttribute on an allow-listed attribute: no HTML strings anywhere in the dashboard.

const SAFE_ATTRS = new Set([
  'id',
  'class',
  'type',
  'name',
  'value',
  'title',
  'role',
  'tabindex',
  'for',
  'placeholder',
  'colspan',
  'rowspan',
  'scope',
  'download',
  'rel',
  'target',
  'min',
  'max',
  'step',
  'autocomplete',
  'spellcheck',
  'datetime',
  'lang',
  'size',
  'maxlength',
  'accesskey',
]);
const BOOL_ATTRS = new Set(['disabled', 'checked', 'selected', 'hidden', 'open', 'readonly', 'multiple']);

/** Microsoft portal hosts a deep link may point at (https only). */
const PORTAL_HOSTS = new Set([
  'security.microsoft.com',
  'security.microsoft.us',
  'security.apps.mil',
  'compliance.microsoft.com',
  'purview.microsoft.com',
  'admin.microsoft.com',
  'admin.exchange.microsoft.com',
  'protection.office.com',
  'portal.azure.com',
  'entra.microsoft.com',
]);

/** The deep link as a URL string when it is a Microsoft portal https link, else null. */
export function safePortalUrl(link) {
  if (typeof link !== 'string') return null;
  let u;
  try {
    u = new URL(link);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' || u.username || u.password || u.port) return null;
  if (!PORTAL_HOSTS.has(u.hostname.toLowerCase())) return null;
  return u.href;
}

/** True for an href to one of our own paths ("/...", never "//host"). */
function isOwnPath(v) {
  return typeof v === 'string' && v.startsWith('/') && !v.startsWith('//') && !v.startsWith('/\\');
}

/**
 * h('tag', { attrs }, ...children). Children: strings/numbers (text), Nodes, arrays, null (skipped).
 * Attributes: allow-listed names, `data-*`, `aria-*`; `href` only to own paths (or via portalLink);
 * `on: { click: fn }` adds listeners; `dataset`, `style` objects set through the DOM APIs.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'on') {
        for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      } else if (k === 'style') {
        for (const [p, val] of Object.entries(v)) el.style.setProperty(p, String(val));
      } else if (k === 'text') {
        el.textContent = String(v);
      } else if (k === 'href') {
        if (isOwnPath(v)) el.setAttribute('href', v);
      } else if (k === 'checked' || k === 'selected' || k === 'value') {
        el[k] = v;
        if (k === 'value') el.setAttribute('value', String(v));
      } else if (BOOL_ATTRS.has(k)) {
        if (v) el.setAttribute(k, '');
      } else if (SAFE_ATTRS.has(k) || k.startsWith('data-') || k.startsWith('aria-')) {
        el.setAttribute(k, String(v));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof window.Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// ---------- query strings and own links ----------

/** "/path?k=v" with every key and value through encodeURIComponent; null/'' values dropped. */
export function ui(path, params) {
  const parts = [];
  if (params) {
    const entries = params instanceof Map ? [...params.entries()] : Object.entries(params);
    for (const [k, v] of entries) {
      if (v === null || v === undefined || v === '') continue;
      parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(String(v)));
    }
  }
  return parts.length ? path + '?' + parts.join('&') : path;
}

export function eventHref(offset) {
  return '/event/' + encodeURIComponent(String(offset));
}

/** An in-app link (intercepted by the router). */
export function link(href, ...children) {
  return h('a', { href, 'data-nav': '' }, ...children);
}

/** The portal deep link as a clickable link when safe, else as text with a copy button. */
export function portalLink(deepLink, label = 'Open in the Defender portal') {
  if (!deepLink) return h('span', { class: 'muted' }, 'no portal link');
  const safe = safePortalUrl(deepLink);
  if (!safe) {
    return h(
      'span',
      { class: 'unsafe-link', 'data-portal': 'text' },
      h('span', { class: 'muted' }, 'portal link (not a Microsoft portal address, shown as text): '),
      copyable(deepLink),
    );
  }
  const a = h(
    'a',
    { rel: 'noopener noreferrer', target: '_blank', 'data-portal': 'link', class: 'portal' },
    label,
    ' ↗',
  );
  a.setAttribute('href', safe);
  return a;
}

// ---------- copy ----------

export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through */
  }
  const ta = h('textarea', { readonly: true, class: 'offscreen' });
  ta.value = text;
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

export function copyButton(text, label = 'Copy') {
  const b = h('button', {
    type: 'button',
    class: 'copy',
    title: 'Copy to clipboard',
    'aria-label': label + ': copy',
  });
  b.textContent = 'Copy';
  b.addEventListener('click', async (e) => {
    e.stopPropagation();
    const ok = await copyText(text);
    b.textContent = ok ? 'Copied' : 'Copy failed';
    window.setTimeout(() => (b.textContent = 'Copy'), 1500);
  });
  return b;
}

/** A value as monospace text with a copy button (URLs from records, ids, hashes). */
/** The text with a copy button; shown cut to `max` characters, while the tooltip and the copy keep it whole. */
export function copyable(text, cls = 'mono', max = Infinity) {
  if (text === null || text === undefined || text === '') return h('span', { class: 'muted' }, '—');
  const full = String(text);
  return h(
    'span',
    { class: 'copyable' },
    h('span', { class: cls, title: full }, full.length > max ? truncate(full, max) : full),
    copyButton(full),
  );
}

// ---------- formatting ----------

const NUM = new Intl.NumberFormat('en-US');
export function fmtNum(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return NUM.format(n);
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** "2026-12-03 13:47" (UTC). */
export function fmtTime(iso) {
  if (iso === null || iso === undefined || iso === '') return '—';
  const d = typeof iso === 'number' ? new Date(iso) : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

export function fmtHm(iso) {
  const d = new Date(iso);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** A time cell: text UTC, machine-readable datetime. */
export function timeEl(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: String(iso), title: String(iso) }, fmtTime(iso));
}

/** "3 h 12 min", "2 d 4 h", "45 s". */
export function fmtAge(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  let s = Math.round(Math.abs(seconds));
  if (s < 60) return `${s} s`;
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hr = Math.floor(s / 3600);
  s -= hr * 3600;
  const m = Math.floor(s / 60);
  if (d > 0) return hr ? `${d} d ${hr} h` : `${d} d`;
  if (hr > 0) return m ? `${hr} h ${m} min` : `${hr} h`;
  return `${m} min`;
}

// ---------- chips ----------

export const VERDICT_LABEL = {
  malware: 'Malware',
  phish: 'Phish',
  hcphish: 'High-confidence phish',
  spam: 'Spam',
  bulk: 'Bulk',
  other: 'Other',
};

export function verdictLabel(v) {
  if (v === null || v === undefined) return 'None';
  return VERDICT_LABEL[v] || String(v);
}

export function verdictChip(v, raw) {
  const cls = v && VERDICT_LABEL[v] ? v : 'other';
  return h(
    'span',
    { class: `chip v-${cls}`, title: raw ? `Microsoft verdict: ${raw}` : null },
    verdictLabel(v),
  );
}

/** Map a Microsoft verdict text ("Phish", "High Confidence Phish", "Malware") to a class. */
export function verdictClassOf(text) {
  if (!text) return null;
  const t = String(text).toLowerCase();
  if (t.includes('malware')) return 'malware';
  if (t.includes('high') && t.includes('phish')) return 'hcphish';
  if (t.includes('phish')) return 'phish';
  if (t.includes('spam')) return 'spam';
  if (t.includes('bulk')) return 'bulk';
  return 'other';
}

export function rawVerdictChip(text) {
  if (!text) return h('span', { class: 'muted' }, '—');
  return h('span', { class: `chip v-${verdictClassOf(text)}` }, String(text));
}

/** A neutral chip whose class reflects a state (text always says it). */
export function chip(text, tone = 'neutral') {
  if (text === null || text === undefined || text === '') return h('span', { class: 'muted' }, '—');
  return h('span', { class: `chip t-${tone}` }, String(text));
}

export function locationChip(loc) {
  if (!loc) return h('span', { class: 'muted' }, '—');
  const l = String(loc).toLowerCase();
  const tone = l.includes('inbox')
    ? 'bad'
    : l.includes('junk')
      ? 'warn'
      : l.includes('quarantine') || l.includes('deleted') || l.includes('dropped') || l.includes('removed')
        ? 'good'
        : 'neutral';
  return chip(loc, tone);
}

export function actionTone(action) {
  const a = String(action || '').toLowerCase();
  // A click past a warning (…PageOverride, clicked-through-warning) or threat mail in the inbox: bad.
  if (a.includes('override') || a.includes('through') || a === 'delivered' || a === 'delivered to inbox')
    return 'bad';
  if (a.includes('pending') || a.includes('junk') || a.includes('spam') || a.includes('warn')) return 'warn';
  if (
    a.includes('block') ||
    a.includes('remediat') ||
    a.includes('quarantin') ||
    a.includes('completed') ||
    a.includes('removed')
  )
    return 'good';
  return 'neutral';
}

export function badgeNew() {
  return h('span', { class: 'badge-new', title: 'Not seen in the 7 days before the range' }, 'new');
}

export function muted(text) {
  return h('span', { class: 'muted' }, text);
}

export function truncate(text, n = 80) {
  if (text === null || text === undefined) return '';
  const s = String(text);
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
