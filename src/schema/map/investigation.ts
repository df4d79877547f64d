/**
 * Record type 64 (AirInvestigation, `AirInvestigationData`): one status
 * change of an automated investigation. Its alert (`Data`) and actions name
 * entities (mails, clusters, URLs, files, mailboxes) whose NetworkMessageIds,
 * URLs and hashes become link keys to the records 28, 41 and 47 concerned.
 */
import type {
  Disposition,
  EventAction,
  EventOutcome,
  FileEvidence,
  FileInfo,
  InvestigationAction,
  InvestigationEntity,
  InvestigationEvidence,
  MailboxEvidence,
  MailClusterEvidence,
  MailEvidence,
  NormalizedEvent,
  Severity,
  UrlEvidence,
} from '../event.js';
import { isIP } from 'node:net';
import { buildLinks } from '../links.js';
import type { AirAction, AirEntity, InvestigationRecord } from '../records.js';
import { foldName, isRecord, text, toHashHex, toSha256Hex, uniq } from '../wire.js';
import { emptyFile, parseSeverity, withSeverity } from './common.js';

interface StatusDecision {
  action: EventAction;
  outcome: EventOutcome;
  disposition: Disposition | null;
}

/**
 * Investigation `Status` values (spec §9.5.1) by folded name. Terminal states
 * complete the investigation; `Threats Found` is terminal in AIR (threats
 * found with no remediation to propose).
 */
const BY_STATUS: Readonly<Record<string, StatusDecision>> = {
  investigationstarted: { action: 'investigation-started', outcome: 'unknown', disposition: null },
  running: { action: 'investigation-updated', outcome: 'unknown', disposition: null },
  pendingaction: { action: 'investigation-updated', outcome: 'unknown', disposition: 'pending' },
  'pendingaction(s)': { action: 'investigation-updated', outcome: 'unknown', disposition: 'pending' },
  pendingactions: { action: 'investigation-updated', outcome: 'unknown', disposition: 'pending' },
  partiallyremediated: { action: 'investigation-updated', outcome: 'unknown', disposition: 'removed' },
  remediated: { action: 'investigation-completed', outcome: 'success', disposition: 'removed' },
  nothreatsfound: { action: 'investigation-completed', outcome: 'success', disposition: 'no-action' },
  threatsfound: { action: 'investigation-completed', outcome: 'success', disposition: null },
  failed: { action: 'investigation-completed', outcome: 'failure', disposition: null },
  terminatedbysystem: { action: 'investigation-completed', outcome: 'failure', disposition: null },
  terminatedbythrottling: { action: 'investigation-completed', outcome: 'failure', disposition: null },
  terminatedbyuser: { action: 'investigation-completed', outcome: 'failure', disposition: null },
};

const UNKNOWN_STATUS: StatusDecision = {
  action: 'investigation-updated',
  outcome: 'unknown',
  disposition: null,
};

function fileOf(e: {
  Name?: string | null;
  FileHashes?: { Algorithm?: string | null; Value?: string | null }[] | null;
  MalwareFamily?: string | null;
}): FileInfo {
  const hash = (e.FileHashes ?? []).find((h) => foldName(h.Algorithm ?? '') === 'sha256');
  return {
    ...emptyFile(),
    name: text(e.Name),
    sha256: toSha256Hex(hash?.Value),
    malwareFamily: text(e.MalwareFamily),
  };
}

/**
 * The entity's kind: its `Type` folded (`mail-message` and `mailMessage` are one), or, for an entity sent
 * without one, the kind its fields show. Unknown kinds stay as received.
 */
export function entityType(e: AirEntity): string {
  const t = foldName(e.Type ?? '');
  if (t !== '') return t === 'user' ? 'mailbox' : t;
  if (e.Query != null || e.MailCount != null || e.CountByThreatType != null) return 'mailcluster';
  if (
    e.InternetMessageId != null ||
    e.NetworkMessageId != null ||
    e.Subject != null ||
    e.P1Sender != null ||
    e.Sender != null ||
    e.Recipient != null ||
    e.SenderIP != null ||
    e.ReceivedDate != null ||
    e.Files != null
  )
    return 'mailmessage';
  if (e.MailboxPrimaryAddress != null || e.Upn != null || e.AadId != null) return 'mailbox';
  if (e.Algorithm != null && e.Value != null) return 'filehash';
  if (e.FileHashes != null || (e.Name != null && e.MalwareFamily != null)) return 'file';
  if (e.Address != null) return 'ip';
  if (e.Url != null) return 'url';
  return '';
}

