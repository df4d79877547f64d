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
  FileInfo,
  InvestigationAction,
  InvestigationEntity,
  NormalizedEvent,
  Severity,
} from '../event.js';
import { buildLinks } from '../links.js';
import type { AirAction, AirEntity, InvestigationRecord } from '../records.js';
import { foldName, text, toSha256Hex, uniq } from '../wire.js';
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

/** Flattens one entity; its kind decides which fields mean what. */
export function toEntity(e: AirEntity): InvestigationEntity {
  const type = foldName(e.Type ?? '');
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
    },
    files,
    urls,
    networkMessageIds,
    deepLink: text(rec.DeepLinkUrl),
    links: buildLinks({ networkMessageIds, urls, sha256s: uniq(files.map((f) => f.sha256)) }),
  };
  return withSeverity(event, severity);
}
