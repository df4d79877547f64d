/**
 * One HEC event envelope per event (spec §1.3): only the keys HEC knows (`time`, `host`, `source`,
 * `sourcetype`, `index`, `event`, `fields`), because an unknown key makes HEC stop indexing at that object
 * while still answering 200. The record's JSON text is carried verbatim, never re-serialised, so its keys
 * and number forms reach Splunk exactly as the format produced them.
 */
import type { SinkEvent } from '../types.js';

export interface EnvelopeRouting {
  index: string | undefined;
  sourcetype: string;
  source: string | undefined;
  host: string | undefined;
}

/** The source when neither the configuration nor the payload names one. */
export const DEFAULT_SOURCE = 'atp-siem';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * End (exclusive) of the JSON string whose opening quote is just before `from`: the first quote after it
 * that an even run of backslashes (none included) precedes, i.e. that no escape swallows.
 */
function stringEnd(text: string, from: number): number {
  for (let j = from; ;) {
    const q = text.indexOf('"', j);
    if (q < 0) return text.length;
    let b = q - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** End (exclusive) of the JSON value starting at `i` in text already known to be valid JSON. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i + 1);
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) j = stringEnd(text, j + 1) - 1;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !/[\s,}\]]/.test(text[j] as string)) j++;
  return j;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i] as string)) i++;
  return i;
}

/**
 * The top-level members of a JSON object, each value as its own text; undefined when `text` is not a JSON
 * object. A repeated key keeps its last value, as JSON.parse does.
 * @example objectMembers('{"a":1.50,"b":{"c":[1]}}') // Map { 'a' => '1.50', 'b' => '{"c":[1]}' }
 */
export function objectMembers(text: string): Map<string, string> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const members = new Map<string, string>();
  let i = skipSpace(text, text.indexOf('{') + 1);
  while (i < text.length && text[i] !== '}') {
    const keyEnd = valueEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, skipSpace(text, keyEnd) + 1); // past the colon
    const end = valueEnd(text, i);
    members.set(key, text.slice(i, end));
    i = skipSpace(text, end);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return members;
}

/** A JSON value HEC takes as `event`: an object, a string or a number (spec §1.3). */
function asEventValue(payload: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return JSON.stringify(payload);
  }
  const ok =
    (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) ||
    typeof parsed === 'string' ||
    typeof parsed === 'number';
  return ok ? payload.trim() : JSON.stringify(payload);
}

/** HEC `time` (epoch seconds with milliseconds) from an ISO time; undefined when there is none. */
export function hecTime(creationTime: string | null): string | undefined {
  if (creationTime === null) return undefined;
  // The store keeps UTC; a time without a zone is read as UTC, never as the host's local time.
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(creationTime);
  const ms = Date.parse(zoned ? creationTime : `${creationTime}Z`);
  return Number.isNaN(ms) ? undefined : (ms / 1000).toFixed(3);
}

/** A time the format wrote is kept when HEC takes it: a number or a numeric string. */
function validTime(text: string | undefined): boolean {
  return text !== undefined && /^"?\d+(\.\d+)?"?$/.test(text);
}

/**
 * The envelope of one event, as one line of JSON.
 *
 * - `splunk` format: the payload already is an envelope; its `time`, `event` and `fields` are kept verbatim,
 *   the configured `host`, `source`, `sourcetype` and `index` win over its own, other keys are left out;
 * - other JSON formats (ecs, ocsf, raw): the payload is `event`, with `time` from the record;
 * - text formats (cef, leef) and non-JSON payloads: the payload is a string `event`.
 *
 * @example toEnvelope(event, { sourcetype: 'atp-siem:ecs', index: 'o365', source: undefined, host: undefined })
 * // '{"time":1767225600.000,"source":"atp-siem","sourcetype":"atp-siem:ecs","index":"o365","event":{…}}'
 */
export function toEnvelope(event: SinkEvent, routing: EnvelopeRouting): string {
  const members = event.format === 'splunk' ? objectMembers(event.payload) : undefined;
  const fromPayload = members?.has('event') ? members : undefined;
  const payloadTime = fromPayload?.get('time');
  const time = validTime(payloadTime) ? payloadTime : hecTime(event.creationTime);
  let out = '{';
  const add = (key: string, value: string | undefined): void => {
    if (value === undefined) return;
    out += out.length === 1 ? `"${key}":${value}` : `,"${key}":${value}`;
  };
  add('time', time);
  add('host', jsonString(routing.host) ?? ownMember(fromPayload, 'host', '"'));
  add('source', jsonString(routing.source) ?? ownMember(fromPayload, 'source', '"') ?? DEFAULT_SOURCE_JSON);
  add('sourcetype', jsonString(routing.sourcetype));
  add('index', jsonString(routing.index) ?? ownMember(fromPayload, 'index', '"'));
  add('event', fromPayload?.get('event') ?? asEventValue(event.payload));
  add('fields', ownMember(fromPayload, 'fields', '{'));
  return `${out}}`;
}

const DEFAULT_SOURCE_JSON = JSON.stringify(DEFAULT_SOURCE);

function jsonString(value: string | undefined): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

/** What the payload says is kept only in the shape HEC takes (a string, an object), never passed on blind. */
function ownMember(
  fromPayload: Map<string, string> | undefined,
  key: string,
  first: '"' | '{',
): string | undefined {
  const value = fromPayload?.get(key);
  return value?.startsWith(first) ? value : undefined;
}
