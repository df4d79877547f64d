/**
 * The `startTime`/`endTime` rules of `/subscriptions/content` (spec §3.5):
 * both or neither; at most 24 h apart; start no more than 7 days old (plus a
 * grace, as observed); start before end; end in the future accepted. The
 * filter is `startTime <= contentCreated < endTime`.
 */
import { AfError } from '../errors.js';
import { DAY_MS, HOUR_MS } from '../duration.js';
import type { Query } from '../http.js';

export interface TimeWindowRules {
  /** Extra age allowed beyond 7 days for startTime (Filebeat saw about 1 h). */
  startGraceMs: number;
  /** Window used when both times are omitted. */
  defaultWindow: 'last24h' | 'today';
  /** Answer AF20030 (older wording) instead of AF20055. */
  legacyCode: boolean;
}

export interface TimeWindow {
  start: number;
  end: number;
  /** False when the client sent no times and the default window applies. */
  explicit: boolean;
}

// Date only, minutes, seconds, fractional seconds; optional Z or offset (tolerant).
const TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses an API time parameter as UTC (no zone means UTC); undefined when malformed. */
export function parseApiTime(text: string): number | undefined {
  const m = TIME_RE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${String(ms).padStart(3, '0')}${zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? undefined : value;
}

export function resolveTimeWindow(query: Query, now: number, rules: TimeWindowRules): TimeWindow {
  const code = rules.legacyCode ? 'AF20030' : 'AF20055';
  const startText = query.get('startTime');
  const endText = query.get('endTime');
  if (startText === undefined && endText === undefined) {
    const start = rules.defaultWindow === 'today' ? Math.floor(now / DAY_MS) * DAY_MS : now - DAY_MS;
    return { start, end: now, explicit: false };
  }
  if (startText === undefined || endText === undefined) throw new AfError(code);
  const start = parseApiTime(startText);
  if (start === undefined) throw new AfError('AF20002', ['startTime', 'datetime']);
  const end = parseApiTime(endText);
  if (end === undefined) throw new AfError('AF20002', ['endTime', 'datetime']);
  if (end - start > DAY_MS) throw new AfError(code);
  if (start < now - 7 * DAY_MS - rules.startGraceMs) throw new AfError(code);
  // AF20030 predates the start-before-end clause; both codes reject it here.
  if (start >= end) throw new AfError(code);
  return { start, end, explicit: true };
}

export const DEFAULT_START_GRACE_MS = HOUR_MS;
