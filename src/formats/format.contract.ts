import type { NormalizedEvent } from '../schema/index.js';

/** Identifiers of the output formats; the file `src/formats/<id>.ts` implements each. */
export type FormatId = 'ecs' | 'ocsf' | 'cef' | 'leef' | 'splunk' | 'sentinel' | 'raw';

/**
 * What a format encodes: one audit record in its three forms.
 *
 * - `raw`: the record exactly as received (the JSON text of its blob array
 *   element, as the store keeps it in `StoredRecord.raw`).
 * - `record`: `raw` parsed (`JSON.parse(raw)`); `unknown` because nothing
 *   about it is guaranteed (invalid records are encoded too).
 * - `event`: `normalize(record).event`; formats map from this typed model and
 *   use `record` only to carry original fields through (e.g. ECS `o365.audit.*`,
 *   OCSF `unmapped`).
 *
 * Build one with `toFormatInput(raw)` from `src/formats/index.ts`.
 */
export interface FormatInput {
  raw: string;
  record: unknown;
  event: NormalizedEvent;
}

/**
 * A SIEM output format.
 *
 * `encode` turns one record into one serialized event: a single line with no
 * trailing newline (JSON formats are compact JSON objects; CEF/LEEF are one
 * syslog payload line). It is pure and never throws for any `FormatInput`
 * built by `toFormatInput` (attacker-controlled text must be escaped, not
 * rejected). Sinks add framing (newlines, HEC envelopes, syslog headers).
 *
 * @example
 * const line = ecsFormat.encode(toFormatInput(storedRecord.raw));
 */
export interface Format {
  id: FormatId;
  /** MIME type of one encoded event, e.g. `application/json` or `text/plain; charset=utf-8`. */
  contentType: string;
  encode(input: FormatInput): string;
}

/**
 * Drops `null`, `undefined`, empty strings, empty arrays and objects left
 * empty, recursively, so encoded events carry only fields that have values.
 * Shared by the JSON formats.
 */
export function compact<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const items = v.map(walk).filter((x) => x !== undefined);
      return items.length === 0 ? undefined : items;
    }
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const w = walk(x);
        if (w !== undefined) out[k] = w;
      }
      return Object.keys(out).length === 0 ? undefined : out;
    }
    return v === null || v === '' ? undefined : v;
  };
  return (walk(value) ?? {}) as T;
}
