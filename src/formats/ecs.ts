/**
 * Elastic Common Schema 8.11 (the version Elastic's own o365 integration
 * writes). A superset of that integration's output, so its rules and
 * dashboards keep working: `o365.audit.*` holds the original fields (with
 * AIR `Data`/`Actions` and Name/Value lists parsed the way it parses them),
 * `event.provider`, `event.code`, `event.dataset: o365.audit`,
 * `organization.id`, `host.id`, `client.*`. On top, the Defender fields are
 * mapped properly: `event.kind: alert` for detections, category/type/action/
 * outcome per case (a blocked phish is a failed delivery, not a success),
 * `email.*`, `url.*`, `file.*`, `threat.*`, `rule.*`, `related.*`, the real
 * user in `user.*` rather than `ThreatIntel`, and the portal deep link in
 * `event.url`/`event.reference`.
 *
 * Deliberate difference: for Defender records `event.action` is the
 * normalized action (`blocked`, `clicked-through-warning`, …); the Microsoft
 * operation (`TIMailData`) stays in `o365.audit.Operation`. Generic audit
 * records keep `event.action` = Operation, as the integration does.
 */
import type { FileInfo, NormalizedEvent, UrlParts } from '../schema/index.js';
import { SEVERITY_IDS, urlParts } from '../schema/index.js';
import { eventTitle } from './cef.js';
import type { Format, FormatInput } from './format.contract.js';
import { compact } from './format.contract.js';

export const ECS_VERSION = '8.11.0';

const DEFENDER = 'Microsoft Defender for Office 365';

/** ATT&CK reference URL of a technique (`T1566.001` → …/T1566/001/) or tactic id. */
function attackUrl(id: string): string {
  return `https://attack.mitre.org/${id.startsWith('TA') ? 'tactics' : 'techniques'}/${id.replace('.', '/')}/`;
}

const DIRECTIONS: Readonly<Record<string, string>> = {
  inbound: 'inbound',
  outbound: 'outbound',
  intraorg: 'internal',
};

function fileExtension(name: string | null): string | null {
  const m = name ? /\.([A-Za-z0-9]{1,16})$/.exec(name) : null;
  return m?.[1]?.toLowerCase() ?? null;
}

function ecsFile(f: FileInfo) {
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

function ecsUrl(p: UrlParts | null, original: string | null) {
  if (original === null) return null;
  if (p === null) return { original };
  return {
    original,
    full: original,
    scheme: p.scheme,
    domain: p.domain,
    port: p.port,
    path: p.path,
    query: p.query,
    fragment: p.fragment,
  };
}

/** `event.category` and `event.type` from the ECS allowed values, per kind and action. */
function categorization(e: NormalizedEvent): { category: string[]; type: string[] } {
  const controlType =
    e.action.includes('blocked') || e.action === 'click-pending-detonation' ? 'denied' : null;
  switch (e.kind) {
    case 'email': {
      const malware =
        e.threat?.verdict?.toLowerCase() === 'malware' || e.files.some((f) => f.verdict?.id === 1);
      const type =
        e.action === 'blocked'
          ? 'denied'
          : e.action === 'delivered' || e.action === 'delivered-to-junk'
            ? 'allowed'
            : null;
      return {
        category: ['email', ...(e.isAlert ? ['intrusion_detection'] : []), ...(malware ? ['malware'] : [])],
        type: ['info', ...(type ? [type] : [])],
      };
    }
    case 'url-click':
      return {
        category: ['web', ...(e.isAlert ? ['intrusion_detection'] : [])],
        type: ['access', controlType ?? (e.disposition === 'allowed' ? 'allowed' : 'info')],
      };
    case 'file':
      return { category: ['file', ...(e.isAlert ? ['malware'] : [])], type: ['info'] };
    case 'investigation': {
      const phase = { 'investigation-started': 'start', 'investigation-completed': 'end' }[
        e.action as string
      ];
      return { category: ['intrusion_detection'], type: ['info', phase ?? 'change'] };
    }
    case 'audit':
      // As Elastic's integration: everything is `web`; sign-ins are also `authentication`.
      return e.recordType === 15
        ? { category: ['web', 'authentication'], type: ['info', 'start'] }
        : { category: ['web'], type: ['info'] };
  }
}

function threatOf(e: NormalizedEvent, url: ReturnType<typeof ecsUrl>) {
  if (!e.isAlert) return null;
  const badFile =
    e.files.find((f) => f.verdict?.id === 1) ?? e.files.find((f) => f.malwareFamily !== null) ?? null;
  const attack = e.attack;
  const indicator =
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
  };
}

