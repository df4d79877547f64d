/**
 * OCSF 1.3.0 JSON, one event per record.
 *
 * Classes: record 28 → Email Activity (4009, activity Scan); 41 → Email URL
 * Activity (4012, Scan: the 1.3.0 class for a URL of a mail; a click has no
 * place in Email Activity); 47 → Detection Finding
 * (2004: the file sits in SharePoint/OneDrive/Teams, not in a mail, so Email
 * File Activity 4011, which requires an email_uid, would misstate it); 64 →
 * Detection Finding (2004, Create/Update/Close from the investigation status,
 * every entity as an evidence artifact; Incident Finding 2005 requires an
 * assignee AIR never names and has no place for evidence); every other
 * record → API Activity (6003). Security-control classes carry
 * `action_id`/`disposition_id`, findings carry `finding_info`, and the
 * people involved ride on the host profile's `actor` and on `observables`.
 * Microsoft fields not mapped go to `unmapped` under their original names.
 *
 * Every event validates against the compiled OCSF 1.3.0 table
 * (`standards/ocsf-1.3.0.json`, checked by `standards/ocsf-validate.ts`).
 * A required string the record does not give is `Unknown` (`compact` would
 * drop an empty one and leave the attribute missing).
 */
import { isIP } from 'node:net';
import type {
  Disposition,
  FileEvidence,
  FileInfo,
  InvestigationAction,
  MailEvidence,
  MailboxEvidence,
  NormalizedEvent,
} from '../schema/index.js';
import { SEVERITY_IDS, isGuid, urlParts } from '../schema/index.js';
import { eventTitle } from './cef.js';
import type { Format, FormatInput } from './format.contract.js';
import { compact } from './format.contract.js';
import { parseIfJson } from './ecs.js';
import { actionRecord, clusterRecord } from './investigation-records.js';

export const OCSF_VERSION = '1.3.0';

const SEVERITY_NAMES = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical'];

/** Stands in for a required string the record does not give. */
const UNKNOWN = 'Unknown';

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
    name: f.name || UNKNOWN,
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

/** Observable type ids and their captions (OCSF 1.3.0 `observable.type_id`). */
const OBS = {
  ip: [2, 'IP Address'],
  userName: [4, 'User Name'],
  email: [5, 'Email Address'],
  url: [6, 'URL String'],
  fileName: [7, 'File Name'],
  hash: [8, 'Hash'],
  resource: [10, 'Resource UID'],
} as const satisfies Record<string, readonly [number, string]>;

interface Observable {
  name: string;
  type_id: number;
  type: string;
  value: string;
}

