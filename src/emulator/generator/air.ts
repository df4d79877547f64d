/**
 * Record 64 AirInvestigation (and 86/89, same shape) (§9.5): one record per
 * status change of an automated investigation, all sharing InvestigationId.
 * Quirks: `Data` is a JSON-encoded string of the alert (parse it twice);
 * `Actions` is an array of JSON-encoded strings in some records (2019 sample)
 * and of objects in others (2023 fixture); `$id` reference ids throughout.
 */
import type { GenContext, InvestigationState, MailMemory } from './context.js';
import { dotnetTime, wireTime } from './context.js';
import type { WireRecord } from './common.js';
import { commonRecord } from './common.js';
import { newMail } from './defender-mail.js';

type Kind = InvestigationState['kind'];

const KINDS: readonly Kind[] = ['ZappedMalwareInvestigation', 'UrlInvestigation', 'ZappedEmailInvestigation'];

const NAME_PREFIX: Record<Kind, string> = {
  ZappedMalwareInvestigation: 'Mail with Malware is zapped',
  UrlInvestigation: 'A potentially malicious URL click was detected',
  ZappedEmailInvestigation: 'Mail with malicious urls is zapped',
};

const ALERT_NAME: Record<Kind, string> = {
  ZappedMalwareInvestigation: 'Email messages containing malware removed after delivery',
  UrlInvestigation: 'A potentially malicious URL click was detected',
  ZappedEmailInvestigation: 'Email messages containing malicious URL removed after delivery',
};

/** Status sequences an investigation walks through; the last one is terminal. */
const STATUS_PATHS: readonly (readonly string[])[] = [
  ['Running', 'Pending Action', 'Remediated'],
  ['Investigation Started', 'Running', 'Threats Found', 'Pending Action(s)', 'Remediated'],
  ['Running', 'No threats found'],
  ['Running', 'Terminated by System'],
  ['Running', 'Pending Action(s)', 'Terminated By User'],
  ['Investigation Started', 'Failed'],
  ['Running', 'Terminated by throttling'],
];

const MAX_OPEN = 24;

const ACTIVE_STATUSES = new Set(['Pending Action', 'Pending Action(s)', 'Threats Found', 'Remediated']);

export interface AirVariant {
  recordType: number;
  operation: string;
}

export const AIR_AUTOMATED: AirVariant = { recordType: 64, operation: 'AirInvestigationData' };
// Operation names for 86/89 are inferred (§9.1): no sample exists.
export const AIR_MANUAL: AirVariant = { recordType: 86, operation: 'AirManualInvestigationData' };
export const AIR_ADMIN_ACTION: AirVariant = { recordType: 89, operation: 'AirAdminActionInvestigationData' };

export function airRecord(ctx: GenContext, atMs: number, variant: AirVariant = AIR_AUTOMATED): WireRecord {
  const rng = ctx.rng;
  const open = ctx.investigations;
  const inv = openInvestigationAt(ctx, atMs) ?? startInvestigation(ctx, atMs);
  inv.lastMs = atMs;
  const status = inv.statuses[inv.next] as string;
  inv.next++;
  if (inv.next >= inv.statuses.length) close(open, inv);
  // A later call may cover an earlier window: never report a start after the record itself.
  const startMs = Math.min(inv.startMs, atMs - 60_000);
  const deepLink = rng.chance(0.85)
    ? `https://security.microsoft.com/mtp-investigation/${inv.id}`
    : `https://protection.office.com/threatinvestigation?urn=${inv.id}`;

  const rec = commonRecord(ctx, atMs, {
    recordType: variant.recordType,
    operation: variant.operation,
    workload: 'AirInvestigation',
    userType: 4,
    userKey: 'AirInvestigation',
    userId: 'AirInvestigation',
    objectId: inv.id,
    system: true,
  });
  rec.InvestigationId = inv.id;
  rec.InvestigationName = inv.name;
  rec.InvestigationType = inv.kind;
  rec.LastUpdateTimeUtc = dotnetTime(atMs);
  rec.StartTimeUtc = dotnetTime(startMs);
  rec.EndTimeUtc = dotnetTime(atMs);
  rec.Status = status;
  rec.DeepLinkUrl = deepLink;
  const actions = ACTIVE_STATUSES.has(status)
    ? inv.actionIds.map((id, i) => action(ctx, inv, { actionId: id, index: i, status, atMs }))
    : [];
  rec.Actions = inv.actionsAsStrings ? actions.map((a) => JSON.stringify(a)) : actions;
  rec.Data = alertJson(ctx, inv, startMs, atMs, status);
  rec.RunningTime = String(Math.round((atMs - startMs) / 1000));
  return rec;
}

