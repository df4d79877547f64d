/**
 * Elastic Common Schema 9.4 (the version of the `@elastic/ecs` definitions the
 * document is typed and validated against; Elastic's o365 integration writes
 * 8.11.0, and every 8.11 field we write is unchanged in 9.4). A superset of
 * that integration's output, so its rules and dashboards keep working:
 * `o365.audit.*` holds the original fields (with AIR `Data`/`Actions` and
 * Name/Value lists parsed the way it parses them), `event.provider`,
 * `event.code`, `event.dataset: o365.audit`, `organization.id`, `host.id`,
 * `client.*`. On top, the Defender fields are mapped properly: `event.kind:
 * alert` for detections, category/type/action/outcome per case (a blocked
 * phish is a failed delivery, not a success), `email.*`, `url.*`, `file.*`,
 * `threat.*` (with one `threat.enrichments` item per AIR entity), `rule.*`,
 * `related.*`, the real user in `user.*` rather than `ThreatIntel`, and the
 * portal deep link in `event.url`/`event.reference`. What ECS has no field
 * for is under `atp_siem.*`.
 *
 * The document is typed against `@elastic/ecs` (src/formats/ecs/document.ts),
 * so a non-ECS field fails `tsc`; values of `ip`, `date` and numeric fields
 * are checked against ECS's field table at encode time and an invalid one is
 * left out (the original stays in `o365.audit`), listed in
 * `atp_siem.invalid_fields` and tagged `atp-siem-invalid-value`.
 *
 * Deliberate difference: for Defender records `event.action` is the
 * normalized action (`blocked`, `clicked-through-warning`, …); the Microsoft
 * operation (`TIMailData`) stays in `o365.audit.Operation`. Generic audit
 * records keep `event.action` = Operation, as the integration does.
 */
import type { FileInfo, NormalizedEvent } from '../schema/index.js';
import { SEVERITY_IDS, urlParts } from '../schema/index.js';
import { eventTitle } from './cef.js';
import type { Draft, EcsDocument } from './ecs/document.js';
import {
  DEFENDER,
  ecsUrlFields,
  emailDirection,
  investigationEmail,
  investigationEnrichments,
  investigationNamespace,
  investigationRelated,
} from './ecs/investigation.js';
import type { Format, FormatInput } from './format.contract.js';
import { compact } from './format.contract.js';
import { ECS_FIELDS_VERSION } from './standards/ecs-fields.js';
import { dropInvalidEcsValues } from './standards/ecs-validate.js';

/** `ecs.version`: the ECS release whose definitions type and validate the document. */
export const ECS_VERSION = ECS_FIELDS_VERSION;

/** Tag of a document from which an invalid value was left out (see `atp_siem.invalid_fields`). */
export const INVALID_VALUE_TAG = 'atp-siem-invalid-value';

type Doc = Draft<EcsDocument>;

/** ATT&CK reference URL of a technique (`T1566.001` → …/T1566/001/) or tactic id. */
function attackUrl(id: string): string {
  return `https://attack.mitre.org/${id.startsWith('TA') ? 'tactics' : 'techniques'}/${id.replace('.', '/')}/`;
}

function fileExtension(name: string | null): string | null {
  const m = name ? /\.([A-Za-z0-9]{1,16})$/.exec(name) : null;
  return m?.[1]?.toLowerCase() ?? null;
}

function ecsFile(f: FileInfo): NonNullable<Doc['file']> {
  return {
    name: f.name,
    extension: fileExtension(f.name),
    path: f.path,
    size: f.size,
    hash: { sha256: f.sha256 },
    owner: f.lastModifiedBy,
    mtime: f.lastModifiedTime,
  };
}

/**
 * `event.category` and `event.type` from the ECS allowed values, per kind and action. Every type is one that a
 * category of the same event expects (ECS `expected_event_types`): `allowed`/`denied` only come with
 * `intrusion_detection`, and an investigation's phase is in `event.action`, not in a type
 * `intrusion_detection` does not expect.
 */
function categorization(e: NormalizedEvent): { category: string[]; type: string[] } {
  const ids = e.isAlert ? ['intrusion_detection'] : [];
  switch (e.kind) {
    case 'email': {
      const malware =
        e.threat?.verdict?.toLowerCase() === 'malware' || e.files.some((f) => f.verdict?.id === 1);
      const control =
        e.action === 'blocked'
          ? 'denied'
          : e.action === 'delivered' || e.action === 'delivered-to-junk'
            ? 'allowed'
            : null;
      return {
        category: ['email', ...ids, ...(malware ? ['malware'] : [])],
        type: ['info', ...(control && e.isAlert ? [control] : [])],
      };
    }
    case 'url-click': {
      const control =
        e.action.includes('blocked') || e.action === 'click-pending-detonation'
          ? 'denied'
          : e.disposition === 'allowed'
            ? 'allowed'
            : null;
      return {
        category: ['web', ...ids],
        type: ['access', ...(control && e.isAlert ? [control] : [])],
      };
    }
    case 'file':
      return { category: ['file', ...(e.isAlert ? ['malware'] : [])], type: ['info'] };
    case 'investigation':
      return { category: ['intrusion_detection'], type: ['info'] };
    case 'audit':
      // As Elastic's integration: everything is `web`; sign-ins are also `authentication`.
      return e.recordType === 15
        ? { category: ['web', 'authentication'], type: ['info', 'start'] }
        : { category: ['web'], type: ['info'] };
  }
}

