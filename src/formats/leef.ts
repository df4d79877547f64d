import type { NormalizedEvent } from '../schema/event.js';
import {
  DEVICE_PRODUCT,
  DEVICE_VENDOR,
  DEVICE_VERSION,
  SEVERITY_NUMBER,
  epochMillis,
  escapeCefHeader,
  eventClassId,
  evidenceSenders,
  evidenceUsers,
  listPairs,
  policyText,
  primaryFile,
  replaceControls,
  senderAddress,
  sourceAddress,
  truncate,
} from './cef.js';
import type { Format, FormatInput } from './format.contract.js';

/**
 * IBM QRadar Log Event Extended Format, LEEF 2.0:
 * `LEEF:2.0|Vendor|Product|Version|EventID|x09|key=value<TAB>key=value`.
 * Attributes are tab-delimited and the delimiter is declared in the header in
 * hex (`x09`), which LEEF 2.0 allows and which keeps the header printable.
 * Predefined LEEF keys (devTime, devTimeFormat, cat, sev, src, srcPort,
 * usrName, url, policy) come first, then our own camelCase keys. The key
 * table is in docs/FORMATS.md.
 */

export const LEEF_DELIMITER = '\t';
const LEEF_DELIMITER_DECLARATION = 'x09';
/** Java SimpleDateFormat pattern QRadar uses to read `devTime` (ISO 8601, UTC `Z`). */
export const LEEF_DEV_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSX";
/**
 * LEEF sets no per-value limit, but QRadar keeps 4,096-byte payloads by
 * default; capping each value (as CEF does) keeps one hostile subject from
 * pushing every other attribute out of the stored payload.
 */
export const LEEF_VALUE_LIMIT = 1023;

/**
 * Escapes an attribute value: `\` itself, the delimiter (tab, as `\t`) and line
 * breaks (`\n`, `\r`). `=` needs no escape: a key is never longer than up to
 * the first `=` of its pair.
 */
export function escapeLeefValue(text: string): string {
  return replaceControls(text)
    .replace(/\\/g, '\\\\')
    .replace(/\t/g, '\\t')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r');
}

type Value = string | number | null | undefined;

/** The ordered attribute list of one event (absent values are left out). */
export function leefAttributes(event: NormalizedEvent): [string, string][] {
  const out: [string, string][] = [];
  const add = (key: string, value: Value): void => {
    if (value === null || value === undefined || value === '') return;
    out.push([key, truncate(String(value), LEEF_VALUE_LIMIT)]);
  };
  const ms = epochMillis(event.time);
  const file = primaryFile(event);
  const src = sourceAddress(event) ?? event.investigation?.evidence.ips[0] ?? null;
  const threat = event.threat;
  const email = event.email;
  const investigation = event.investigation;

  // Predefined LEEF attributes.
  if (ms !== null) {
    add('devTime', new Date(ms).toISOString());
    add('devTimeFormat', LEEF_DEV_TIME_FORMAT);
  }
  add('cat', event.action);
  add('sev', SEVERITY_NUMBER[event.severity]);
  add('src', src);
  if (src !== null && src === event.actors.clientIp) add('srcPort', event.actors.clientPort);
  add('usrName', event.actors.user?.id ?? evidenceUsers(event)[0]);
  add('url', event.urlClick?.url ?? event.urls[0]);
  add('policy', policyText(event));

  // Our own keys.
  add('externalId', event.id);
  add('recordType', event.recordType);
  add('recordTypeName', event.recordTypeName);
  add('operation', event.operation);
  add('workload', event.workload);
  add('tenantId', event.tenantId);
  add('kind', event.kind);
  add('outcome', event.outcome);
  add('disposition', event.disposition);
  add('riskScore', event.riskScore);
  add('verdict', threat?.verdict);
  add('detectionType', threat?.detectionType?.name);
  add('detectionTechnologies', threat?.detectionTechnologies.join(', '));
  add('malwareFamily', threat?.families.join(', '));
  add('attackTechniqueId', event.attack?.technique.id);
  add('attackTechnique', event.attack?.technique.name);
  add('attackTacticId', event.attack?.tactic.id);
  add('sender', senderAddress(event) ?? evidenceSenders(event)[0]);
  add('fromAddress', event.kind === 'email' ? event.actors.from : null);
  add('senderIp', event.actors.senderIp);
  add('recipients', [...event.actors.recipients, ...evidenceUsers(event)].join(', '));
  add('subject', email?.subject);
  add('networkMessageId', email?.networkMessageId ?? event.urlClick?.sourceId ?? event.networkMessageIds[0]);
  add('internetMessageId', email?.internetMessageId);
  add('direction', email?.direction);
  add('deliveryAction', email?.deliveryAction);
  add('originalDeliveryLocation', email?.originalDeliveryLocation);
  add('latestDeliveryLocation', email?.latestDeliveryLocation);
  add('fileName', file?.name);
  add('fileHash', file?.sha256);
  add('filePath', file?.path);
  add('fileSize', file?.size);
  add('fileCount', event.files.length > 1 ? event.files.length : null);
  add('clickAction', event.urlClick?.clickAction?.name);
  add('appName', event.urlClick?.appName);
  add('investigationId', investigation?.id);
  add('investigationName', investigation?.name);
  add('investigationType', investigation?.type);
  add('investigationStatus', investigation?.status);
  add('alertName', investigation?.alert?.name);
  add('deepLink', event.deepLink);
  add('invalidReason', event.invalidReason);
  // The many-valued lists as JSON arrays, cut by whole items at LIST_VALUE_LIMIT (not LEEF_VALUE_LIMIT).
  out.push(...listPairs(event, 'leef', 'omittedItems'));
  return out;
}

/**
 * Encodes one record as a LEEF 2.0 line.
 *
 * @example
 * leefFormat.encode(toFormatInput(raw));
 * // 'LEEF:2.0|Microsoft|Defender for Office 365|1.0|28:TIMailData|x09|devTime=…\tdevTimeFormat=…'
 */
export function encodeLeef(input: FormatInput): string {
  const { event } = input;
  // LEEF headers follow CEF's: `\` and `|` escaped, no line breaks; EventID is capped like CEF's signature id.
  const header = [
    'LEEF:2.0',
    escapeCefHeader(DEVICE_VENDOR, 255),
    escapeCefHeader(DEVICE_PRODUCT, 255),
    escapeCefHeader(DEVICE_VERSION, 255),
    escapeCefHeader(eventClassId(event), 255),
    LEEF_DELIMITER_DECLARATION,
  ].join('|');
  const attributes = leefAttributes(event)
    .map(([k, v]) => `${k}=${escapeLeefValue(v)}`)
    .join(LEEF_DELIMITER);
  return `${header}|${attributes}`;
}

export const leefFormat: Format = {
  id: 'leef',
  contentType: 'text/plain; charset=utf-8',
  encode: encodeLeef,
};
