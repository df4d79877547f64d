/**
 * Durations on the command line and in options: `500ms`, `90s`, `15m`, `6h`, `7d`,
 * or a bare number of milliseconds.
 * @example parseDuration('7d') === 604_800_000
 */
export function parseDuration(text: string): number {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!m || m[1] === undefined) {
    throw new Error(`invalid duration "${text}": use a number with ms, s, m, h or d (e.g. 7d, 6h, 15m)`);
  }
  const value = Number(m[1]);
  const unit = (m[2] ?? 'ms').toLowerCase();
  return Math.round(value * UNIT_MS[unit]!);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
