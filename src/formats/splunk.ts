import type { NormalizedEvent } from '../schema/event.js';
import {
  epochMillis,
  eventClassId,
  eventTitle,
  evidenceSenders,
  evidenceUsers,
  senderAddress,
  sourceAddress,
  unique,
} from './cef.js';
import type { Format, FormatInput } from './format.contract.js';
import { compact } from './format.contract.js';

/**
 * Splunk HTTP Event Collector event JSON (the `/services/collector/event`
 * body, one event), made for the Splunk Add-on for Microsoft Office 365:
 *
 * - `event` is the Management Activity record exactly as received (its JSON
 *   text, keys and values untouched), with sourcetype
 *   `o365:management:activity`, so the add-on's own field extractions, aliases
 *   and tags apply as if the add-on had collected it;
 * - the CIM Email / Alerts / Web field values we derive travel in HEC's
 *   `fields` (index-time fields), never inside `event`, so they cannot collide
 *   with or change the record. Why `fields` and not beside the record: see
 *   docs/FORMATS.md.
 *
 * `host` and `index` are routing choices and are left to the Splunk HEC sink's
 * configuration (HEC then uses the token's defaults).
 */

export const SPLUNK_SOURCETYPE = 'o365:management:activity';
export const SPLUNK_SOURCE = 'atp-siem';
const VENDOR_PRODUCT = 'Microsoft Defender for Office 365';

type FieldValue = string | string[];

function domainOf(address: string | null): string | null {
  const at = address?.lastIndexOf('@') ?? -1;
  return address && at >= 0 ? address.slice(at + 1).toLowerCase() : null;
}

/**
 * CIM `action`: the Email model's prescribed values (delivered, blocked,
 * quarantined, deleted) for mail, the Web model's (allowed, blocked) for
 * clicks, our disposition or action otherwise.
 */
export function cimAction(event: NormalizedEvent): string | null {
  if (event.kind === 'email') {
    switch (event.disposition) {
      case 'quarantined':
        return 'quarantined';
      case 'blocked':
        return 'blocked';
      case 'deleted':
      case 'removed':
        return 'deleted';
      case 'delivered':
      case 'junked':
        return 'delivered';
      default:
        break;
    }
    if (event.action === 'blocked') return 'blocked';
    if (event.action === 'remediated') return 'deleted';
    if (event.action === 'delivered' || event.action === 'delivered-to-junk' || event.action === 'detected') {
      return 'delivered';
    }
    return null;
  }
  if (event.kind === 'url-click') {
    if (event.action === 'click-blocked' || event.action === 'click-pending-detonation') return 'blocked';
    if (event.action === 'clicked' || event.action === 'clicked-through-warning') return 'allowed';
    return null;
  }
  return event.disposition ?? event.action;
}

/** The CIM-aligned index-time fields of one event; empty values are left out. */
export function cimFields(event: NormalizedEvent): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  const set = (key: string, value: string | number | boolean | null | undefined | string[]): void => {
    if (Array.isArray(value)) {
      if (value.length > 0) fields[key] = value;
    } else if (value !== null && value !== undefined && value !== '') {
      fields[key] = String(value);
    }
  };
  const sender = senderAddress(event);
  const alert = event.investigation?.alert;

  // Alerts data model (and fields shared by every model).
  set('app', event.kind === 'audit' ? (event.workload ?? 'Office 365') : VENDOR_PRODUCT);
  set('vendor_product', event.kind === 'audit' ? 'Microsoft Office 365' : VENDOR_PRODUCT);
  // The add-on's own alias (OrganizationId as vendor_account), at index time too, for installs without it.
  set('vendor_account', event.tenantId);
  set('id', event.id);
  set('type', event.isAlert ? 'alert' : 'event');
  set('severity', event.severity);
  set('signature', alert?.name ?? eventTitle(event));
  set('signature_id', eventClassId(event));
  set('description', alert?.description ?? event.investigation?.name ?? eventTitle(event));
  set('mitre_technique_id', event.attack?.technique.id);
  set('action', cimAction(event));
  set('user', event.actors.user?.id);
  set('src', sourceAddress(event));
  set('url', unique([event.urlClick?.url, ...event.urls]));
  set('file_name', unique(event.files.map((f) => f.name)));
  set('file_hash', unique(event.files.map((f) => f.sha256)));
  set('file_path', unique(event.files.map((f) => f.path)));

  // Email data model.
  if (event.kind === 'email') {
    set('src_user', sender);
    set('src_user_domain', domainOf(sender));
    set('recipient', event.actors.recipients);
    set('recipient_count', event.actors.recipients.length);
    set('recipient_domain', unique(event.actors.recipients.map(domainOf)));
    set('subject', event.email?.subject);
    set('message_id', event.email?.internetMessageId);
    set('internal_message_id', event.email?.networkMessageId);
    set('filter_action', event.disposition);
    set('signature_extra', event.threat?.detectionTechnologies.join(', '));
  }
  if (event.investigation) investigationFields(event, set);

  // Our own, prefixed so they never shadow a CIM or add-on field.
  set('atp_kind', event.kind);
  // Join keys, on every record: the mails (28) and clicks (41) an event concerns share these values.
  set('atp_network_message_id', event.networkMessageIds);
  set('atp_verdict', event.threat?.verdict);
  set('atp_invalid_reason', event.invalidReason);
  return fields;
}

type Setter = (key: string, value: string | number | null | undefined | string[]) => void;