/** Flattens one entity; its kind decides which fields mean what. */
export function toEntity(e: AirEntity): InvestigationEntity {
  const type = entityType(e);
  const nmids = uniq([text(e.NetworkMessageId), ...(e.NetworkMessageIds ?? []).map(text)]).map((s) =>
    s.toLowerCase(),
  );
  const urls = uniq([text(e.Url), ...(e.Urls ?? []).map(text)]);
  const addresses = uniq(
    type === 'mailbox'
      ? [text(e.MailboxPrimaryAddress), text(e.Upn)]
      : type === 'ip'
        ? [text(e.Address)]
        : type === 'mailmessage'
          ? [text(e.Sender), text(e.Recipient)]
          : [],
  );
  const files =
    type === 'file'
      ? [fileOf(e)]
      : type === 'filehash'
        ? [fileOf({ FileHashes: [e] })]
        : (e.Files ?? []).map(fileOf);
  const raw: Record<string, unknown> = { ...e };
  return { type, networkMessageIds: nmids, urls, addresses, files, raw };
}

function toAction(a: AirAction): InvestigationAction {
  const entities = (a.Entities ?? []).map(toEntity);
  return {
    id: text(a.ActionId),
    type: text(a.ActionType),
    status: text(a.ActionStatus),
    approvedBy: text(a.ApprovedBy),
    approval: text(a.ActionApproval),
    pendingType: text(a.PendingType),
    description: text(a.Description),
    targetTypes: uniq(entities.map((x) => x.type)),
    mailboxes: uniq(entities.flatMap((x) => (x.type === 'mailbox' ? x.addresses : []))),
    startTime: a.StartTimeUtc ?? a.TimestampUtc ?? null,
    endTime: a.EndTimeUtc ?? null,
    relatedAlertIds: uniq(a.RelatedAlertIds ?? []),
    networkMessageIds: uniq(entities.flatMap((x) => x.networkMessageIds)),
    urls: uniq(entities.flatMap((x) => x.urls)),
  };
}

/**
 * One file per hash: the same file is often named twice (a mail's `Files`
 * and a `filehash` entity or `$ref` to it); the entry with a name wins.
 */
function dedupeFiles(files: FileInfo[]): FileInfo[] {
  const out: FileInfo[] = [];
  const sorted = [...files].sort((a, b) => Number(b.name !== null) - Number(a.name !== null));
  for (const f of sorted) {
    if (f.sha256 === null && f.name === null) continue;
    if (f.sha256 !== null && out.some((o) => o.sha256 === f.sha256)) continue;
    out.push(f);
  }
  return out;
}

const HASH_BYTES: Readonly<Record<string, { key: 'sha256' | 'sha1' | 'md5'; bytes: number }>> = {
  sha256: { key: 'sha256', bytes: 32 },
  sha1: { key: 'sha1', bytes: 20 },
  md5: { key: 'md5', bytes: 16 },
};

type FileLike = Parameters<typeof fileOf>[0];

/** A file entity (or a lone `filehash`) with every hash it gives; a hash of a known algorithm is hex. */
function fileEvidence(e: FileLike): FileEvidence {
  const out: FileEvidence = {
    name: text(e.Name),
    sha256: null,
    sha1: null,
    md5: null,
    otherHashes: [],
    malwareFamily: text(e.MalwareFamily),
  };
  for (const h of e.FileHashes ?? []) {
    const algorithm = text(h.Algorithm) ?? 'Unknown';
    const value = text(h.Value);
    if (value === null) continue;
    const known = HASH_BYTES[foldName(algorithm)];
    const hex = known ? toHashHex(value, known.bytes) : null;
    // A second, different value of a known algorithm is kept among the other hashes, not dropped.
    if (known && hex !== null && (out[known.key] === null || out[known.key] === hex)) out[known.key] = hex;
    else out.otherHashes.push({ algorithm, value });
  }
  return out;
}

/** Counts by name (`{"Phish":1,"Malware":6}`), numbers only. */
function countsOf(v: unknown): Record<string, number> {
  if (!isRecord(v)) return {};
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isFinite(n)) out[k] = n;
  return out;
}