/**
 * Mostly advance an open investigation. Status changes of one investigation
 * stay in time order, so only one whose last change is not later than this
 * record qualifies. The open set is bounded: when it is full and none
 * qualifies (a call for an earlier window), one is abandoned.
 */
function openInvestigationAt(ctx: GenContext, atMs: number): InvestigationState | undefined {
  const rng = ctx.rng;
  const open = ctx.investigations;
  if (open.length === 0 || (open.length < MAX_OPEN && rng.chance(0.3))) return undefined;
  for (let tries = 0; tries < 4; tries++) {
    const candidate = rng.pick(open);
    if (candidate.lastMs <= atMs) return candidate;
  }
  if (open.length >= MAX_OPEN) close(open, rng.pick(open));
  return undefined;
}

function close(open: InvestigationState[], inv: InvestigationState): void {
  const i = open.indexOf(inv);
  open[i] = open[open.length - 1] as InvestigationState;
  open.pop();
}

function startInvestigation(ctx: GenContext, atMs: number): InvestigationState {
  const rng = ctx.rng;
  const kind = rng.pick(KINDS);
  // The URN keeps only the first 24 characters of the kind, as observed (`urn:ZappedMalwareInvestigati:`).
  const id = `urn:${kind.slice(0, 24)}:${rng.hex(16)}`;
  const mails = linkedMails(ctx, kind, atMs);
  const clicks = kind === 'UrlInvestigation' ? mails.flatMap((m) => m.clicks).slice(0, 3) : [];
  const inv: InvestigationState = {
    id,
    kind,
    name: `${NAME_PREFIX[kind]} - ${id}`,
    startMs: atMs - rng.between(60, 1800) * 1000,
    lastMs: atMs,
    statuses: rng.pick(STATUS_PATHS),
    next: 0,
    alertId: rng.guid(),
    mails,
    clicks,
    actionIds: Array.from({ length: rng.between(1, 3) }, () => `urn:EmailZapper:${rng.hex(16)}`),
    // Per investigation "era": the 2019 sample serialised each action as a JSON string.
    actionsAsStrings: rng.chance(0.4),
  };
  ctx.investigations.push(inv);
  return inv;
}

/** Mails the investigation is about: earlier record-28 mails of the matching threat when there are any. */
function linkedMails(ctx: GenContext, kind: Kind, atMs: number): MailMemory[] {
  const rng = ctx.rng;
  const wanted = (m: MailMemory): boolean =>
    m.atMs <= atMs && (kind === 'ZappedMalwareInvestigation' ? m.threat === 'Malware' : m.urls.length > 0);
  const found: MailMemory[] = [];
  const want = rng.chance(0.75) ? 1 : 2;
  for (let tries = 0; tries < 12 && ctx.mails.length > 0 && found.length < want; tries++) {
    const m = rng.pick(ctx.mails);
    if (wanted(m) && !found.includes(m)) found.push(m);
  }
  if (found.length === 0) found.push(newMail(ctx, atMs - 3600_000));
  return found;
}

interface ActionSpec {
  actionId: string;
  index: number;
  status: string;
  atMs: number;
}

