import { isIPv4, isIPv6 } from 'node:net';
import type { EventAction, FileInfo, NormalizedEvent, Severity } from '../schema/event.js';
import type { Format, FormatInput } from './format.contract.js';
import { compact } from './format.contract.js';

/**
 * ArcSight Common Event Format, CEF version 0 as specified in "Implementing
 * ArcSight CEF" revision 25: one line
 * `CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|key=value key=value`.
 * The key table (which normalized field goes to which CEF key, and why) is in
 * docs/FORMATS.md; the constants below are the single source for it.
 */

export const DEVICE_VENDOR = 'Microsoft';
export const DEVICE_PRODUCT = 'Defender for Office 365';
/** The Management Activity API version the records come from (`/api/v1.0/`). */
export const DEVICE_VERSION = '1.0';

/** CEF severity 0–10 (0–3 Low, 4–6 Medium, 7–8 High, 9–10 Very-High); LEEF `sev` uses the same scale. */
export const SEVERITY_NUMBER: Record<Severity, number> = {
  informational: 1,
  low: 3,
  medium: 5,
  high: 8,
  critical: 10,
};

/** Header field limits of CEF rev 25. */
const HEADER_LIMITS = { vendor: 63, product: 63, version: 31, signatureId: 1023, name: 512 } as const;

/**
 * Length limits of the extension keys we use (CEF rev 25 key dictionary).
 * Values are cut to these lengths before escaping so an escape is never split.
 */
export const CEF_KEY_LIMITS: Record<string, number> = {
  act: 63,
  cat: 1023,
  cs1: 4000,
  cs2: 4000,
  cs3: 4000,
  cs4: 4000,
  cs5: 4000,
  cs6: 4000,
  deviceExternalId: 255,
  deviceFacility: 1023,
  duid: 1023,
  duser: 1023,
  externalId: 40,
  fileHash: 255,
  fileId: 1023,
  filePath: 1023,
  flexString1: 1023,
  flexString2: 1023,
  fname: 1023,
  msg: 1023,
  outcome: 63,
  reason: 1023,
  request: 1023,
  requestClientApplication: 1023,
  suser: 1023,
};
const LABEL_LIMIT = 1023;
const FLEX_LABEL_LIMIT = 128;

/**
 * Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair.
 *
 * @example truncate('abcdef', 3) // 'abc'
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}

// eslint-disable-next-line no-control-regex
const OTHER_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** Control characters other than tab, CR and LF cannot travel in a syslog line; they become spaces. */
export function replaceControls(text: string): string {
  return text.replace(OTHER_CONTROLS, ' ');
}

/** The header's escaping: `\` and `|`; line breaks are not allowed there, so they become spaces. */
export function escapeCefHeader(text: string, max: number): string {
  return truncate(replaceControls(text).replace(/\r\n|[\r\n\t]/g, ' '), max).replace(
    /[\\|]/g,
    (c) => `\\${c}`,
  );
}

/** Extension values escape `\`, `=` and line breaks (`\n`, `\r`); `|` needs no escape there. */
export function escapeCefValue(text: string): string {
  return replaceControls(text)
    .replace(/[\\=]/g, (c) => `\\${c}`)
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r');
}

/** Epoch milliseconds of an ISO time, or null when it does not parse. */
export function epochMillis(iso: string | null): number | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

/** `<RecordType>:<Operation>`: a stable event class across workloads, whose operation names overlap. */
export function eventClassId(event: NormalizedEvent): string {
  return `${event.recordType ?? 'unknown'}:${event.operation ?? 'unknown'}`;
}

const EMAIL_PHRASES: Partial<Record<EventAction, string>> = {
  'delivered-to-junk': 'delivered to junk',
  detected: 'detected after delivery',
  remediated: 'removed after delivery',
};
const CLICK_PHRASES: Partial<Record<EventAction, string>> = {
  clicked: 'URL clicked',
  'click-blocked': 'URL click blocked',
  'click-pending-detonation': 'URL click held for scanning',
  'clicked-through-warning': 'URL clicked through a warning',
};

/** A short human title for the event, e.g. "Phish email blocked" or "Safe Links: URL click blocked". */
export function eventTitle(event: NormalizedEvent): string {
  const verdict = event.threat?.verdict;
  switch (event.kind) {
    case 'email':
      return `${verdict ?? 'Threat'} email ${EMAIL_PHRASES[event.action] ?? event.action}`;
    case 'url-click':
      return `Safe Links: ${CLICK_PHRASES[event.action] ?? event.action}`;
    case 'file':
      return `${verdict ?? 'Malicious'} file detected`;
    case 'investigation':
      return `Automated investigation: ${event.investigation?.status ?? event.action}`;
    case 'audit':
      return event.operation ?? event.recordTypeName ?? 'Audit record';
  }
}

