/**
 * One syslog message per event: the RFC 5424 or RFC 3164 header, the encoded event as MSG, the size limit
 * (truncation at a character boundary, marked, never a second message) and the TCP frame. Pure functions:
 * the transport only moves the bytes built here.
 */
import { isIP } from 'node:net';
import { SEVERITY_NUMBER } from '../../formats/cef.js';
import { toFormatInput, type FormatId } from '../../formats/index.js';
import type { Severity } from '../../schema/event.js';
import { recordTypeName } from '../../schema/index.js';
import type { SinkEvent } from '../types.js';

export type SyslogProtocol = 'rfc5424' | 'rfc3164';
export type SyslogFraming = 'octet-counting' | 'lf';

/** Facility names (RFC 5424 §6.2.1 numbers; rsyslog's spellings, `audit` for 13). */
export const FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  audit: 13,
  alert: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type FacilityName = keyof typeof FACILITIES;

/**
 * Our severities as syslog severities (spec §3.7, INF): High→2 crit, Medium→4 warning, Low→5 notice,
 * Informational→6 info. Critical also goes to 2: 1 (alert) and 0 (emerg) say the *sending* system needs
 * immediate action, which a mail detection does not, and "crit or above" filters still catch it.
 */
export const SYSLOG_SEVERITY: Record<Severity, number> = {
  critical: 2,
  high: 2,
  medium: 4,
  low: 5,
  informational: 6,
};

const SEVERITY_BY_CEF_NUMBER = new Map<number, Severity>(
  Object.entries(SEVERITY_NUMBER).map(([name, n]) => [n, name as Severity]),
);

/** Our severity for a CEF/LEEF 0–10 number: the encoder's own table first, then the CEF ranges. */
function severityOfNumber(n: number): Severity {
  const exact = SEVERITY_BY_CEF_NUMBER.get(n);
  if (exact !== undefined) return exact;
  if (n >= 9) return 'critical';
  if (n >= 7) return 'high';
  if (n >= 4) return 'medium';
  return 'low';
}

/** The 7th `|`-separated CEF header field (`\|` and `\\` are escapes), or undefined. */
function cefSeverityField(payload: string): string | undefined {
  let field = 0;
  let start = 0;
  for (let i = 0; i < payload.length; i++) {
    const ch = payload.charCodeAt(i);
    if (ch === 0x5c) i++;
    else if (ch === 0x7c) {
      field++;
      if (field === 6) start = i + 1;
      else if (field === 7) return payload.slice(start, i);
    }
  }
  return undefined;
}

/**
 * The event's severity. CEF and LEEF payloads carry it already (CEF header field 7, LEEF `sev=`), so they
 * are read rather than normalizing the record a second time; other formats normalize the raw record.
 */
export function eventSeverity(event: Pick<SinkEvent, 'payload' | 'format' | 'raw'>): Severity {
  let number: string | undefined;
  if (event.format === 'cef' && event.payload.startsWith('CEF:')) number = cefSeverityField(event.payload);
  else if (event.format === 'leef') number = /(?:^|\t)sev=(\d{1,2})(?:\t|$)/.exec(event.payload)?.[1];
  if (number !== undefined && /^\d{1,2}$/.test(number)) return severityOfNumber(Number(number));
  return toFormatInput(event.raw).event.severity;
}

/** Printable US-ASCII (33–126) only, at most `max` characters; `-` (NILVALUE) when nothing is left. */
export function headerField(text: string | null | undefined, max: number): string {
  const kept = (text ?? '').replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return kept === '' ? '-' : kept;
}

