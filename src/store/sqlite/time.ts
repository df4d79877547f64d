const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const NO_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/;

/**
 * Every instant the store keeps or compares is text in one shape,
 * `YYYY-MM-DDTHH:MM:SS.sssZ`, so that SQL string order is time order.
 * Wire times without a zone (record `CreationTime`) are UTC. Returns null for
 * text that is not a time; the raw record keeps whatever was sent.
 * @example canonicalTime('2026-01-31T08:00:00') === '2026-01-31T08:00:00.000Z'
 */
export function canonicalTime(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (CANONICAL.test(value)) return value;
  const ms = Date.parse(NO_ZONE.test(value) ? `${value}Z` : value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** Like canonicalTime, for arguments that must be times: a bad one is a caller bug. */
export function requireTime(value: string, what: string): string {
  const time = canonicalTime(value);
  if (time === null) throw new TypeError(`${what} is not an ISO time: ${JSON.stringify(value)}`);
  return time;
}

export const DAY_MS = 86_400_000;

/** The instant `days` days before `iso`. */
export function daysBefore(iso: string, days: number): string {
  return new Date(Date.parse(iso) - days * DAY_MS).toISOString();
}