/** The attachment or file worth one `fname`/`fileHash`: a malicious one first, then any. */
export function primaryFile(event: NormalizedEvent): FileInfo | null {
  return (
    event.files.find((f) => f.verdict?.id === 1) ??
    event.files.find((f) => f.malwareFamily !== null) ??
    event.files[0] ??
    null
  );
}

/** The address most worth a `src` field: the client (clicks, audit) or the sending server (mail). */
export function sourceAddress(event: NormalizedEvent): string | null {
  return event.actors.clientIp ?? event.actors.senderIp;
}

/** The address the mail came from: envelope (P1) first, then header (P2). */
export function senderAddress(event: NormalizedEvent): string | null {
  return event.kind === 'email' ? (event.actors.mailFrom ?? event.actors.from) : null;
}

/** Policy and action as one text, e.g. "AntiMalware: Quarantine". */
export function policyText(event: NormalizedEvent): string | null {
  const policy = event.threat?.policy?.name;
  const action = event.threat?.policyAction?.name;
  if (!policy && !action) return null;
  return [policy, action].filter(Boolean).join(': ');
}

/**
 * The most one many-valued key carries, in UTF-8 bytes (CEF's `cs*` length, which we also apply to our own
 * keys and to LEEF's): a list is cut by whole items, never inside one, so the value stays valid JSON.
 */
export const LIST_VALUE_LIMIT = 4000;
/** Strings inside list items are cut to this first, so that one hostile subject costs one item at most. */
const ITEM_TEXT_LIMIT = 1023;

/**
 * One many-valued list: the investigation's entities and the join keys. `cef` and `leef` are the keys each
 * line format uses for it; the items are plain strings or compact objects.
 */
export interface EvidenceList {
  cef: string;
  leef: string;
  items: unknown[];
}

function clipStrings(value: unknown): unknown {
  if (typeof value === 'string') return truncate(value, ITEM_TEXT_LIMIT);
  if (Array.isArray(value)) return value.map(clipStrings);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clipStrings(v)]));
  }
  return value;
}

/**
 * The lists of one event, in line order, left out when empty: every network message id and URL the record
 * names (join keys to records 28 and 41), then, for investigations, each entity kind and the actions.
 *
 * @example investigationLists(event).map((l) => l.cef) // ['mdoNetworkMessageIds', 'mdoUrls', 'mdoMails', …]
 */
export function investigationLists(event: NormalizedEvent): EvidenceList[] {
  const evidence = event.investigation?.evidence;
  const lists: EvidenceList[] = [
    { cef: 'mdoNetworkMessageIds', leef: 'networkMessageIds', items: event.networkMessageIds },
    { cef: 'mdoUrls', leef: 'urls', items: event.urls },
  ];
  if (evidence) {
    lists.push(
      {
        cef: 'mdoMails',
        leef: 'mails',
        items: evidence.mails.map((m) => ({
          networkMessageId: m.networkMessageId,
          internetMessageId: m.internetMessageId,
          subject: m.subject,
          sender: m.sender,
          p1Sender: m.p1Sender,
          p2Sender: m.p2Sender,
          p2SenderDisplayName: m.p2SenderDisplayName,
          recipient: m.recipient,
          senderIp: m.senderIp,
          receivedTime: m.receivedTime,
          direction: m.direction,
          deliveryAction: m.deliveryAction,
          deliveryLocation: m.deliveryLocation,
          originalDeliveryLocation: m.originalDeliveryLocation,
          threats: m.threats,
          detectionMethods: m.detectionMethods,
          urls: m.urls,
          fileSha256: m.files.map((f) => f.sha256),
        })),
      },
      { cef: 'mdoIpAddresses', leef: 'ipAddresses', items: evidence.ips },
      { cef: 'mdoUrlEntities', leef: 'urlEntities', items: evidence.urls },
      { cef: 'mdoFiles', leef: 'files', items: evidence.files },
      { cef: 'mdoMailboxes', leef: 'mailboxes', items: evidence.mailboxes },
      {
        cef: 'mdoMailClusters',
        leef: 'mailClusters',
        items: evidence.clusters.map(({ urn: _urn, ...cluster }) => cluster),
      },
    );
  }
  const actions = event.investigation?.actions ?? [];
  lists.push({
    cef: 'mdoActions',
    leef: 'actions',
    items: actions.map((a) => ({
      id: a.id,
      type: a.type,
      status: a.status,
      approval: a.approval,
      approvedBy: a.approvedBy,
      pendingType: a.pendingType,
      description: a.description,
      targetTypes: a.targetTypes,
      mailboxes: a.mailboxes,
      networkMessageIds: a.networkMessageIds,
      urls: a.urls,
      relatedAlertIds: a.relatedAlertIds,
      startTime: a.startTime,
      endTime: a.endTime,
    })),
  });
  return lists
    .map((l) => ({ ...l, items: l.items.map((item) => compact(clipStrings(item))) }))
    .filter((l) => l.items.length > 0);
}