/**
 * An investigation's entities: the CIM Email fields hold every investigated mail's values (multivalue, in
 * mail order, de-duplicated); what CIM has no field for goes in `atp_*` fields, flat lists for `tstats`
 * and one JSON object per cluster and per action where the values belong together.
 */
function investigationFields(event: NormalizedEvent, set: Setter): void {
  const inv = event.investigation;
  if (!inv) return;
  const { mails, ips, urls, files, mailboxes, clusters } = inv.evidence;
  const senders = evidenceSenders(event);
  const recipients = unique(mails.map((m) => m.recipient));
  set('src', ips);
  set('src_user', senders);
  set('src_user_domain', unique(senders.map(domainOf)));
  set('recipient', recipients);
  set('recipient_count', recipients.length > 0 ? recipients.length : null);
  set('recipient_domain', unique(recipients.map(domainOf)));
  set('user', evidenceUsers(event));
  set('subject', unique(mails.map((m) => m.subject)));
  set('message_id', unique(mails.map((m) => m.internetMessageId)));
  set('internal_message_id', event.networkMessageIds);
  set('file_hash', unique(files.map((f) => f.sha256)));
  set('file_name', unique(files.map((f) => f.name)));

  set('atp_mail_p1_sender', unique(mails.map((m) => m.p1Sender)));
  set('atp_mail_p2_sender', unique(mails.map((m) => m.p2Sender)));
  set('atp_mail_p2_sender_display_name', unique(mails.map((m) => m.p2SenderDisplayName)));
  set('atp_mail_sender', unique(mails.map((m) => m.sender)));
  set('atp_mail_delivery_action', unique(mails.map((m) => m.deliveryAction)));
  set('atp_mail_delivery_location', unique(mails.map((m) => m.deliveryLocation)));
  set('atp_mail_threat', unique(mails.flatMap((m) => m.threats)));
  set(
    'atp_url_entity',
    urls.map((u) => JSON.stringify(compact(u))),
  );
  set('atp_file_sha1', unique(files.map((f) => f.sha1)));
  set('atp_file_md5', unique(files.map((f) => f.md5)));
  set(
    'atp_file_other_hash',
    unique(files.flatMap((f) => f.otherHashes.map((h) => `${h.algorithm}:${h.value}`))),
  );
  set('atp_malware_family', unique(files.map((f) => f.malwareFamily)));
  set('atp_mailbox', unique(mailboxes.map((b) => b.address)));
  set('atp_mailbox_upn', unique(mailboxes.map((b) => b.upn)));
  set('atp_mailbox_display_name', unique(mailboxes.map((b) => b.displayName)));
  set('atp_mailbox_aad_id', unique(mailboxes.map((b) => b.aadId)));
  set('atp_cluster_query', unique(clusters.map((c) => c.query)));
  set(
    'atp_cluster',
    clusters.map(({ urn: _urn, ...c }) => JSON.stringify(compact(c))),
  );
  set('atp_investigation_id', inv.id);
  set('atp_investigation_status', inv.status);
  set('atp_action_type', unique(inv.actions.map((a) => a.type)));
  set('atp_action_status', unique(inv.actions.map((a) => a.status)));
  set('atp_action_approved_by', unique(inv.actions.map((a) => a.approvedBy)));
  set(
    'atp_action',
    inv.actions.map((a) => JSON.stringify(compact(a))),
  );
}

/** HEC `time`: epoch seconds with milliseconds, as a JSON number literal; null when unknown. */
function hecTime(event: NormalizedEvent): string | null {
  const ms = epochMillis(event.time);
  return ms === null ? null : (ms / 1000).toFixed(3);
}

/**
 * Removes the whitespace between JSON tokens (never inside strings), so a
 * pretty-printed blob element becomes one compact line with every key, value
 * and number form exactly as received.
 *
 * @example compactJson('{\n  "a": "b c",\n  "n": 1.50\n}') // '{"a":"b c","n":1.50}'
 */
export function compactJson(text: string): string {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      out += text.slice(from, i);
      from = i + 1;
    }
  }
  return out + text.slice(from);
}

/** The record's own JSON text, compacted, when it is an object; otherwise the raw text as a JSON string. */
function eventBody(input: FormatInput): string {
  const { record, raw } = input;
  if (record !== null && typeof record === 'object' && !Array.isArray(record)) return compactJson(raw);
  return JSON.stringify(raw);
}

/**
 * Encodes one record as a Splunk HEC event.
 *
 * @example
 * splunkFormat.encode(toFormatInput('{"Id":"1","CreationTime":"2024-01-05T10:00:00"}'));
 * // '{"time":1704448800.000,"source":"atp-siem","sourcetype":"o365:management:activity","event":{"Id":"1",…},"fields":{…}}'
 */
export function encodeSplunk(input: FormatInput): string {
  const time = hecTime(input.event);
  const parts = [
    ...(time === null ? [] : [`"time":${time}`]),
    `"source":${JSON.stringify(SPLUNK_SOURCE)}`,
    `"sourcetype":${JSON.stringify(SPLUNK_SOURCETYPE)}`,
    `"event":${eventBody(input)}`,
    `"fields":${JSON.stringify(cimFields(input.event))}`,
  ];
  return `{${parts.join(',')}}`;
}

export const splunkFormat: Format = {
  id: 'splunk',
  contentType: 'application/json',
  encode: encodeSplunk,
};