function threatOf(e: NormalizedEvent, url: Doc['url']): Doc['threat'] {
  const enrichments = e.investigation ? investigationEnrichments(e.investigation) : [];
  if (!e.isAlert) return enrichments.length > 0 ? { enrichments } : null;
  const badFile =
    e.files.find((f) => f.verdict?.id === 1) ?? e.files.find((f) => f.malwareFamily !== null) ?? null;
  const attack = e.attack;
  const indicator: NonNullable<Doc['threat']>['indicator'] =
    e.kind === 'url-click' && url
      ? { type: 'url', url }
      : badFile
        ? { type: 'file', file: ecsFile(badFile) }
        : e.kind === 'email'
          ? {
              type: 'email-addr',
              email: { address: e.actors.from ?? e.actors.mailFrom },
              ip: e.actors.senderIp,
            }
          : url
            ? { type: 'url', url }
            : null;
  const confidence = { normal: 'Medium', high: 'High' }[e.threat?.phishConfidenceLevel?.toLowerCase() ?? ''];
  return {
    framework: attack ? 'MITRE ATT&CK' : null,
    technique: attack
      ? {
          id: [attack.technique.id],
          name: [attack.technique.name],
          reference: [attackUrl(attack.technique.id)],
        }
      : null,
    tactic: attack
      ? { id: [attack.tactic.id], name: [attack.tactic.name], reference: [attackUrl(attack.tactic.id)] }
      : null,
    software: e.threat?.families.length
      ? { name: e.threat.families[0], type: 'Malware', alias: e.threat.families.slice(1) }
      : null,
    indicator: indicator
      ? { ...indicator, provider: DEFENDER, confidence, description: e.threat?.verdict ?? null }
      : null,
    enrichments,
  };
}

function ruleOf(e: NormalizedEvent): Doc['rule'] {
  switch (e.kind) {
    case 'email':
      return e.threat?.policy
        ? { name: e.threat.policy.name, id: e.threat.policy.id?.toString() ?? null, ruleset: DEFENDER }
        : null;
    case 'url-click':
      return { name: 'Safe Links', ruleset: DEFENDER };
    case 'file':
      return { name: 'Safe Attachments for SharePoint, OneDrive and Microsoft Teams', ruleset: DEFENDER };
    case 'investigation': {
      const a = e.investigation?.alert;
      return a
        ? { name: a.name, id: a.id, description: a.description, category: a.category, ruleset: DEFENDER }
        : null;
    }
    case 'audit':
      return null;
  }
}

/** Elastic's integration turns these Name/Value lists into objects keyed by Name. */
function nameValueObject(v: unknown, valueOf: (item: Record<string, unknown>) => unknown): unknown {
  if (!Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const item of v) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return v;
    const rec = item as Record<string, unknown>;
    if (typeof rec['Name'] !== 'string') return v;
    out[rec['Name']] = valueOf(rec);
  }
  return out;
}

/** A JSON-encoded string parsed, anything else (or text that is not JSON) as it is. */
export function parseIfJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** The original record as `o365.audit`, shaped as Elastic's integration stores it. */
export function o365Audit(record: unknown): Record<string, unknown> | null {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return null;
  const out: Record<string, unknown> = { ...(record as Record<string, unknown>) };
  if ('Data' in out) {
    const data = parseIfJson(out['Data']);
    out['Data'] = typeof data === 'object' && data !== null ? { flattened: data } : data;
  }
  if (Array.isArray(out['Actions'])) out['Actions'] = out['Actions'].map(parseIfJson);
  for (const key of ['ExtendedProperties', 'Parameters']) {
    if (key in out) out[key] = nameValueObject(out[key], (i) => i['Value']);
  }
  if ('ModifiedProperties' in out) {
    out['ModifiedProperties'] = nameValueObject(out['ModifiedProperties'], (i) => ({
      NewValue: i['NewValue'],
      OldValue: i['OldValue'],
    }));
  }
  return out;
}

function emailOf(e: NormalizedEvent): Doc['email'] {
  const m = e.email;
  if (m) {
    return {
      local_id: m.networkMessageId,
      message_id: m.internetMessageId,
      subject: m.subject,
      direction: emailDirection(m.direction),
      delivery_timestamp: m.messageTime,
      from: { address: e.actors.from ? [e.actors.from] : [] },
      sender: { address: e.actors.mailFrom },
      to: { address: e.actors.recipients },
      attachments: e.files.map((f) => ({
        file: { name: f.name, extension: fileExtension(f.name), hash: { sha256: f.sha256 } },
      })),
    };
  }
  if (e.investigation) return investigationEmail(e.investigation);
  // A click names its mail by NetworkMessageId only; with several, the list is in atp_siem.
  const [only, ...more] = e.networkMessageIds;
  return only !== undefined && more.length === 0 ? { local_id: only } : null;
}