/**
 * A list as a JSON array of at most `limit` UTF-8 bytes: the items that fit, in order; `omitted` counts the
 * rest (an empty array is never returned: when not even the first item fits, `text` is null).
 *
 * @example jsonList(['a', 'b'], 7) // { text: '["a"]', bytes: 5, omitted: 1 }
 */
export function jsonList(
  items: readonly unknown[],
  limit = LIST_VALUE_LIMIT,
  format: 'cef' | 'leef' | 'plain' = 'plain',
): { text: string | null; bytes: number; omitted: number } {
  const parts: string[] = [];
  let bytes = 2;
  for (const item of items) {
    const part = JSON.stringify(item);
    const extra = sentBytes(part, format) + (parts.length > 0 ? 1 : 0);
    if (bytes + extra > limit) break;
    parts.push(part);
    bytes += extra;
  }
  const text = parts.length === 0 ? null : `[${parts.join(',')}]`;
  return { text, bytes: text === null ? 0 : bytes, omitted: items.length - parts.length };
}

/**
 * The UTF-8 bytes a JSON text takes on the line once the format escapes it: JSON text holds no raw line break
 * or tab, so only `\\` (both formats) and `=` (CEF) grow, by one byte each.
 */
function sentBytes(json: string, format: 'cef' | 'leef' | 'plain'): number {
  let grows = 0;
  if (format !== 'plain') {
    for (let i = 0; i < json.length; i++) {
      const c = json.charCodeAt(i);
      if (c === 0x5c || (format === 'cef' && c === 0x3d)) grows += 1;
    }
  }
  return Buffer.byteLength(json) + grows;
}

/**
 * What all lists of one line may take together, in UTF-8 bytes as sent (after escaping): with the other keys, a
 * record-64 line then stays under the 8 KiB message size rsyslog and syslog-ng accept by default (a longer
 * line is cut by the receiver, silently). The join keys come first, so they are the last to be cut.
 */
export const LIST_TOTAL_BUDGET = 5000;

/**
 * The lists as `[key, JSON text]` pairs for one line format, and, when a list did not fit (alone or in the
 * line's budget), an `omitted` pair (`{"<key>":<items left out>}`) so a reader knows the list is partial.
 */
export function listPairs(
  event: NormalizedEvent,
  format: 'cef' | 'leef',
  omittedKey: string,
): [string, string][] {
  const out: [string, string][] = [];
  const omitted: Record<string, number> = {};
  let budget = LIST_TOTAL_BUDGET;
  for (const list of investigationLists(event)) {
    const key = list[format];
    const { text, bytes, omitted: left } = jsonList(list.items, Math.min(LIST_VALUE_LIMIT, budget), format);
    if (text !== null) out.push([key, text]);
    budget -= bytes;
    if (left > 0) omitted[key] = left;
  }
  if (Object.keys(omitted).length > 0) out.push([omittedKey, JSON.stringify(omitted)]);
  return out;
}

/** Sender addresses of the investigated mails: envelope (P1) first, then `Sender`, then header (P2). */
export function evidenceSenders(event: NormalizedEvent): string[] {
  const mails = event.investigation?.evidence.mails ?? [];
  return unique(mails.map((m) => m.p1Sender ?? m.sender ?? m.p2Sender));
}

/** The users an investigation is about: the investigated mails' recipients, then its mailboxes. */
export function evidenceUsers(event: NormalizedEvent): string[] {
  const evidence = event.investigation?.evidence;
  if (!evidence) return [];
  return unique([
    ...evidence.mails.map((m) => m.recipient),
    ...evidence.mailboxes.map((b) => b.address ?? b.upn),
  ]);
}

/** Distinct non-empty strings, first occurrence first. */
export function unique(values: readonly (string | null | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))];
}

type Value = string | number | null | undefined;

/** cs1..cs6 keep one meaning each (cs4's depends on the kind), so a SIEM can map them once. */
function customStrings(event: NormalizedEvent): [label: string, value: Value][] {
  const deliveryOrStatus: [string, Value] =
    event.kind === 'investigation'
      ? ['InvestigationStatus', event.investigation?.status]
      : ['DeliveryLocation', event.email?.latestDeliveryLocation];
  return [
    ['Verdict', event.threat?.verdict],
    [
      'NetworkMessageId',
      event.email?.networkMessageId ?? event.urlClick?.sourceId ?? event.networkMessageIds[0],
    ],
    ['DetectionTechnologies', event.threat?.detectionTechnologies.join(', ') || null],
    deliveryOrStatus,
    ['InvestigationId', event.investigation?.id],
    ['DeepLink', event.deepLink],
  ];
}