/** The HOSTNAME of RFC 3164: no domain part (§4.1.2), unless it is an IP address. */
export function shortHostname(hostname: string): string {
  if (isIP(hostname) !== 0) return hostname;
  const dot = hostname.indexOf('.');
  return dot > 0 ? hostname.slice(0, dot) : hostname;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** RFC 3164 TIMESTAMP `Mmm dd hh:mm:ss`: local time, day space-padded, no year or zone (§4.1.2). */
export function bsdTimestamp(at: Date): string {
  const day = String(at.getDate()).padStart(2, ' ');
  return `${MONTHS[at.getMonth()]} ${day} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}

/** The event's time (its CreationTime), or now when it has none or it cannot be written as RFC 3339. */
function eventTime(creationTime: string | null, now: Date): Date {
  if (creationTime === null) return now;
  const ms = Date.parse(creationTime);
  if (Number.isNaN(ms)) return now;
  const at = new Date(ms);
  const year = at.getUTCFullYear();
  return year >= 1 && year <= 9999 ? at : now;
}

export interface MessageOptions {
  protocol: SyslogProtocol;
  /** 0–23. */
  facility: number;
  /** Already reduced to printable ASCII (see `headerField`). */
  hostname: string;
  appName: string;
  procId: string;
  /** Start a UTF-8 MSG with the BOM (RFC 5424 §6.4); RFC 5424 only. */
  bom: boolean;
  /** Most bytes of the whole message (header and MSG, without the TCP frame). */
  maxBytes: number;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * What marks a cut message, chosen so the receiver's parser still reads it as the same format: a CEF
 * extension key, a LEEF attribute, or a plain-text tail for JSON (which a cut leaves invalid anyway).
 */
export function truncationMarker(format: FormatId, originalBytes: number): string {
  switch (format) {
    case 'cef':
      return ` atpSiemTruncated=${originalBytes}`;
    case 'leef':
      return `\tatpSiemTruncated=${originalBytes}`;
    default:
      return ` [atp-siem: truncated, ${originalBytes} bytes]`;
  }
}

/**
 * The first bytes of `text` that fit in `budget` bytes, ending on a UTF-8 character boundary and never
 * after the first half of a backslash escape (CEF/LEEF `\\`, `\=`, `\n`, `\t`, `\|`).
 */
export function cutUtf8(text: Buffer, budget: number): Buffer {
  let end = Math.max(0, Math.min(budget, text.length));
  // A continuation byte (10xxxxxx) at the cut means the character started before it: back up to its start.
  while (end > 0 && end < text.length && (text[end]! & 0xc0) === 0x80) end--;
  let backslashes = 0;
  while (end - backslashes > 0 && text[end - backslashes - 1] === 0x5c) backslashes++;
  if (backslashes % 2 === 1) end--;
  return text.subarray(0, end);
}

/**
 * Line breaks and NUL become spaces, so that one event is one frame and one line for every receiver (LF
 * framing, NUL-delimited inputs, line-based files behind the receiver). CEF and LEEF already escape line
 * breaks; in JSON a raw CR, LF or NUL can only be whitespace between tokens (inside strings JSON escapes
 * them), so a space means the same. In JSON, U+0085, U+2028 and U+2029 are also written as `\u` escapes
 * (the same JSON; readers such as Python's `splitlines()` break lines on them), as the file sink does.
 */
export function oneLine(payload: string, format: FormatId): string {
  let text = /[\r\n\0]/.test(payload) ? payload.replace(/[\r\n\0]/g, ' ') : payload;
  if (format !== 'cef' && format !== 'leef' && /[\u0085\u2028\u2029]/.test(text))
    text = text.replace(
      /[\u0085\u2028\u2029]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  return text;
}

/** The header up to and including the space before MSG. */
export function syslogHeader(event: SinkEvent, options: MessageOptions, now: Date): string {
  const severity = SYSLOG_SEVERITY[eventSeverity(event)];
  const pri = options.facility * 8 + severity;
  const at = eventTime(event.creationTime, now);
  if (options.protocol === 'rfc5424') {
    const msgId = headerField(recordTypeName(event.recordType), 32);
    return `<${pri}>1 ${at.toISOString()} ${options.hostname} ${options.appName} ${options.procId} ${msgId} - `;
  }
  // CEF and LEEF define their syslog prefix as `timestamp host CEF:0|…`: the format marker is the TAG
  // (rsyslog reads `CEF:` as the tag). JSON payloads get the RFC 3164 TAG `app[pid]:`.
  const tag =
    event.format === 'cef' || event.format === 'leef'
      ? ''
      : `${options.appName.slice(0, 32)}${options.procId === '-' ? '' : `[${options.procId}]`}: `;
  return `<${pri}>${bsdTimestamp(at)} ${options.hostname} ${tag}`;
}

export interface BuiltMessage {
  bytes: Buffer;
  /** The MSG was cut to fit `maxBytes` (and carries the marker). */
  truncated: boolean;
}

/**
 * One event as one syslog message of at most `options.maxBytes` bytes.
 * @example buildMessage(event, { protocol: 'rfc5424', facility: 20, hostname: 'mx1', appName: 'atp-siem', procId: '42', bom: false, maxBytes: 8096 }, new Date())
 */
export function buildMessage(event: SinkEvent, options: MessageOptions, now: Date): BuiltMessage {
  const header = Buffer.from(syslogHeader(event, options, now), 'utf8');
  const bom = options.bom && options.protocol === 'rfc5424' ? BOM : undefined;
  const msg = Buffer.from(oneLine(event.payload, event.format), 'utf8');
  const fixed = header.length + (bom?.length ?? 0);
  if (fixed + msg.length <= options.maxBytes) {
    return { bytes: Buffer.concat(bom ? [header, bom, msg] : [header, msg]), truncated: false };
  }
  const marker = Buffer.from(truncationMarker(event.format, msg.length), 'utf8');
  const kept = cutUtf8(msg, options.maxBytes - fixed - marker.length);
  const parts = bom ? [header, bom, kept, marker] : [header, kept, marker];
  return { bytes: Buffer.concat(parts), truncated: true };
}

/**
 * A message framed for a TCP stream (RFC 6587 §3.4): `LEN SP MSG` or MSG + LF.
 * @example frame(Buffer.from('<165>1 - - - - - -'), 'octet-counting') // '18 <165>1 - - - - - -'
 */
export function frame(message: Buffer, framing: SyslogFraming): Buffer {
  return framing === 'octet-counting'
    ? Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message])
    : Buffer.concat([message, Buffer.from('\n', 'ascii')]);
}
