/**
 * OCSF 1.3.0 JSON, one event per record.
 *
 * Classes: record 28 → Email Activity (4009, activity Scan); 41 → Email URL
 * Activity (4012, Scan; deprecated in 1.3.0 but the only email class for a
 * URL, and a click has no place in Email Activity); 47 → Detection Finding
 * (2004: the file sits in SharePoint/OneDrive/Teams, not in a mail, so Email
 * File Activity 4011, which requires an email_uid, would misstate it); 64 →
 * Incident Finding (2005, Create/Update/Close from the investigation status);
 * every other record → API Activity (6003). Security-control classes carry
 * `action_id`/`disposition_id`, findings carry `finding_info`, and the
 * people involved ride on the host profile's `actor` and on `observables`.
 * Microsoft fields not mapped go to `unmapped` under their original names.
 */
import type { Disposition, FileInfo, NormalizedEvent } from '../schema/index.js';
import { SEVERITY_IDS, urlParts } from '../schema/index.js';
import { eventTitle } from './cef.js';
import type { Format, FormatInput } from './format.contract.js';
import { compact } from './format.contract.js';
import { parseIfJson } from './ecs.js';

export const OCSF_VERSION = '1.3.0';

const SEVERITY_NAMES = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical'];

/** OCSF `disposition_id` (security_control profile) by normalized disposition. */
const DISPOSITIONS: Readonly<Record<Disposition, [number, string]>> = {
  allowed: [1, 'Allowed'],
  delivered: [1, 'Allowed'],
  blocked: [2, 'Blocked'],
  quarantined: [3, 'Quarantined'],
  deleted: [5, 'Deleted'],
  removed: [11, 'Corrected'],
  junked: [99, 'Delivered to junk folder'],
  redirected: [99, 'Redirected'],
  modified: [99, 'Modified'],
  pending: [14, 'Delayed'],
  'no-action': [16, 'No Action'],
  unknown: [0, 'Unknown'],
};

/** OCSF `action_id`: what the control did to the activity (1 Allowed, 2 Denied, 0 Unknown). */
function actionOf(e: NormalizedEvent): [number, string] {
  switch (e.action) {
    case 'blocked':
    case 'click-blocked':
    case 'click-pending-detonation':
      return [2, 'Denied'];
    case 'delivered':
    case 'delivered-to-junk':
    case 'clicked-through-warning':
      return [1, 'Allowed'];
    case 'clicked':
      // A click record without URLClickAction does not say what Safe Links did.
      return e.disposition === 'allowed' ? [1, 'Allowed'] : [0, 'Unknown'];
    default:
      return e.kind === 'file' && e.disposition === 'blocked' ? [2, 'Denied'] : [0, 'Unknown'];
  }
}

const DIRECTIONS: Readonly<Record<string, [number, string]>> = {
  inbound: [1, 'Inbound'],
  outbound: [2, 'Outbound'],
  intraorg: [3, 'Internal'],
};

/** Malware `classification_ids` from the family prefix (Microsoft naming `Type:Platform/Name`). */
const MALWARE_CLASSES: readonly [RegExp, number, string][] = [
  [/^trojandownloader|^downloader/i, 6, 'Downloader'],
  [/^trojandropper|^dropper/i, 7, 'Dropper'],
  [/^backdoor/i, 2, 'Backdoor'],
  [/^ransom/i, 10, 'Ransomware'],
  [/^trojan/i, 18, 'Trojan'],
  [/^virus/i, 19, 'Virus'],
  [/^worm/i, 22, 'Worm'],
  [/^spyware|^pws/i, 17, 'Spyware'],
];

function malwareOf(e: NormalizedEvent) {
  return (e.threat?.families ?? []).map((name) => {
    const c = MALWARE_CLASSES.find(([re]) => re.test(name));
    return { name, classification_ids: [c?.[1] ?? 0], classifications: [c?.[2] ?? 'Unknown'] };
  });
}

