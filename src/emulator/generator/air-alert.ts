/**
 * The alert of an AIR record (the `Data` string, §9.5.3) and its entities
 * (§9.5.4): mailbox, mailMessage, file/filehash, url, ip and mailCluster,
 * with the `$id` reference ids of .NET's reference-preserving serialiser.
 */
import type { GenContext, InvestigationState, MailMemory } from './context.js';
import { dotnetTime, wireTime } from './context.js';
import type { WireRecord } from './common.js';

type Kind = InvestigationState['kind'];

const ALERT_NAME: Record<Kind, string> = {
  ZappedMalwareInvestigation: 'Email messages containing malware removed after delivery',
  UrlInvestigation: 'A potentially malicious URL click was detected',
  ZappedEmailInvestigation: 'Email messages containing malicious URL removed after delivery',
};

export interface AlertTimes {
  startMs: number;
  atMs: number;
  /** The alert reads Resolved (rather than New) once the investigation is over. */
  resolved: boolean;
}

export interface IdCounter {
  n: number;
}

export function nextId(c: IdCounter): string {
  return String(c.n++);
}

/** The investigation's mail cluster (without `$id`), as JSON: built once, then the same in every record. */
function clusterJson(ctx: GenContext, inv: InvestigationState): string {
  return JSON.stringify(mailCluster(ctx, inv, inv.startMs));
}

export function clusterEntity(ctx: GenContext, inv: InvestigationState, ids: IdCounter): WireRecord {
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
export function alertJson(ctx: GenContext, inv: InvestigationState, at: AlertTimes): string {
  const rng = ctx.rng;
  const { startMs, atMs, resolved } = at;
  inv.entities ??= alertEntities(ctx, inv);
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
