/**
 * The one window planner: which [start, end) spans of contentCreated to list
 * next, on the server's clock.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/**
 * How far back a listing may start. The API allows 7 days (spec §3.5); a slow
 * paged listing still sends the original startTime minutes later, so keep a
 * margin (Elastic uses the same 167 h 55 m).
 */
export const MAX_LISTING_AGE_MS = 7 * DAY_MS - 5 * 60_000;
/** The API rejects or truncates spans over 24 h (spec §3.5). */
export const MAX_WINDOW_MS = DAY_MS;

export interface TimeWindow {
  start: Date;
  end: Date;
}

export interface WindowPlan {
  windows: TimeWindow[];
  /**
   * Set when the cursor is older than the API can reach: content created in
   * [from, to) can no longer be listed. The caller reports it; it is not silent.
   */
  unreachable: { from: Date; to: Date } | null;
}

export interface PlanOptions {
  /** End of the last fully listed window, or null before the first listing. */
  cursor: Date | null;
  /** Now on the server's clock (local time + clock skew). */
  serverNow: Date;
  maxAgeMs?: number;
  maxSpanMs?: number;
  /**
   * Stay this far behind the server's now, so a window never reaches into the
   * future even with a clock estimate a second off (Date headers have 1 s
   * resolution); blobs that appear later are the straggler sweep's job.
   */
  settleMs?: number;
  /** Spans shorter than this are not worth a call; wait for the next poll. */
  minSpanMs?: number;
}

/**
 * Plans the listing windows from the cursor up to (server) now: consecutive,
 * each at most 24 h, none starting older than the API allows, none ending
 * after now.
 * @example planWindows({ cursor: null, serverNow: new Date() }).windows.length // 7 or 8: the first run back-fills 7 days
 */
export function planWindows(options: PlanOptions): WindowPlan {
  const maxAge = options.maxAgeMs ?? MAX_LISTING_AGE_MS;
  const maxSpan = options.maxSpanMs ?? MAX_WINDOW_MS;
  const settle = options.settleMs ?? 1_000;
  const minSpan = Math.max(1_000, options.minSpanMs ?? 1_000);
  if (!(maxSpan > 0)) throw new RangeError('maxSpanMs must be positive');

  const now = options.serverNow.getTime();
  // Whole seconds: the API takes times to the second (src/api cuts sub-seconds), so windows and the
  // cursor stay exactly contiguous on the wire, and a span of at least a second never collapses to start = end.
  const oldest = Math.ceil((now - maxAge) / 1000) * 1000;
  const limit = Math.floor((now - settle) / 1000) * 1000;
  let start = options.cursor ? options.cursor.getTime() : oldest;
  let unreachable: WindowPlan['unreachable'] = null;
  if (start < oldest) {
    if (options.cursor) unreachable = { from: new Date(start), to: new Date(oldest) };
    start = oldest;
  }

  const windows: TimeWindow[] = [];
  while (limit - start >= minSpan) {
    const end = Math.min(start + maxSpan, limit);
    windows.push({ start: new Date(start), end: new Date(end) });
    start = end;
  }
  return { windows, unreachable };
}

/**
 * Splits [from, to) into consecutive spans of at most 24 h, clamped to what
 * the API can reach; used by the straggler sweep to re-list trailing windows.
 * @example sweepWindows({ from, to: cursor, serverNow }) // 2 windows for 48 h
 */
export function sweepWindows(options: {
  from: Date;
  to: Date;
  serverNow: Date;
  maxAgeMs?: number;
  maxSpanMs?: number;
}): TimeWindow[] {
  const maxAge = options.maxAgeMs ?? MAX_LISTING_AGE_MS;
  const maxSpan = options.maxSpanMs ?? MAX_WINDOW_MS;
  const now = options.serverNow.getTime();
  let start = Math.ceil(Math.max(options.from.getTime(), now - maxAge) / 1000) * 1000;
  const end = Math.floor(Math.min(options.to.getTime(), now) / 1000) * 1000;
  const windows: TimeWindow[] = [];
  while (start < end) {
    const next = Math.min(start + maxSpan, end);
    windows.push({ start: new Date(start), end: new Date(next) });
    start = next;
  }
  return windows;
}