/** Merges evidence of one kind by key: the first seen wins, later ones fill what it lacks. */
function mergeBy<T extends object>(items: T[], key: (t: T) => string | null): T[] {
  const byKey = new Map<string, T>();
  const out: T[] = [];
  for (const item of items) {
    const k = key(item);
    const seen = k === null ? undefined : byKey.get(k);
    if (seen === undefined) {
      if (k !== null) byKey.set(k, item);
      out.push(item);
      continue;
    }
    const target = seen as Record<string, unknown>;
    for (const [f, v] of Object.entries(item)) {
      const have = target[f];
      if (have === null || have === undefined || (Array.isArray(have) && have.length === 0)) target[f] = v;
    }
  }
  return out;
}

/** Files are one file when a hash says so; without a known hash, only when name and other hashes agree. */
function fileKey(f: FileEvidence): string | null {
  const known = f.sha256 ?? f.sha1 ?? f.md5;
  if (known !== null) return known;
  if (f.name === null && f.otherHashes.length === 0) return null;
  return `name:${f.name ?? ''}|${f.otherHashes.map((h) => `${h.algorithm}:${h.value}`).join(',')}`;
}

/** What the investigation names, kind by kind (spec §9.5.4), from the alert's and the actions' entities. */
export function investigationEvidence(raw: AirEntity[]): InvestigationEvidence {
  const mails: MailEvidence[] = [];
  const mailboxes: MailboxEvidence[] = [];
  const urls: UrlEvidence[] = [];
  const files: FileEvidence[] = [];
  const clusters: MailClusterEvidence[] = [];
  const ips: (string | null)[] = [];
  for (const e of raw) {
    switch (entityType(e)) {
      case 'mailmessage': {
        const mailFiles = (e.Files ?? []).map(fileEvidence);
        files.push(...mailFiles);
        ips.push(text(e.SenderIP));
        mails.push({
          networkMessageId: text(e.NetworkMessageId)?.toLowerCase() ?? null,
          internetMessageId: text(e.InternetMessageId),
          subject: text(e.Subject),
          sender: text(e.Sender),
          p1Sender: text(e.P1Sender),
          p1SenderDomain: text(e.P1SenderDomain),
          p2Sender: text(e.P2Sender),
          p2SenderDisplayName: text(e.P2SenderDisplayName),
          p2SenderDomain: text(e.P2SenderDomain),
          senderIp: text(e.SenderIP),
          recipient: text(e.Recipient),
          receivedTime: text(e.ReceivedDate),
          direction: text(e.AntispamDirection),
          deliveryAction: text(e.DeliveryAction),
          deliveryLocation: text(e.DeliveryLocation),
          originalDeliveryLocation: text(e.OriginalDeliveryLocation),
          threats: uniq((e.Threats ?? []).map(text)),
          detectionMethods: uniq((e.ThreatDetectionMethods ?? []).map(text)),
          urls: uniq((e.Urls ?? []).map(text)),
          files: mailFiles,
          urn: text(e.Urn),
        });
        for (const url of uniq((e.Urls ?? []).map(text)))
          urls.push({ url, clickCount: null, emailCount: null });
        break;
      }
      case 'mailbox':
        mailboxes.push({
          address: text(e.MailboxPrimaryAddress),
          upn: text(e.Upn),
          displayName: text(e.DisplayName),
          aadId: text(e.AadId),
        });
        break;
      case 'url': {
        const url = text(e.Url);
        if (url !== null)
          urls.push({ url, clickCount: e.ClickCount ?? null, emailCount: e.EmailCount ?? null });
        break;
      }
      case 'ip':
        ips.push(text(e.Address));
        break;
      case 'file':
        files.push(fileEvidence(e));
        break;
      case 'filehash':
        files.push(fileEvidence({ FileHashes: [e] }));
        break;
      case 'mailcluster':
        clusters.push({
          query: text(e.Query),
          queryTime: text(e.QueryTime),
          mailCount: e.MailCount ?? null,
          networkMessageIds: uniq((e.NetworkMessageIds ?? []).map((id) => text(id)?.toLowerCase())),
          countByThreatType: countsOf(e.CountByThreatType),
          countByDeliveryStatus: countsOf(e.CountByDeliveryStatus),
          countByDeliveryLocation: countsOf(e.CountByDeliveryLocation),
          threats: uniq((e.Threats ?? []).map(text)),
          sourceType: text(e.ClusterSourceType),
          clusterBy: text(e.ClusterBy),
          clusterByValue: text(e.ClusterByValue),
          urn: text(e.Urn),
        });
        break;
    }
  }
  // A lone hash of a file named elsewhere merges into it when they share the hash.
  const mergedFiles = mergeBy(
    [...files].sort((a, b) => Number(b.name !== null) - Number(a.name !== null)),
    fileKey,
  ).filter((f) => f.name !== null || fileKey(f) !== null || f.otherHashes.length > 0);
  return {
    mails: mergeBy(mails, (m) =>
      m.networkMessageId === null && m.internetMessageId === null
        ? null
        : `${m.networkMessageId ?? m.internetMessageId}|${(m.recipient ?? '').toLowerCase()}`,
    ),
    // Addresses only: a SenderIP or Address that is not an IP (`ffff:10.0.0.1`, with a port) stays as received
    // in the mail's `senderIp` and the entity's raw fields, never where a format expects an address.
    ips: uniq(ips).filter((ip) => isIP(ip) !== 0),
    urls: mergeBy(urls, (u) => u.url),
    files: mergedFiles,
    mailboxes: mergeBy(mailboxes, (m) => (m.address ?? m.upn)?.toLowerCase() ?? null),
    // Without an Urn, clusters are one only when query, time and mails agree.
    clusters: mergeBy(
      clusters,
      (c) =>
        c.urn ??
        (c.query === null
          ? null
          : `${c.query}|${c.queryTime ?? ''}|${[...c.networkMessageIds].sort().join(',')}`),
    ),
  };
}