function action(ctx: GenContext, inv: InvestigationState, spec: ActionSpec): WireRecord {
  const rng = ctx.rng;
  const { actionId, status, atMs } = spec;
  const ids: IdCounter = { n: 1 + spec.index * 10 };
  const done = status === 'Remediated';
  return {
    $id: nextId(ids),
    ActionId: actionId,
    ActionType: inv.kind === 'UrlInvestigation' && rng.chance(0.5) ? 'UrlBlock' : 'EmailRemediation',
    ActionApproval: 'None',
    ActionStatus: done ? 'Completed' : rng.pick(['Pending', 'Running', 'Waiting on resource']),
    ApprovedBy: done && rng.chance(0.5) ? ctx.upn() : null,
    TimestampUtc: dotnetTime(atMs),
    StartTimeUtc: dotnetTime(inv.startMs),
    EndTimeUtc: dotnetTime(atMs),
    LastUpdateTimeUtc: dotnetTime(atMs),
    InvestigationId: inv.id,
    RelatedAlertIds: [inv.alertId],
    ResourceIdentifiers: [{ $id: nextId(ids), AadTenantId: ctx.tenantId, Type: 'AAD' }],
    // The same cluster (same Urn) in every action and status record of the investigation.
    Entities: [clusterEntity(ctx, inv, ids)],
    BulkName: null,
    PendingType: 'User',
    LogCreationTime: dotnetTime(atMs),
    MachineName: `${rng.pick(['DM6', 'CY4', 'AM0'])}PR${rng.between(10, 99)}MB${rng.between(1000, 9999)}`,
    Description: `Soft delete ${inv.mails.length} email message(s)`,
  };
}

interface IdCounter {
  n: number;
}

function nextId(c: IdCounter): string {
  return String(c.n++);
}

/** The investigation's mail cluster (without `$id`), as JSON: built once, then the same in every record. */
function clusterJson(ctx: GenContext, inv: InvestigationState): string {
  return JSON.stringify(mailCluster(ctx, inv, inv.startMs));
}

function clusterEntity(ctx: GenContext, inv: InvestigationState, ids: IdCounter): WireRecord {
  return { $id: nextId(ids), ...(JSON.parse((inv.clusterJson ??= clusterJson(ctx, inv))) as WireRecord) };
}