function relatedOf(e: NormalizedEvent): Doc['related'] {
  const user = e.actors.user;
  const inv = e.investigation ? investigationRelated(e.investigation) : null;
  const uniq = (xs: (string | null | undefined)[]) => [
    ...new Set(xs.filter((x): x is string => typeof x === 'string' && x !== '')),
  ];
  return {
    ip: uniq([e.actors.clientIp, e.actors.senderIp, ...(inv?.ip ?? [])]),
    // The address and, as Elastic's integration writes it, the name before the `@`.
    user: uniq([
      user?.id,
      user?.id.includes('@') ? user.id.slice(0, user.id.lastIndexOf('@')) : null,
      ...e.actors.recipients,
      e.actors.from,
      e.actors.mailFrom,
      ...(inv?.user ?? []),
    ]),
    hash: uniq([...e.files.map((f) => f.sha256), ...(inv?.hash ?? [])]),
    hosts: uniq([...e.urls.map((u) => urlParts(u)?.domain), ...(inv?.hosts ?? [])]),
  };
}

/** Builds the ECS document. Exported for tests. */
export function toEcs(input: FormatInput): EcsDocument {
  const e = input.event;
  const user = e.actors.user;
  const clickUrl = e.urlClick?.url ?? (e.urls.length === 1 ? (e.urls[0] ?? null) : null);
  const url = clickUrl ? ecsUrlFields(clickUrl) : null;
  const singleFile =
    e.kind === 'file' || (e.kind === 'investigation' && e.files.length === 1) ? e.files[0] : undefined;
  const sourceIp = e.kind === 'email' ? e.actors.senderIp : e.actors.clientIp;
  const defender = e.kind !== 'audit';
  const doc: Doc = {
    '@timestamp': e.time,
    message: eventTitle(e),
    ecs: { version: ECS_VERSION },
    event: {
      id: e.id,
      kind: e.isAlert ? 'alert' : 'event',
      ...categorization(e),
      action: defender ? e.action : e.operation,
      outcome: e.outcome,
      code: e.recordTypeName,
      provider: e.workload,
      dataset: 'o365.audit',
      module: 'o365',
      severity: SEVERITY_IDS[e.severity],
      risk_score: e.riskScore,
      url: e.deepLink,
      reference: e.deepLink,
      start: e.investigation?.startTime ?? null,
      end: e.investigation?.endTime ?? null,
      // Kept only when the record failed validation, so nothing is lost.
      original: e.invalidReason ? input.raw : null,
    },
    error: e.invalidReason ? { message: e.invalidReason, type: 'validation' } : null,
    organization: { id: e.tenantId },
    host: { id: e.tenantId },
    observer: { vendor: 'Microsoft', product: defender ? DEFENDER : 'Microsoft 365' },
    user: user
      ? {
          id: user.id,
          name: user.id.includes('@') ? user.id.slice(0, user.id.lastIndexOf('@')) : user.id,
          domain: user.domain,
          email: user.id.includes('@') ? user.id : null,
        }
      : null,
    source: sourceIp ? { ip: sourceIp, port: e.kind === 'email' ? null : e.actors.clientPort } : null,
    client: e.actors.clientIp
      ? { ip: e.actors.clientIp, address: e.actors.clientIp, port: e.actors.clientPort }
      : null,
    network: e.actors.clientIp ? { type: e.actors.clientIp.includes(':') ? 'ipv6' : 'ipv4' } : null,
    email: emailOf(e),
    url,
    file: singleFile ? ecsFile(singleFile) : null,
    threat: threatOf(e, url),
    rule: ruleOf(e),
    related: relatedOf(e),
    tags: ['atp-siem', ...(e.invalidReason ? ['atp-siem-invalid-record'] : [])],
    atp_siem: {
      action: e.action,
      disposition: e.disposition,
      links: e.links,
      investigation: e.investigation ? investigationNamespace(e, e.investigation) : null,
    },
  };
  const out = compact(doc) as EcsDocument;
  const invalid = dropInvalidEcsValues(out as Record<string, unknown>);
  if (invalid.length > 0) {
    out.tags = [...(Array.isArray(out.tags) ? out.tags : []), INVALID_VALUE_TAG];
    out.atp_siem = { ...out.atp_siem, invalid_fields: invalid };
  }
  const audit = o365Audit(input.record);
  if (audit) out.o365 = { audit };
  return out;
}

/**
 * ECS JSON, one document per record.
 *
 * @example
 * JSON.parse(ecsFormat.encode(toFormatInput(raw))).event.kind; // 'alert'
 */
export const ecsFormat: Format = {
  id: 'ecs',
  contentType: 'application/json',
  encode: (input) => JSON.stringify(toEcs(input)),
};
