/**
 * Checks ECS documents against the generated field table (`ecs-fields.ts`,
 * from ECS's own `ecs_flat.yml`): each value has its field's ECS type, the
 * categorization fields hold allowed values, and every `event.type` is one
 * that at least one of the document's `event.category` values expects.
 *
 * `o365.*` and `atp_siem.*` are our namespaces outside ECS and are not checked.
 */
import { isIP } from 'node:net';
import type { EcsFieldType } from './ecs-fields.js';
import {
  ECS_EVENT_CATEGORIES,
  ECS_EVENT_KINDS,
  ECS_EVENT_OUTCOMES,
  ECS_EVENT_TYPES,
  ECS_EXPECTED_EVENT_TYPES,
  ECS_FIELD_TYPES,
} from './ecs-fields.js';

/** Top-level keys that are ours, not ECS. */
export const CUSTOM_NAMESPACES: readonly string[] = ['o365', 'atp_siem'];

/** ECS `ip`: an IPv4 or IPv6 address as Elasticsearch parses it (no zone id, no brackets, no port). */
export function isEcsIp(v: unknown): v is string {
  return typeof v === 'string' && !v.includes('%') && isIP(v) !== 0;
}

// Elasticsearch's default date format, strict_date_optional_time: a date, optionally a time, optionally a zone.
const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** ECS `date`: text Elasticsearch's default date format accepts (ISO 8601), or epoch milliseconds. */
export function isEcsDate(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v);
  if (typeof v !== 'string') return false;
  const m = ISO_DATE.exec(v);
  if (!m) return false;
  const [, , mo = '', d = '', h = '0', mi = '0', s = '0'] = m;
  return (
    +mo >= 1 &&
    +mo <= 12 &&
    +d >= 1 &&
    +d <= 31 &&
    +h <= 23 &&
    +mi <= 59 &&
    +s <= 59 &&
    !Number.isNaN(Date.parse(v))
  );
}

/** Whether one (non-array) value fits an ECS field type. */
export function fitsEcsType(type: EcsFieldType, v: unknown): boolean {
  switch (type) {
    case 'ip':
      return isEcsIp(v);
    case 'date':
      return isEcsDate(v);
    case 'long':
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'float':
    case 'double':
    case 'scaled_float':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'keyword':
    case 'wildcard':
    case 'constant_keyword':
    case 'match_only_text':
      return typeof v === 'string';
    case 'object':
    case 'nested':
    case 'flattened':
      return v !== null && typeof v === 'object';
    case 'geo_point':
      return v !== null && (typeof v === 'object' || typeof v === 'string');
  }
}

/** The types whose values can be invalid for data we are given (text, numbers and booleans we make ourselves). */
export const CHECKED_AT_ENCODE: ReadonlySet<EcsFieldType> = new Set<EcsFieldType>([
  'ip',
  'date',
  'long',
  'integer',
  'float',
  'double',
  'scaled_float',
]);

export interface EcsIssue {
  field: string;
  problem: string;
}

// ECS names with fields below them (`threat.enrichments.indicator` is typed `object` but has `.ip`, `.url.*`, …).
const PARENTS: ReadonlySet<string> = new Set(
  Object.keys(ECS_FIELD_TYPES).flatMap((name) =>
    name
      .split('.')
      .slice(0, -1)
      .map((_, i, parts) => parts.slice(0, i + 1).join('.')),
  ),
);

/** Whether an object at this path is a value of its own (a `flattened` or a leaf `object` field), not fields. */
function isObjectValue(path: string): boolean {
  const type = ECS_FIELD_TYPES[path];
  return type === 'flattened' || (type === 'object' && !PARENTS.has(path));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every leaf `[flatName, value]` of a document: arrays give one entry per item; objects in arrays recurse. */
export function ecsLeaves(doc: unknown, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, path);
    } else if (isPlainObject(v) && !isObjectValue(path)) {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    } else {
      out.push([path, v]);
    }
  };
  walk(doc, prefix);
  return out;
}

/** Every way the document departs from ECS (outside our namespaces). */
export function validateEcs(doc: Record<string, unknown>): EcsIssue[] {
  const issues: EcsIssue[] = [];
  for (const [field, value] of ecsLeaves(doc)) {
    const top = field.split('.')[0] ?? '';
    if (CUSTOM_NAMESPACES.includes(top)) continue;
    const type = ECS_FIELD_TYPES[field];
    if (type === undefined) issues.push({ field, problem: 'not an ECS field' });
    else if (!fitsEcsType(type, value))
      issues.push({ field, problem: `${JSON.stringify(value)} is not a valid ${type}` });
  }
  const event = isPlainObject(doc['event']) ? doc['event'] : {};
  const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const allowed = (field: string, values: readonly string[]) => {
    for (const v of list(event[field.slice('event.'.length)]))
      if (typeof v !== 'string' || !values.includes(v))
        issues.push({ field, problem: `${JSON.stringify(v)} is not an allowed value` });
  };
  allowed('event.kind', ECS_EVENT_KINDS);
  allowed('event.category', ECS_EVENT_CATEGORIES);
  allowed('event.type', ECS_EVENT_TYPES);
  allowed('event.outcome', ECS_EVENT_OUTCOMES);
  const categories = list(event['category']).filter((c): c is string => typeof c === 'string');
  for (const t of list(event['type'])) {
    if (typeof t !== 'string') continue;
    if (!categories.some((c) => ECS_EXPECTED_EVENT_TYPES[c]?.includes(t)))
      issues.push({
        field: 'event.type',
        problem: `${t} is expected by none of the categories ${JSON.stringify(categories)}`,
      });
  }
  return issues;
}

/**
 * Removes, in place, every value of an `ip`, `date` or numeric ECS field that is not valid for its type (an item of
 * an array alone), and returns the flat names of the fields it removed values from, sorted.
 */
export function dropInvalidEcsValues(doc: Record<string, unknown>): string[] {
  const bad = new Set<string>();
  const walk = (v: unknown, path: string): unknown => {
    if (Array.isArray(v)) {
      const items = v.map((x) => walk(x, path)).filter((x) => x !== undefined);
      return items.length === 0 ? undefined : items;
    }
    if (isPlainObject(v)) {
      if (isObjectValue(path)) return v;
      for (const [k, x] of Object.entries(v)) {
        const w = walk(x, path ? `${path}.${k}` : k);
        if (w === undefined) delete v[k];
        else v[k] = w;
      }
      return Object.keys(v).length === 0 ? undefined : v;
    }
    const type = ECS_FIELD_TYPES[path];
    if (type !== undefined && CHECKED_AT_ENCODE.has(type) && !fitsEcsType(type, v)) {
      bad.add(path);
      return undefined;
    }
    return v;
  };
  for (const key of Object.keys(doc)) {
    if (CUSTOM_NAMESPACES.includes(key)) continue;
    const w = walk(doc[key], key);
    if (w === undefined) delete doc[key];
    else doc[key] = w;
  }
  return [...bad].sort();
}