function ruleOf(e: NormalizedEvent) {
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

function emailOf(e: NormalizedEvent) {
  const m = e.email;
  if (m) {
    return {
      local_id: m.networkMessageId,
      message_id: m.internetMessageId,
      subject: m.subject,
      direction: DIRECTIONS[m.direction?.toLowerCase() ?? ''] ?? m.direction?.toLowerCase() ?? null,
      delivery_timestamp: m.messageTime,
      from: { address: e.actors.from ? [e.actors.from] : [] },
      sender: { address: e.actors.mailFrom },
      to: { address: e.actors.recipients },
      attachments: e.files.map((f) => ({
        file: { name: f.name, extension: fileExtension(f.name), hash: { sha256: f.sha256 } },
      })),
    };
  }
  // Clicks and investigations name mails by NetworkMessageId only.
  return e.networkMessageIds.length > 0 ? { local_id: e.networkMessageIds } : null;
}

/** Builds the ECS document (before `compact`). Exported for tests. */
export function toEcs(input: FormatInput): Record<string, unknown> {
  const e = input.event;
  const user = e.actors.user;
  const clickUrl = e.urlClick?.url ?? (e.urls.length === 1 ? (e.urls[0] ?? null) : null);
  const url = ecsUrl(clickUrl ? urlParts(clickUrl) : null, clickUrl);
  const singleFile =
    e.kind === 'file' || (e.kind === 'investigation' && e.files.length === 1) ? e.files[0] : undefined;
  const sourceIp = e.kind === 'email' ? e.actors.senderIp : e.actors.clientIp;
  const defender = e.kind !== 'audit';
  const mailboxes = e.investigation?.entities.flatMap((x) => (x.type === 'mailbox' ? x.addresses : [])) ?? [];
  const doc = {
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
    email: emailOf(e),
    url,
    file: singleFile ? ecsFile(singleFile) : null,
    threat: threatOf(e, url),
    rule: ruleOf(e),
    related: {
      ip: [...new Set([e.actors.clientIp, e.actors.senderIp].filter((x): x is string => x !== null))],
      user: [
        ...new Set(
          [user?.id, ...e.actors.recipients, e.actors.from, e.actors.mailFrom, ...mailboxes].filter(
            (x): x is string => typeof x === 'string' && x !== '',
          ),
        ),
      ],
      hash: [...new Set(e.files.map((f) => f.sha256).filter((x): x is string => x !== null))],
    },
    tags: ['atp-siem', ...(e.invalidReason ? ['atp-siem-invalid-record'] : [])],
    atp_siem: {
      action: e.action,
      disposition: e.disposition,
      links: e.links,
      investigation: e.investigation
        ? { id: e.investigation.id, type: e.investigation.type, status: e.investigation.status }
        : null,
    },
  };
  const out = compact(doc) as Record<string, unknown>;
  const audit = o365Audit(input.record);
  if (audit) out['o365'] = { audit };
  return out;
}

/**
 * ECS 8.11 JSON, one document per record.
 *
 * @example
 * JSON.parse(ecsFormat.encode(toFormatInput(raw))).event.kind; // 'alert'
 */
export const ecsFormat: Format = {
  id: 'ecs',
  contentType: 'application/json',
  encode: (input) => JSON.stringify(toEcs(input)),
};