/** Builds the ordered key/value list of one event's extension (absent values are left out). */
export function cefExtensions(event: NormalizedEvent): [string, string][] {
  const out: [string, string][] = [];
  const add = (key: string, value: Value, limit = CEF_KEY_LIMITS[key]): void => {
    if (value === null || value === undefined || value === '') return;
    const text = String(value);
    out.push([key, limit === undefined ? text : truncate(text, limit)]);
  };
  const file = primaryFile(event);
  const src = sourceAddress(event) ?? event.investigation?.evidence.ips[0] ?? null;
  const direction = event.email?.direction?.toLowerCase();

  add('rt', epochMillis(event.time));
  add('externalId', event.id);
  add('cat', event.recordTypeName);
  add('act', event.disposition ?? event.action);
  add('outcome', event.outcome);
  add('msg', event.email?.subject ?? event.investigation?.name ?? event.investigation?.alert?.description);
  add('reason', policyText(event));
  add('deviceExternalId', event.tenantId);
  add('deviceFacility', event.workload);
  add('deviceDirection', direction === 'inbound' ? 0 : direction === 'outbound' ? 1 : null);
  if (src !== null && isIPv4(src)) add('src', src);
  if (src !== null && isIPv6(src)) {
    add('c6a2', src);
    add('c6a2Label', 'Source IPv6 Address');
  }
  if (event.actors.clientPort !== null && src === event.actors.clientIp) add('spt', event.actors.clientPort);
  add('suser', senderAddress(event) ?? evidenceSenders(event)[0] ?? event.actors.user?.id);
  add('duser', [...event.actors.recipients, ...evidenceUsers(event)].join(', ') || null);
  add('duid', event.investigation?.evidence.mailboxes.find((b) => b.aadId !== null)?.aadId);
  add('request', event.urlClick?.url ?? event.urls[0]);
  add('requestClientApplication', event.urlClick?.appName);
  add('fname', file?.name);
  add('fileHash', file?.sha256);
  add('filePath', file?.path);
  add('fileId', file?.documentId);
  add('fsize', file?.size);
  add('fileModificationTime', epochMillis(file?.lastModifiedTime ?? null));
  add('start', epochMillis(event.investigation?.startTime ?? null));
  add('end', epochMillis(event.investigation?.endTime ?? null));
  customStrings(event).forEach(([label, value], i) => {
    if (value === null || value === undefined || value === '') return;
    add(`cs${i + 1}`, value);
    add(`cs${i + 1}Label`, label, LABEL_LIMIT);
  });
  add('cn1', event.riskScore);
  add('cn1Label', 'RiskScore', LABEL_LIMIT);
  if (event.email?.messageTime) {
    add('deviceCustomDate1', epochMillis(event.email.messageTime));
    add('deviceCustomDate1Label', 'MessageTime', LABEL_LIMIT);
  }
  add('flexString1', event.kind === 'email' ? event.actors.from : null);
  add('flexString1Label', event.kind === 'email' && event.actors.from ? 'P2Sender' : null, FLEX_LABEL_LIMIT);
  add('flexString2', event.invalidReason);
  add('flexString2Label', event.invalidReason ? 'InvalidReason' : null, FLEX_LABEL_LIMIT);
  // Our own keys (one word, vendor-prefixed as CEF asks of custom keys): the many-valued lists as JSON arrays.
  out.push(...listPairs(event, 'cef', 'mdoOmittedItems'));
  return out;
}

/**
 * Encodes one record as a CEF line.
 *
 * @example
 * cefFormat.encode(toFormatInput(raw));
 * // 'CEF:0|Microsoft|Defender for Office 365|1.0|28:TIMailData|Phish email blocked|8|rt=… externalId=…'
 */
export function encodeCef(input: FormatInput): string {
  const { event } = input;
  const header = [
    'CEF:0',
    escapeCefHeader(DEVICE_VENDOR, HEADER_LIMITS.vendor),
    escapeCefHeader(DEVICE_PRODUCT, HEADER_LIMITS.product),
    escapeCefHeader(DEVICE_VERSION, HEADER_LIMITS.version),
    escapeCefHeader(eventClassId(event), HEADER_LIMITS.signatureId),
    escapeCefHeader(eventTitle(event), HEADER_LIMITS.name),
    String(SEVERITY_NUMBER[event.severity] ?? 0),
  ].join('|');
  const extension = cefExtensions(event)
    .map(([k, v]) => `${k}=${escapeCefValue(v)}`)
    .join(' ');
  return `${header}|${extension}`;
}

export const cefFormat: Format = {
  id: 'cef',
  contentType: 'text/plain; charset=utf-8',
  encode: encodeCef,
};