function mailCluster(ctx: GenContext, inv: InvestigationState, atMs: number): WireRecord {
  const rng = ctx.rng;
  const counts: Record<string, number> = {};
  for (const m of inv.mails) counts[m.threat] = (counts[m.threat] ?? 0) + 1;
  const first = inv.mails[0] as MailMemory;
  const queryEnd = new Date(atMs);
  // QueryTime is observed in US format, e.g. `12/31/2023 11:59:59 PM`.
  const h = queryEnd.getUTCHours();
  const queryTime = `${queryEnd.getUTCMonth() + 1}/${queryEnd.getUTCDate()}/${queryEnd.getUTCFullYear()} ${h % 12 || 12}:${String(queryEnd.getUTCMinutes()).padStart(2, '0')}:${String(queryEnd.getUTCSeconds()).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
  return {
    Type: 'mailCluster',
    NetworkMessageIds: inv.mails.map((m) => m.networkMessageId),
    CountByDeliveryStatus: { Delivered: inv.mails.length },
    CountByThreatType: counts,
    CountByProtectionStatus: { NotProtected: inv.mails.length },
    CountByDeliveryLocation: { Inbox: inv.mails.length },
    Threats: Object.keys(counts),
    Query: `(NetworkMessageId:"${first.networkMessageId}" OR Sender:"${first.sender}")`,
    QueryTime: queryTime,
    MailCount: inv.mails.length,
    IsVolumeAnamoly: false,
    ClusterSourceIdentifier: first.networkMessageId,
    ClusterSourceType: inv.kind === 'UrlInvestigation' ? 'UrlThreatIndicator' : 'Similarity',
    ClusterQueryStartTime: dotnetTime(atMs - 30 * 86400_000),
    ClusterQueryEndTime: dotnetTime(atMs),
    ClusterGroup: rng.pick(['Similar messages', 'Sender', 'Url']),
    ClusterBy: inv.kind === 'UrlInvestigation' ? 'Url' : 'ContentHash',
    ClusterByValue: inv.kind === 'UrlInvestigation' ? (first.urls[0] ?? '') : rng.hex(32),
    QueryStartTime: dotnetTime(atMs - 30 * 86400_000),
    Source: 'OATP',
    Urn: `urn:MailClusterEntity:${rng.hex(16)}`,
    FirstSeen: dotnetTime(first.atMs),
  };
}

/**
 * The alert behind the investigation, serialised as the `Data` string.
 * Its entities do not change between status updates (same Urns), so their
 * JSON is built once per investigation and spliced in: this keeps record 64
 * cheap enough for benchmarks.
 */
function alertJson(
  ctx: GenContext,
  inv: InvestigationState,
  startMs: number,
  atMs: number,
  status: string,
): string {
  const rng = ctx.rng;
  inv.entities ??= alertEntities(ctx, inv);
  const resolved = !ACTIVE_STATUSES.has(status) || status === 'Remediated';
  const head = {
    $id: '1',
    Version: '3.0',
    VendorName: 'Microsoft',
    ProviderName: 'OATP',
    AlertType: rng.chance(0.5) ? rng.guid() : ALERT_NAME[inv.kind],
    StartTimeUtc: dotnetTime(startMs),
    EndTimeUtc: dotnetTime(atMs),
    TimeGenerated: dotnetTime(startMs),
    ProcessingEndTime: dotnetTime(atMs),
    // 2019 samples carry the int 1, 2023 samples a name.
    Status: rng.chance(0.3) ? 1 : resolved ? 'Resolved' : 'New',
    DetectionTechnology: inv.kind === 'ZappedMalwareInvestigation' ? 'FingerPrintMatch' : 'URLList',
    Severity: rng.pick(['Informational', 'Low', 'Medium', 'High']),
    ConfidenceLevel: rng.pick(['Unknown', 'Low', 'High']),
    ConfidenceScore: 1.0,
    IsIncident: false,
    ProviderAlertId: inv.alertId,
    SystemAlertId: null,
    CorrelationKey: rng.guid(),
    Investigations: [],
    InvestigationIds: [inv.id],
    Intent: 'Probing',
    ResourceIdentifiers: [{ $id: String(inv.entities.nextId), AadTenantId: ctx.tenantId, Type: 'AAD' }],
    AzureResourceId: null,
    WorkspaceId: null,
    WorkspaceSubscriptionId: null,
    WorkspaceResourceGroup: null,
    AgentId: null,
    AlertDisplayName: ALERT_NAME[inv.kind],
    Description: `${ALERT_NAME[inv.kind]}. Investigation ${inv.id}.`,
    ExtendedLinks: [
      {
        Href: `https://security.microsoft.com/viewalerts?id=${inv.alertId}`,
        Category: null,
        Label: 'alert',
        Type: 'webLink',
      },
    ],
    Metadata: { CustomApps: null, GenericInfo: null },
    ...(inv.actionsAsStrings ? { OATPInvestigationId: inv.id.slice(inv.id.lastIndexOf(':') + 1) } : {}),
  };
  const tail = {
    LogCreationTime: dotnetTime(atMs),
    MachineName: `${rng.pick(['BN7', 'CO1', 'DB5'])}PR${rng.between(10, 99)}MB${rng.between(1000, 9999)}`,
    SourceTemplateType: 'Threat_Single',
    Category: 'ThreatManagement',
    SourceAlertType: 'System',
  };
  const h = JSON.stringify(head);
  const t = JSON.stringify(tail);
  return `${h.slice(0, -1)},"Entities":${inv.entities.json},${t.slice(1)}`;
}