function ms(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function ocsfFile(f: FileInfo) {
  return {
    name: f.name ?? '',
    type_id: 1,
    type: 'Regular File',
    path: f.path,
    size: f.size,
    hashes: f.sha256 ? [{ algorithm_id: 3, algorithm: 'SHA-256', value: f.sha256 }] : [],
    owner: f.lastModifiedBy ? { name: f.lastModifiedBy } : null,
    modified_time: ms(f.lastModifiedTime),
    uid: f.documentId,
  };
}

function ocsfUrl(url: string | null) {
  if (!url) return null;
  const p = urlParts(url);
  return p
    ? {
        url_string: url,
        scheme: p.scheme,
        hostname: p.domain,
        port: p.port,
        path: p.path,
        query_string: p.query,
      }
    : { url_string: url };
}

function ocsfUser(id: string | null | undefined) {
  if (!id) return null;
  return { name: id, email_addr: id.includes('@') ? id : null };
}

function attacksOf(e: NormalizedEvent) {
  const a = e.attack;
  return a
    ? [
        {
          version: 'v15',
          technique: { uid: a.technique.id, name: a.technique.name },
          tactic: { uid: a.tactic.id, name: a.tactic.name },
        },
      ]
    : [];
}

/** Observable type ids (OCSF 1.3.0 `observable.type_id`). */
const OBS = { ip: 2, user: 4, email: 5, url: 6, fileName: 7, hash: 8, resource: 10 } as const;

function observablesOf(e: NormalizedEvent) {
  const out: { name: string; type_id: number; value: string }[] = [];
  const add = (name: string, type: number, value: string | null | undefined) => {
    if (value) out.push({ name, type_id: type, value });
  };
  add('actor.user.name', OBS.user, e.actors.user?.id);
  add('src_endpoint.ip', OBS.ip, e.actors.senderIp ?? e.actors.clientIp);
  add('email.from', OBS.email, e.actors.from);
  add('email.smtp_from', OBS.email, e.actors.mailFrom);
  e.actors.recipients.forEach((r) => add('email.to', OBS.email, r));
  e.urls.forEach((u) => add('url.url_string', OBS.url, u));
  e.files.forEach((f) => {
    add('file.name', OBS.fileName, f.name);
    add('file.hashes.value', OBS.hash, f.sha256);
  });
  e.networkMessageIds.forEach((n) => add('email.uid', OBS.resource, n));
  for (const entity of e.investigation?.entities ?? []) {
    if (entity.type === 'mailbox')
      entity.addresses.forEach((a) => add('unmapped.Data.Entities.MailboxPrimaryAddress', OBS.email, a));
    if (entity.type === 'ip')
      entity.addresses.forEach((a) => add('unmapped.Data.Entities.Address', OBS.ip, a));
  }
  return out;
}

/** Keys of the original record that a class maps; the rest go to `unmapped`. */
const COMMON_KEYS = ['Id', 'RecordType', 'CreationTime', 'Operation', 'OrganizationId', 'Workload'];
const MAPPED_KEYS: Readonly<Record<NormalizedEvent['kind'], readonly string[]>> = {
  email: [
    ...COMMON_KEYS,
    'AttachmentData',
    'InternetMessageId',
    'NetworkMessageId',
    'P1Sender',
    'P2Sender',
    'Policy',
    'Recipients',
    'SenderIp',
    'Subject',
    'EventDeepLink',
    'Directionality',
  ],
  'url-click': [...COMMON_KEYS, 'UserId', 'Url', 'URL', 'SourceId', 'UserIp', 'ClientIP', 'EventDeepLink'],
  file: [...COMMON_KEYS, 'FileData', 'LastModifiedBy', 'EventDeepLink'],
  investigation: [
    ...COMMON_KEYS,
    'InvestigationId',
    'InvestigationName',
    'InvestigationType',
    'StartTimeUtc',
    'EndTimeUtc',
    'DeepLinkUrl',
  ],
  audit: [...COMMON_KEYS, 'UserId', 'ClientIP', 'ClientIp', 'ObjectId', 'ResultStatus'],
};

function unmappedOf(input: FormatInput): Record<string, unknown> {
  const rec = input.record;
  const out: Record<string, unknown> = {};
  if (rec !== null && typeof rec === 'object' && !Array.isArray(rec)) {
    const mapped = new Set(MAPPED_KEYS[input.event.kind].map((k) => k.toLowerCase()));
    for (const [k, v] of Object.entries(rec)) if (!mapped.has(k.toLowerCase())) out[k] = v;
  }
  // AIR's JSON-in-JSON is unwrapped so that `unmapped` is queryable.
  if ('Data' in out) out['Data'] = parseIfJson(out['Data']);
  if (Array.isArray(out['Actions'])) out['Actions'] = out['Actions'].map(parseIfJson);
  return out;
}

interface ClassPart {
  class_uid: number;
  class_name: string;
  category_uid: number;
  category_name: string;
  activity_id: number;
  activity_name: string;
  profiles: string[];
  body: Record<string, unknown>;
}

function securityControl(e: NormalizedEvent) {
  const [action_id, action] = actionOf(e);
  const [disposition_id, disposition] = e.disposition
    ? DISPOSITIONS[e.disposition]
    : e.action === 'detected'
      ? [15, 'Detected']
      : [0, 'Unknown'];
  const policy = e.threat?.policy;
  return {
    action_id,
    action,
    disposition_id,
    disposition,
    malware: malwareOf(e),
    attacks: attacksOf(e),
    policy: policy ? { name: policy.name, uid: policy.id?.toString() ?? null } : null,
  };
}

function emailActivity(e: NormalizedEvent): ClassPart {
  const m = e.email;
  const [direction_id, direction] = DIRECTIONS[m?.direction?.toLowerCase() ?? ''] ?? [0, 'Unknown'];
  const auth = new Map((m?.authentication ?? []).map((a) => [a.name.toLowerCase(), a.value]));
  return {
    class_uid: 4009,
    class_name: 'Email Activity',
    category_uid: 4,
    category_name: 'Network Activity',
    activity_id: 3,
    activity_name: 'Scan',
    profiles: ['security_control'],
    body: {
      direction_id,
      direction,
      email: {
        uid: m?.networkMessageId,
        message_uid: m?.internetMessageId,
        subject: m?.subject,
        from: e.actors.from ?? e.actors.mailFrom ?? '',
        smtp_from: e.actors.mailFrom,
        to: e.actors.recipients,
        smtp_to: e.actors.recipients,
        files: e.files.map(ocsfFile),
      },
      email_auth: { spf: auth.get('spf'), dkim: auth.get('dkim'), dmarc: auth.get('dmarc') },
      src_endpoint: e.actors.senderIp ? { ip: e.actors.senderIp } : null,
      ...securityControl(e),
    },
  };
}

function emailUrlActivity(e: NormalizedEvent): ClassPart {
  const c = e.urlClick;
  return {
    class_uid: 4012,
    class_name: 'Email URL Activity',
    category_uid: 4,
    category_name: 'Network Activity',
    activity_id: 3,
    activity_name: 'Scan',
    profiles: ['security_control', 'host'],
    body: {
      email_uid: c?.sourceId ?? '',
      url: ocsfUrl(c?.url ?? null) ?? { url_string: '' },
      actor: { user: ocsfUser(e.actors.user?.id) },
      device: e.actors.clientIp ? { ip: e.actors.clientIp, type_id: 0, type: 'Unknown' } : null,
      ...securityControl(e),
    },
  };
}

function detectionFinding(e: NormalizedEvent): ClassPart {
  const f = e.files[0];
  return {
    class_uid: 2004,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: 1,
    activity_name: 'Create',
    profiles: ['security_control', 'host'],
    body: {
      status_id: 1,
      status: 'New',
      finding_info: {
        uid: e.id ?? '',
        title: eventTitle(e),
        types: e.threat?.verdict ? [e.threat.verdict] : [],
        src_url: e.deepLink,
        analytic: e.threat?.detectionMethod
          ? { name: e.threat.detectionMethod, type_id: 0, type: 'Unknown' }
          : null,
        created_time: ms(e.time),
      },
      evidences: f ? [{ file: ocsfFile(f) }] : [],
      resources: f
        ? [
            {
              uid: f.documentId,
              name: f.name,
              type: f.sourceWorkload?.name ?? null,
              owner: ocsfUser(f.lastModifiedBy),
            },
          ]
        : [],
      actor: { user: ocsfUser(e.actors.user?.id) },
      ...securityControl(e),
    },
  };
}

/** Incident status by investigation status (1 New, 2 In Progress, 3 On Hold, 4 Resolved, 5 Closed). */
function incidentStatus(e: NormalizedEvent): [number, string] {
  const s = e.investigation?.status?.toLowerCase().replace(/\s|\(s\)/g, '') ?? '';
  if (e.action === 'investigation-started') return [1, 'New'];
  if (s.startsWith('pendingaction')) return [3, 'On Hold'];
  if (s === 'remediated') return [4, 'Resolved'];
  if (e.action === 'investigation-completed') return [5, 'Closed'];
  return [2, 'In Progress'];
}

function incidentFinding(e: NormalizedEvent): ClassPart {
  const inv = e.investigation;
  const alert = inv?.alert;
  const [activity_id, activity_name] =
    e.action === 'investigation-started'
      ? [1, 'Create']
      : e.action === 'investigation-completed'
        ? [3, 'Close']
        : [2, 'Update'];
  const [status_id, status] = incidentStatus(e);
  const verdict: [number, string] | null =
    e.disposition === 'removed' || inv?.status?.toLowerCase() === 'threats found'
      ? [2, 'True Positive']
      : e.disposition === 'no-action'
        ? [5, 'Benign']
        : null;
  return {
    class_uid: 2005,
    class_name: 'Incident Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id,
    activity_name,
    profiles: [],
    body: {
      status_id,
      status,
      status_detail: inv?.status,
      verdict_id: verdict?.[0],
      verdict: verdict?.[1],
      desc: inv?.name,
      src_url: e.deepLink,
      start_time: ms(inv?.startTime),
      end_time: ms(inv?.endTime),
      finding_info_list: [
        {
          uid: alert?.id ?? inv?.id ?? e.id ?? '',
          title: alert?.name ?? inv?.name,
          desc: alert?.description,
          types: inv?.type ? [inv.type] : [],
          analytic: alert?.detectionTechnology
            ? { name: alert.detectionTechnology, type_id: 0, type: 'Unknown' }
            : null,
          related_events: inv?.actions.map((a) => ({ uid: a.id ?? '', type: a.type, type_uid: null })),
        },
      ],
      attacks: attacksOf(e),
    },
  };
}

/** API Activity verb from the operation name; anything else is Other with the operation as its name. */
function apiActivity(operation: string | null): [number, string] {
  const op = operation ?? '';
  if (/^(new|add|create|upload)/i.test(op)) return [1, 'Create'];
  if (/^(get|read|view|search|list|preview|download|fileaccessed|mailitemsaccessed)/i.test(op))
    return [2, 'Read'];
  if (/^(set|update|modify|change|enable|disable|rename|move)/i.test(op)) return [3, 'Update'];
  if (/^(remove|delete|harddelete|softdelete)/i.test(op)) return [4, 'Delete'];
  return [99, op || 'Other'];
}

/** OCSF user `type_id` from Microsoft `UserType` (1 User, 2 Admin, 3 System, 99 Other). */
function userType(e: NormalizedEvent): [number, string] {
  const t = e.actors.recordedUser.type?.id;
  if (t === 0 || t === 10) return [1, 'User'];
  if (t === 2) return [2, 'Admin'];
  if (t === 3 || t === 4 || t === 8) return [3, 'System'];
  return t === undefined || t === null ? [0, 'Unknown'] : [99, e.actors.recordedUser.type?.name ?? 'Other'];
}

function apiActivityClass(e: NormalizedEvent): ClassPart {
  const [activity_id, activity_name] = apiActivity(e.operation);
  const [type_id, type] = userType(e);
  const status: [number, string] =
    e.outcome === 'success' ? [1, 'Success'] : e.outcome === 'failure' ? [2, 'Failure'] : [0, 'Unknown'];
  return {
    class_uid: 6003,
    class_name: 'API Activity',
    category_uid: 6,
    category_name: 'Application Activity',
    activity_id,
    activity_name,
    profiles: ['cloud'],
    body: {
      status_id: status[0],
      status: status[1],
      status_code: e.resultStatus,
      actor: {
        user: { ...ocsfUser(e.actors.recordedUser.id), uid: e.actors.recordedUser.key, type_id, type },
      },
      api: { operation: e.operation ?? '', service: { name: e.workload } },
      src_endpoint: { ip: e.actors.clientIp, port: e.actors.clientPort },
      resources: e.objectId ? [{ uid: e.objectId }] : [],
      cloud: { provider: 'Microsoft' },
    },
  };
}

function classPart(e: NormalizedEvent): ClassPart {
  switch (e.kind) {
    case 'email':
      return emailActivity(e);
    case 'url-click':
      return emailUrlActivity(e);
    case 'file':
      return detectionFinding(e);
    case 'investigation':
      return incidentFinding(e);
    case 'audit':
      return apiActivityClass(e);
  }
}

/** Builds the OCSF event (after `compact`). Exported for tests. */
export function toOcsf(input: FormatInput): Record<string, unknown> {
  const e = input.event;
  const c = classPart(e);
  const severityId = SEVERITY_IDS[e.severity];
  const defender = e.kind !== 'audit';
  const doc = {
    class_uid: c.class_uid,
    class_name: c.class_name,
    category_uid: c.category_uid,
    category_name: c.category_name,
    activity_id: c.activity_id,
    activity_name: c.activity_name,
    type_uid: c.class_uid * 100 + c.activity_id,
    type_name: `${c.class_name}: ${c.activity_name}`,
    time: ms(e.time) ?? 0,
    severity_id: severityId,
    severity: SEVERITY_NAMES[severityId],
    message: eventTitle(e),
    metadata: {
      version: OCSF_VERSION,
      product: {
        name: defender ? 'Microsoft Defender for Office 365' : 'Microsoft 365',
        vendor_name: 'Microsoft',
        feature: e.workload ? { name: e.workload } : null,
      },
      uid: e.id,
      tenant_uid: e.tenantId,
      event_code: e.operation,
      original_time:
        typeof (input.record as Record<string, unknown> | null)?.['CreationTime'] === 'string'
          ? ((input.record as Record<string, unknown>)['CreationTime'] as string)
          : null,
      correlation_uid: e.investigation?.id ?? e.email?.networkMessageId ?? e.networkMessageIds[0] ?? null,
      labels: e.links,
      profiles: c.profiles,
    },
    ...c.body,
    observables: observablesOf(e),
    // Kept only when the record failed validation, so nothing is lost.
    raw_data: e.invalidReason ? input.raw : null,
  };
  const out = compact(doc) as Record<string, unknown>;
  const unmapped = unmappedOf(input);
  if (e.invalidReason) unmapped['atp_siem_invalid_reason'] = e.invalidReason;
  if (Object.keys(unmapped).length > 0) out['unmapped'] = unmapped;
  return out;
}

/**
 * OCSF 1.3.0 JSON, one event per record.
 *
 * @example
 * JSON.parse(ocsfFormat.encode(toFormatInput(raw))).class_uid; // 4009
 */
export const ocsfFormat: Format = {
  id: 'ocsf',
  contentType: 'application/json',
  encode: (input) => JSON.stringify(toOcsf(input)),
};
