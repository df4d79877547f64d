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
  const common = LENIENT.common.parse(record);
  let key = schemaKeyFor(common.RecordType);
  // 86/89 are presumed to share the AIR shape (spec §9.1, INF); without an InvestigationId they are generic.
  if (key === 'investigation' && common.RecordType !== 64 && !('InvestigationId' in common)) key = 'common';
  const strict = STRICT[key].safeParse(record);
  const invalidReason = strict.success ? null : describeIssues(strict.error.issues);
  const base = baseEvent(common, unknownFields(record, key));
  let event: NormalizedEvent;
  switch (key) {
    case 'mail':
      event = mapMail(base, LENIENT.mail.parse(record));
      break;
    case 'urlClick':
      event = mapUrlClick(base, LENIENT.urlClick.parse(record));
      break;
    case 'file':
      event = mapFile(base, LENIENT.file.parse(record));
      break;
    case 'investigation':
      event = mapInvestigation(base, LENIENT.investigation.parse(record));
      break;
    case 'common':
      event = base;
      break;
  }
  return { event: { ...event, attack: attackOf(event), invalidReason }, invalidReason };
}