function alertEntities(ctx: GenContext, inv: InvestigationState): { json: string; nextId: number } {
  const rng = ctx.rng;
  const ids: IdCounter = { n: 2 };
  const entities: WireRecord[] = [];
  const seenUsers = new Set<string>();
  for (const m of inv.mails) {
    for (const r of m.recipients.slice(0, 1)) {
      if (seenUsers.has(r)) continue;
      seenUsers.add(r);
      entities.push(mailbox(ctx, r, m.atMs, ids));
    }
    let files: WireRecord[];
    if (inv.actionsAsStrings) {
      // 2019 era: file entities at top level, the mail refers to them by `$ref`.
      const top = m.files.map((f) => fileEntity(ids, f));
      entities.push(...top);
      files = top.map((f) => ({ $ref: f.$id }));
    } else {
      files = m.files.map((f) => fileEntity(ids, f));
    }
    entities.push(mailMessage(ctx, m, ids, files));
    for (const u of m.urls)
      entities.push({
        $id: nextId(ids),
        Type: 'url',
        Url: u,
        ClickCount: inv.clicks.filter((c) => c.url === u).length,
        EmailCount: 1,
        Urn: `urn:UrlEntity:${rng.hex(16)}`,
        Source: 'OATP',
        FirstSeen: dotnetTime(m.atMs),
      });
    entities.push({ $id: nextId(ids), Type: 'ip', Address: m.senderIp });
  }
  for (const c of inv.clicks) entities.push({ $id: nextId(ids), Type: 'ip', Address: c.userIp });
  entities.push(clusterEntity(ctx, inv, ids));
  return { json: JSON.stringify(entities), nextId: ids.n };
}

function mailbox(ctx: GenContext, upn: string, firstSeenMs: number, ids: IdCounter): WireRecord {
  const alias = upn.slice(0, upn.indexOf('@'));
  const person = ctx.org.people.find((p) => p.alias === alias);
  return {
    $id: nextId(ids),
    Type: 'mailbox',
    MailboxPrimaryAddress: upn,
    Upn: upn,
    DisplayName: person ? ctx.displayName(person) : alias,
    AadId: ctx.rng.guid(),
    RiskLevel: 'None',
    Urn: `urn:UserEntity:${ctx.rng.hex(16)}`,
    Source: 'OATP',
    FirstSeen: dotnetTime(firstSeenMs),
  };
}

function fileEntity(ids: IdCounter, f: MailMemory['files'][number]): WireRecord {
  return {
    $id: nextId(ids),
    Type: 'file',
    Name: f.name,
    FileHashes: [{ $id: nextId(ids), Type: 'filehash', Algorithm: 'SHA256', Value: f.sha256 }],
  };
}

/**
 * `files`: the mail's attachments, either inline entities or `$ref`
 * back-references to file entities listed earlier (reference-preserving
 * serialisation, as in the 2019 sample).
 */
function mailMessage(ctx: GenContext, m: MailMemory, ids: IdCounter, files: WireRecord[]): WireRecord {
  const rng = ctx.rng;
  const domainOf = (a: string): string => a.slice(a.indexOf('@') + 1);
  return {
    $id: nextId(ids),
    Type: 'mailMessage',
    Files: files,
    Recipient: m.recipients[0],
    Urls: m.urls,
    Threats: [m.threat],
    Sender: m.sender,
    P1Sender: m.sender,
    P1SenderDomain: domainOf(m.sender),
    P2Sender: m.sender,
    P2SenderDisplayName: m.sender.slice(0, m.sender.indexOf('@')),
    P2SenderDomain: domainOf(m.sender),
    SenderIP: m.senderIp,
    ReceivedDate: wireTime(m.atMs),
    NetworkMessageId: m.networkMessageId,
    InternetMessageId: m.internetMessageId,
    Subject: m.subject,
    AntispamDirection: 'Inbound',
    DeliveryAction: 'Delivered',
    ThreatDetectionMethods: [
      rng.pick(['URL malicious reputation', 'File detonation', 'Fingerprint matching']),
    ],
    Language: rng.pick(['en', 'de', 'fr', 'ja']),
    DeliveryLocation: 'Inbox',
    OriginalDeliveryLocation: 'Inbox',
    PhishConfidenceLevel: m.threat === 'Malware' ? null : 'High',
    AdditionalActionsAndResults: ['OriginalDelivery: [N/A]'],
    AuthDetails: [],
    SystemOverrides: [],
    Urn: `urn:MailEntity:${rng.hex(16)}`,
    Source: 'OATP',
    FirstSeen: dotnetTime(m.atMs),
  };
}
