/* global window, location, history, fetch, AbortController, URLSearchParams */
// The URL is the whole view: range, tenant, q, filters, sort, page, columns. This module reads it,
// builds API queries from it, and moves between views with history.pushState.

import { ui } from './dom.js';

/** Parameters every page keeps when you move between pages. */
export const GLOBAL_KEYS = ['range', 'from', 'to', 'tenant', 'q'];

export const RANGES = [
  { id: '1h', label: 'Last 1 hour' },
  { id: '24h', label: 'Last 24 hours' },
  { id: 'yt', label: 'Yesterday and today' },
  { id: '7d', label: 'Last 7 days' },
  { id: '30d', label: 'Last 30 days' },
  { id: '90d', label: 'Last 90 days' },
  { id: 'custom', label: 'Custom…' },
];
export const DEFAULT_RANGE = 'yt';

export function params() {
  return new URLSearchParams(location.search);
}

export function param(name) {
  const v = params().get(name);
  return v === null ? null : v;
}

export function rangeId() {
  const p = params();
  const r = p.get('range');
  if (r && RANGES.some((x) => x.id === r)) return r;
  if (p.get('from') || p.get('to')) return 'custom';
  return DEFAULT_RANGE;
}

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The range as ISO instants for the API ({from, to}); to is exclusive. */
export function rangeBounds() {
  const r = rangeId();
  const p = params();
  // Round "now" up to the next minute so a table and its CSV link cover the same instants.
  const now = Math.ceil(Date.now() / MIN) * MIN;
  let from;
  let to = now;
  switch (r) {
    case '1h':
      from = now - HOUR;
      break;
    case '24h':
      from = now - DAY;
      break;
    case '7d':
      from = now - 7 * DAY;
      break;
    case '30d':
      from = now - 30 * DAY;
      break;
    case '90d':
      from = now - 90 * DAY;
      break;
    case 'custom': {
      const f = Date.parse(p.get('from') || '');
      const t = Date.parse(p.get('to') || '');
      from = Number.isNaN(f) ? now - DAY : f;
      to = Number.isNaN(t) ? now : t;
      break;
    }
    case 'yt':
    default: {
      const d = new Date(now);
      from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - DAY;
      break;
    }
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

/** The common API parameters of the current view (from, to, tenant, q). */
export function commonApi() {
  const p = params();
  const { from, to } = rangeBounds();
  const out = new Map([
    ['from', from],
    ['to', to],
  ]);
  const tenant = p.get('tenant');
  if (tenant) out.set('tenant', tenant);
  const q = p.get('q');
  if (q) out.set('q', q);
  return out;
}

/** The global part of the current URL, as a Map, plus overrides. */
export function globalsWith(extra) {
  const p = params();
  const out = new Map();
  for (const k of GLOBAL_KEYS) {
    const v = p.get(k);
    if (v) out.set(k, v);
  }
  if (extra) for (const [k, v] of Object.entries(extra)) out.set(k, v);
  return out;
}

/** A link to another page keeping range/tenant/q. */
export function pageHref(path, extra) {
  return ui(path, globalsWith(extra));
}

/** The current URL with some keys changed (null removes a key). */
export function hereWith(changes, { resetPage = [] } = {}) {
  const p = params();
  const m = new Map([...p.entries()]);
  for (const k of resetPage) m.delete(k);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === '') m.delete(k);
    else m.set(k, String(v));
  }
  return ui(location.pathname, m);
}

// ---------- navigation ----------

let onNavigate = () => {};
export function setNavigateHandler(fn) {
  onNavigate = fn;
}

export function navigate(href, { replace = false } = {}) {
  const depth = (history.state && history.state.depth) || 0;
  if (replace) history.replaceState({ depth }, '', href);
  else history.pushState({ depth: depth + 1 }, '', href);
  onNavigate();
  window.scrollTo(0, 0);
}

/** Back within the dashboard; from the first view, up to the overview instead of leaving the app. */
export function back() {
  if (history.state && history.state.depth > 0) history.back();
  else if (location.pathname !== '/') navigate(pageHref('/'));
}

/** Change the current view's URL in place (filters, sort, page) and re-render. */
export function update(changes, opts) {
  navigate(hereWith(changes, opts), { replace: false });
}

// ---------- API ----------

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

let controller = new AbortController();
/** Abort every fetch of the previous view. */
export function newView() {
  controller.abort();
  controller = new AbortController();
}

/** GET a JSON endpoint; a 400's `{error}` becomes an ApiError with that text. */
export async function api(path, query) {
  const href = ui(path, query);
  const res = await fetch(href, { signal: controller.signal, headers: { accept: 'application/json' } });
  let body = null;
  const text = await res.text();
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const msg = body && typeof body.error === 'string' ? body.error : `${res.status} ${res.statusText}`;
    throw new ApiError(msg, res.status);
  }
  if (body === null) throw new ApiError('The server answered something that is not JSON', res.status);
  return body;
}

export function isAbort(e) {
  return e && (e.name === 'AbortError' || e.code === 20);
}