export function mapInvestigation(base: NormalizedEvent, rec: InvestigationRecord): NormalizedEvent {
  const status = text(rec.Status);
  const d = (status && BY_STATUS[status.toLowerCase().replace(/\s/g, '')]) || UNKNOWN_STATUS;
  const data = rec.Data ?? null;
  const entities = (data?.Entities ?? []).map(toEntity);
  const actions = (rec.Actions ?? []).map(toAction);
  const rawEntities = [...(data?.Entities ?? []), ...(rec.Actions ?? []).flatMap((a) => a.Entities ?? [])];
  const all = rawEntities.map(toEntity);
  const files = dedupeFiles(all.flatMap((e) => e.files));
  const networkMessageIds = uniq(all.flatMap((e) => e.networkMessageIds));
  const urls = uniq(all.flatMap((e) => e.urls));
  const threatNames = uniq(rawEntities.flatMap((e) => e.Threats ?? []));
  const noThreat = d.disposition === 'no-action';
  const severity: Severity = noThreat ? 'informational' : (parseSeverity(data?.Severity) ?? 'medium');
  const event: NormalizedEvent = {
    ...base,
    kind: 'investigation',
    action: d.action,
    outcome: d.outcome,
    disposition: d.disposition,
    isAlert: !noThreat,
    threat:
      threatNames.length > 0 || data?.DetectionTechnology
        ? {
            verdict: threatNames[0] ?? null,
            families: uniq(files.map((f) => f.malwareFamily)),
            detectionTechnologies: uniq([text(data?.DetectionTechnology)]),
            threats: threatNames.map((name) => ({ name, technologies: [] })),
            detectionType: null,
            detectionMethod: null,
            phishConfidenceLevel: null,
            policy: null,
            policyAction: null,
          }
        : null,
    investigation: {
      id: text(rec.InvestigationId),
      name: text(rec.InvestigationName),
      type: text(rec.InvestigationType),
      status,
      startTime: rec.StartTimeUtc ?? null,
      endTime: rec.EndTimeUtc ?? null,
      lastUpdateTime: rec.LastUpdateTimeUtc ?? null,
      runningTimeSeconds: rec.RunningTime ?? null,
      alert: data
        ? {
            id: text(data.SystemAlertId) ?? text(data.ProviderAlertId),
            name: text(data.AlertDisplayName) ?? text(data.AlertType),
            description: text(data.Description),
            severity: text(data.Severity),
            status: text(data.Status),
            category: text(data.Category),
            detectionTechnology: text(data.DetectionTechnology),
            confidenceScore: data.ConfidenceScore ?? null,
            isIncident: data.IsIncident ?? null,
          }
        : null,
      actions,
      entities,
      evidence: investigationEvidence(rawEntities),
    },
    files,
    urls,
    networkMessageIds,
    deepLink: text(rec.DeepLinkUrl),
    links: buildLinks({ networkMessageIds, urls, sha256s: uniq(files.map((f) => f.sha256)) }),
  };
  return withSeverity(event, severity);
}
