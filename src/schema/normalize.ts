/**
 * `normalize()`: any audit record (parsed JSON) → `NormalizedEvent` plus the
 * reason it failed validation. Never throws and never drops a record: an
 * invalid record still yields every field that could be read, an unknown
 * record type a generic audit event.
 */
import type { NormalizedEvent } from './event.js';
import { attackOf } from './map/attack.js';
import { baseEvent } from './map/common.js';
import { mapFile } from './map/file.js';
import { mapInvestigation } from './map/investigation.js';
import { mapMail } from './map/mail.js';
import { mapUrlClick } from './map/url-click.js';
import type { RecordSchemaKey } from './records.js';
import { LENIENT, STRICT, schemaKeyFor } from './records.js';
import { isRecord } from './wire.js';
import type { z } from 'zod';

/** At most this many issues are named in a reason; the rest are counted. */
const MAX_ISSUES = 5;

/** One line an operator can read: `NetworkMessageId: missing; FileData.SHA256: …`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, MAX_ISSUES).map((i) => {
    const path = i.path.map(String).join('.') || '(record)';
    const message = /received undefined$/.test(i.message) ? 'missing' : i.message;
    return `${path}: ${message}`;
  });
  if (issues.length > MAX_ISSUES) parts.push(`and ${issues.length - MAX_ISSUES} more`);
  return parts.join('; ');
}

/** Spellings accepted besides the canonical ones (see records.ts). */
const KEY_ALIASES: Readonly<Record<string, string>> = {
  ClientIp: 'ClientIP',
  URL: 'Url',
  Connectors: 'Connector',
  DeeplinkURL: 'DeepLinkUrl',
};

/** Fields the schema for `key` does not know (compared ignoring case), with their original keys and values. */
function unknownFields(record: Record<string, unknown>, key: RecordSchemaKey): Record<string, unknown> {
  const fields: readonly string[] = LENIENT.knownFields[key];
  const aliases = Object.keys(KEY_ALIASES).filter((a) => fields.includes(KEY_ALIASES[a] ?? ''));
  const known = new Set([...fields, ...aliases].map((k) => k.toLowerCase()));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (!known.has(k.toLowerCase())) out[k] = v;
  return out;
}

/** True when the record has this key, compared ignoring case. */
function hasKey(record: Record<string, unknown>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(record).some((k) => k.toLowerCase() === lower);
}

/** `RecordType` (any key case, number or numeric string), or null. */
function readRecordType(record: Record<string, unknown>): number | null {
  const key = Object.keys(record).find((k) => k.toLowerCase() === 'recordtype');
  const v = key === undefined ? undefined : record[key];
  const n = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
}

/**
 * Validates with the strict schema and maps from its output; only an invalid
 * record is parsed a second time, leniently, so valid records cost one parse.
 * Both schemas come from the same builder and share one output type.
 */
function parseRecord<T extends z.ZodType>(
  strict: T,
  lenient: T,
  record: unknown,
): { data: z.output<T>; reason: string | null } {
  const r = strict.safeParse(record);
  if (r.success) return { data: r.data, reason: null };
  return { data: lenient.parse(record), reason: describeIssues(r.error.issues) };
}

/**
 * Normalizes one audit record.
 *
 * @example
 * const { event, invalidReason } = normalize(JSON.parse(raw));
 * event.action; // 'blocked'
 */
export function normalize(record: unknown): { event: NormalizedEvent; invalidReason: string | null } {
  if (!isRecord(record)) {
    const what = record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record;
    const invalidReason = `record is not a JSON object (got ${what})`;
    return { event: { ...baseEvent(null, {}), invalidReason }, invalidReason };
  }
  const rt = readRecordType(record);
  let key = schemaKeyFor(rt);
  // 86/89 are presumed to share the AIR shape (spec §9.1, INF); without an InvestigationId they are generic.
  if (key === 'investigation' && rt !== 64 && !hasKey(record, 'InvestigationId')) key = 'common';
  const raw = unknownFields(record, key);
  let event: NormalizedEvent;
  let invalidReason: string | null;
  switch (key) {
    case 'mail': {
      const r = parseRecord(STRICT.mail, LENIENT.mail, record);
      event = mapMail(baseEvent(r.data, raw), r.data);
      invalidReason = r.reason;
      break;
    }
    case 'urlClick': {
      const r = parseRecord(STRICT.urlClick, LENIENT.urlClick, record);
      event = mapUrlClick(baseEvent(r.data, raw), r.data);
      invalidReason = r.reason;
      break;
    }
    case 'file': {
      const r = parseRecord(STRICT.file, LENIENT.file, record);
      event = mapFile(baseEvent(r.data, raw), r.data);
      invalidReason = r.reason;
      break;
    }
    case 'investigation': {
      const r = parseRecord(STRICT.investigation, LENIENT.investigation, record);
      event = mapInvestigation(baseEvent(r.data, raw), r.data);
      invalidReason = r.reason;
      break;
    }
    case 'common': {
      const r = parseRecord(STRICT.common, LENIENT.common, record);
      event = baseEvent(r.data, raw);
      invalidReason = r.reason;
      break;
    }
  }
  return { event: { ...event, attack: attackOf(event), invalidReason }, invalidReason };
}