/** Collects observables, each (name, type, value) once. */
class Observables {
  readonly list: Observable[] = [];
  private readonly seen = new Set<string>();
  add(name: string, [type_id, type]: readonly [number, string], value: string | null | undefined): void {
    if (!value) return;
    const key = `${name}\u0000${type_id}\u0000${value}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ name, type_id, type, value });
  }
}

/** Observables of the mail, click, file and audit classes: values at the paths they name. */
function observablesOf(e: NormalizedEvent): Observable[] {
  const o = new Observables();
  o.add('actor.user.name', OBS.userName, e.actors.user?.id);
  if (e.kind === 'email') {
    o.add('src_endpoint.ip', OBS.ip, e.actors.senderIp);
    o.add('email.from', OBS.email, e.actors.from);
    o.add('email.smtp_from', OBS.email, e.actors.mailFrom);
    e.actors.recipients.forEach((r) => o.add('email.to', OBS.email, r));
    o.add('email.uid', OBS.resource, e.email?.networkMessageId);
    // Email Activity has no attribute for attachments: they stay in unmapped.AttachmentData.
    e.files.forEach((f) => {
      o.add('unmapped.AttachmentData.FileName', OBS.fileName, f.name);
      o.add('unmapped.AttachmentData.SHA256', OBS.hash, f.sha256);
    });
    e.urls.forEach((u) => o.add('unmapped.Urls', OBS.url, u));
  } else if (e.kind === 'url-click') {
    o.add('device.ip', OBS.ip, e.actors.clientIp);
    o.add('url.url_string', OBS.url, e.urlClick?.url);
    o.add('email_uid', OBS.resource, clickEmailUid(e));
  } else if (e.kind === 'file') {
    e.files.forEach((f) => {
      o.add('evidences.file.name', OBS.fileName, f.name);
      o.add('evidences.file.hashes.value', OBS.hash, f.sha256);
    });
  } else {
    o.add('actor.user.name', OBS.userName, e.actors.recordedUser.id);
    o.add('src_endpoint.ip', OBS.ip, e.actors.clientIp);
  }
  return o.list;
}

/** Keys of the original record that a class maps; the rest go to `unmapped`. */
const COMMON_KEYS = ['Id', 'RecordType', 'CreationTime', 'Operation', 'OrganizationId', 'Workload'];
const MAPPED_KEYS: Readonly<Record<NormalizedEvent['kind'], readonly string[]>> = {
  email: [
    ...COMMON_KEYS,
    'InternetMessageId',
    'NetworkMessageId',
    'P1Sender',
    'P2Sender',
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
    'LastUpdateTimeUtc',
    'Status',
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
  // 1.3.0's security_control profile has no `policy`: the record's Policy stays in unmapped.
  return { action_id, action, disposition_id, disposition, malware: malwareOf(e), attacks: attacksOf(e) };
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
        from: e.actors.from ?? e.actors.mailFrom ?? UNKNOWN,
        smtp_from: e.actors.mailFrom,
        to: e.actors.recipients.length > 0 ? e.actors.recipients : [UNKNOWN],
        smtp_to: e.actors.recipients,
      },
      email_auth: { spf: auth.get('spf'), dkim: auth.get('dkim'), dmarc: auth.get('dmarc') },
      src_endpoint: e.actors.senderIp ? { ip: e.actors.senderIp } : null,
      ...securityControl(e),
    },
  };
}

/**
 * 41's `SourceId`: a NetworkMessageId in lower case, as 28's `email.uid` and 64's evidence mails
 * carry it, so the three join; any other id (a Teams thread) as received.
 */
function clickEmailUid(e: NormalizedEvent): string | null {
  const id = e.urlClick?.sourceId ?? null;
  return id && isGuid(id) ? id.toLowerCase() : id;
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
      email_uid: clickEmailUid(e) || UNKNOWN,
      url: ocsfUrl(c?.url ?? null) ?? { url_string: UNKNOWN },
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
        uid: e.id || UNKNOWN,
        title: eventTitle(e) || UNKNOWN,
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

/**
 * Detection Finding `status_id` by investigation status: started → New;
 * running, pending actions, partially remediated → In Progress; remediated or
 * no threats found → Resolved; other ends (threats found without remediation,
 * failed, terminated) → Other, with the status as its caption.
 */
function investigationStatus(e: NormalizedEvent): [number, string] {
  const status = e.investigation?.status ?? null;
  const s = status?.toLowerCase().replace(/\s|\(s\)/g, '') ?? '';
  if (e.action === 'investigation-started') return [1, 'New'];
  if (s === 'remediated' || s === 'nothreatsfound') return [4, 'Resolved'];
  if (e.action === 'investigation-completed') return [99, status || 'Other'];
  return [2, 'In Progress'];
}

/** Fingerprint `algorithm_id` by AIR hash algorithm name (folded). */
const HASH_ALGORITHMS: Readonly<Record<string, [number, string]>> = {
  md5: [1, 'MD5'],
  sha1: [2, 'SHA-1'],
  sha256: [3, 'SHA-256'],
  sha512: [4, 'SHA-512'],
};

function hashesOf(f: FileEvidence) {
  const fold = (a: string) => a.toLowerCase().replace(/[^a-z0-9]/g, '');
  return [
    f.sha256 ? { algorithm_id: 3, algorithm: 'SHA-256', value: f.sha256 } : null,
    f.sha1 ? { algorithm_id: 2, algorithm: 'SHA-1', value: f.sha1 } : null,
    f.md5 ? { algorithm_id: 1, algorithm: 'MD5', value: f.md5 } : null,
    ...f.otherHashes.map((h) => {
      const known = HASH_ALGORITHMS[fold(h.algorithm)];
      const [algorithm_id, algorithm] =
        known ?? (fold(h.algorithm) === 'unknown' ? [0, 'Unknown'] : [99, h.algorithm || 'Other']);
      return { algorithm_id, algorithm, value: h.value };
    }),
  ];
}

function evidenceFile(f: FileEvidence) {
  return { name: f.name || UNKNOWN, type_id: 1, type: 'Regular File', hashes: hashesOf(f) };
}

function evidenceMail(m: MailEvidence) {
  return {
    uid: m.networkMessageId,
    message_uid: m.internetMessageId,
    subject: m.subject,
    from: m.p2Sender ?? m.sender ?? m.p1Sender ?? UNKNOWN,
    smtp_from: m.p1Sender,
    to: [m.recipient ?? UNKNOWN],
    smtp_to: m.recipient ? [m.recipient] : [],
  };
}

function evidenceUser(m: MailboxEvidence) {
  return {
    // user needs a name or uid: a mailbox known only by its display name is named Unknown.
    name: m.upn ?? m.address ?? (m.aadId ? null : UNKNOWN),
    email_addr: m.address,
    full_name: m.displayName,
    uid: m.aadId,
  };
}

/** One action as a related event: what it is and the entities it targets; its state stays in unmapped.Actions. */
function actionEvent(a: InvestigationAction, index: number) {
  const o = new Observables();
  const path = 'finding_info.related_events.observables';
  a.mailboxes.forEach((m) => o.add(`${path}.mailbox`, OBS.email, m));
  a.networkMessageIds.forEach((n) => o.add(`${path}.email.uid`, OBS.resource, n));
  a.urls.forEach((u) => o.add(`${path}.url.url_string`, OBS.url, u));
  o.add(`${path}.approved_by`, OBS.email, a.approvedBy);
  return {
    uid: a.id || `Actions.${index}`,
    type: a.type,
    observables: o.list,
  };
}

/** Observables of an investigation: every address, IP, URL, file, hash, mailbox and message id it names. */
function investigationObservables(e: NormalizedEvent): Observable[] {
  const o = new Observables();
  const ev = e.investigation?.evidence;
  for (const m of ev?.mails ?? []) {
    o.add('evidences.email.uid', OBS.resource, m.networkMessageId);
    o.add('evidences.email.message_uid', OBS.resource, m.internetMessageId);
    o.add('evidences.email.from', OBS.email, m.p2Sender ?? m.sender ?? m.p1Sender);
    o.add('evidences.email.smtp_from', OBS.email, m.p1Sender);
    o.add('evidences.email.to', OBS.email, m.recipient);
    if (m.senderIp !== null && isIP(m.senderIp) !== 0) o.add('evidences.src_endpoint.ip', OBS.ip, m.senderIp);
  }
  for (const ip of ev?.ips ?? []) o.add('evidences.src_endpoint.ip', OBS.ip, ip);
  for (const u of ev?.urls ?? []) o.add('evidences.url.url_string', OBS.url, u.url);
  for (const f of [...(ev?.files ?? []), ...(ev?.mails ?? []).flatMap((m) => m.files)]) {
    o.add('evidences.file.name', OBS.fileName, f.name);
    for (const h of hashesOf(f)) o.add('evidences.file.hashes.value', OBS.hash, h?.value);
  }
  for (const m of ev?.mailboxes ?? []) {
    o.add('evidences.user.email_addr', OBS.email, m.address);
    o.add('evidences.user.name', OBS.userName, m.upn);
  }
  for (const a of e.investigation?.actions ?? []) {
    a.mailboxes.forEach((m) => o.add('evidences.user.email_addr', OBS.email, m));
    a.urls.forEach((u) => o.add('evidences.url.url_string', OBS.url, u));
  }
  // Every message id the record names (clusters, actions), so a SIEM joins it to the mails (28) and clicks (41).
  e.networkMessageIds.forEach((n) => o.add('evidences.email.uid', OBS.resource, n));
  e.urls.forEach((u) => o.add('evidences.url.url_string', OBS.url, u));
  return o.list;
}

/** Every entity of the investigation as an evidence artifact. */
function investigationEvidences(e: NormalizedEvent) {
  const ev = e.investigation?.evidence;
  if (!ev) return [];
  const mailUrls = new Set(ev.mails.flatMap((m) => m.urls));
  const mailNmids = new Set(ev.mails.map((m) => m.networkMessageId?.toLowerCase()));
  const urls = [...ev.urls.map((u) => u.url), ...e.urls.filter((u) => !ev.urls.some((x) => x.url === u))];
  const mailFiles = new Set(ev.mails.flatMap((m) => m.files));
  return [
    ...ev.mails.flatMap((m) => [
      {
        email: evidenceMail(m),
        // An address that is not an IP stays in unmapped (the entity as received), not in an ip_t attribute.
        src_endpoint: m.senderIp !== null && isIP(m.senderIp) !== 0 ? { ip: m.senderIp } : null,
        data: compactData({
          direction: m.direction,
          received_time: m.receivedTime,
          delivery_action: m.deliveryAction,
          delivery_location: m.deliveryLocation,
          original_delivery_location: m.originalDeliveryLocation,
          threats: m.threats,
          detection_methods: m.detectionMethods,
          sender_display_name: m.p2SenderDisplayName,
          urls: m.urls,
          urn: m.urn,
        }),
      },
      ...m.files.map((f) => ({ email: { uid: m.networkMessageId, ...mailRef(m) }, file: evidenceFile(f) })),
    ]),
    // Message ids named only by clusters and actions: the join key with nothing else known.
    ...e.networkMessageIds
      .filter((n) => !mailNmids.has(n))
      .map((n) => ({ email: { uid: n, from: UNKNOWN, to: [UNKNOWN] } })),
    ...urls.map((u) => {
      const counts = ev.urls.find((x) => x.url === u);
      return {
        url: ocsfUrl(u),
        data: compactData({
          click_count: counts?.clickCount,
          email_count: counts?.emailCount,
          in_mail: mailUrls.has(u) || null,
        }),
      };
    }),
    ...ev.files.filter((f) => !mailFiles.has(f)).map((f) => ({ file: evidenceFile(f) })),
    ...ev.ips
      .filter((ip) => !ev.mails.some((m) => m.senderIp === ip))
      .map((ip) => ({ src_endpoint: { ip } })),
    ...ev.mailboxes.map((m) => ({ user: evidenceUser(m) })),
    ...ev.clusters.map((c) => ({
      data: compactData({
        kind: 'mail_cluster',
        ...clusterRecord(c),
      }),
    })),
  ];
}

/** The required `from`/`to` of a mail a file evidence points back to. */
function mailRef(m: MailEvidence) {
  const { from, to } = evidenceMail(m);
  return { from, to };
}

/** `data` (json_t) of an evidence, or null when it would be empty. */
function compactData(d: Record<string, unknown>): Record<string, unknown> | null {
  const c = compact(d) as Record<string, unknown>;
  return Object.keys(c).length > 0 ? c : null;
}

/** AIR's `ConfidenceScore` (0–1) as the 0–100 integer OCSF means; anything out of range is dropped. */
function confidencePercent(score: number | null | undefined): number | null {
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0) return null;
  if (score <= 1) return Math.round(score * 100);
  return score <= 100 ? Math.round(score) : null;
}

function investigationFinding(e: NormalizedEvent): ClassPart {
  const inv = e.investigation;
  const alert = inv?.alert;
  const ev = inv?.evidence;
  const [activity_id, activity_name] =
    e.action === 'investigation-started'
      ? [1, 'Create']
      : e.action === 'investigation-completed'
        ? [3, 'Close']
        : [2, 'Update'];
  const [status_id, status] = investigationStatus(e);
  const actions = inv?.actions ?? [];
  const mailboxes = [
    ...(ev?.mailboxes ?? []),
    ...actions
      .flatMap((a) => a.mailboxes)
      .filter((m) => !(ev?.mailboxes ?? []).some((x) => x.address?.toLowerCase() === m.toLowerCase()))
      .map((address) => ({ address, upn: null, displayName: null, aadId: null })),
  ];
  const seen = new Set<string>();
  return {
    class_uid: 2004,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id,
    activity_name,
    profiles: ['security_control'],
    body: {
      status_id,
      status,
      status_detail: inv?.status,
      start_time: ms(inv?.startTime),
      end_time: ms(inv?.endTime),
      confidence_score: confidencePercent(alert?.confidenceScore),
      finding_info: {
        uid: inv?.id || e.id || UNKNOWN,
        title: inv?.name || alert?.name || eventTitle(e) || UNKNOWN,
        desc: alert?.description,
        types: [inv?.type, alert?.name].filter((t): t is string => !!t),
        src_url: e.deepLink,
        created_time: ms(inv?.startTime),
        modified_time: ms(inv?.lastUpdateTime),
        analytic: alert?.detectionTechnology
          ? { name: alert.detectionTechnology, type_id: 0, type: 'Unknown' }
          : null,
        // The alert that started the investigation, then each action with the entities it targets.
        related_events: [
          alert?.id ? { uid: alert.id, type: 'Alert', product_uid: null } : null,
          ...actions.map(actionEvent),
        ],
      },
      evidences: investigationEvidences(e),
      resources: mailboxes
        .filter((m) => {
          const k = (m.address ?? m.upn ?? m.aadId ?? '').toLowerCase();
          if (!k || seen.has(k)) return false;
          seen.add(k);
          return true;
        })
        .map((m) => ({
          uid: m.aadId ?? m.address ?? m.upn,
          name: m.address ?? m.upn,
          type: 'Mailbox',
          owner: m.upn ? { name: m.upn, full_name: m.displayName, uid: m.aadId } : null,
        })),
      remediation: actions.length
        ? {
            desc: actions
              .map((a) =>
                [
                  a.type ?? UNKNOWN,
                  a.description,
                  a.status,
                  a.approval && `approval ${a.approval}`,
                  a.approvedBy && `approved by ${a.approvedBy}`,
                ]
                  .filter(Boolean)
                  .join(': '),
              )
              .join('; '),
          }
        : null,
      ...securityControl(e),
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
        user: {
          ...(ocsfUser(e.actors.recordedUser.id) ?? (e.actors.recordedUser.key ? null : { name: UNKNOWN })),
          uid: e.actors.recordedUser.key,
          type_id,
          type,
        },
      },
      api: { operation: e.operation || UNKNOWN, service: { name: e.workload } },
      // Required by the class; a record without a client address names no endpoint.
      src_endpoint: e.actors.clientIp
        ? { ip: e.actors.clientIp, port: e.actors.clientPort }
        : { name: UNKNOWN, port: e.actors.clientPort },
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
      return investigationFinding(e);
    case 'audit':
      return apiActivityClass(e);
  }
}

/**
 * The actions as the model reads them (`$ref` targets resolved, JSON strings parsed): what of an
 * action has no OCSF attribute (status, approval, approver, pending type, targets, times).
 */
function actionsUnmapped(actions: readonly InvestigationAction[]): unknown[] | null {
  const out = compact(actions.map(actionRecord)) as unknown[] | undefined;
  return Array.isArray(out) && out.length > 0 ? out : null;
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
    type_name: `${c.class_name}: ${c.activity_id === 99 ? 'Other' : c.activity_name}`,
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
    observables: e.kind === 'investigation' ? investigationObservables(e) : observablesOf(e),
    // Kept only when the record failed validation, so nothing is lost.
    raw_data: e.invalidReason ? input.raw : null,
  };
  const out = compact(doc) as Record<string, unknown>;
  const unmapped = unmappedOf(input);
  if (e.invalidReason) unmapped['atp_siem_invalid_reason'] = e.invalidReason;
  const actions = e.kind === 'investigation' ? actionsUnmapped(e.investigation?.actions ?? []) : null;
  if (actions) unmapped['atp_siem_actions'] = actions;
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
