/**
 * Microsoft Sentinel rows for the Logs Ingestion API: one flat JSON object per
 * record whose keys are exactly the columns of the custom table
 * `AtpSiemDefender_CL` (docs/sentinel/azuredeploy.json declares the same list;
 * a test keeps them equal).
 *
 * Column naming, so that KQL people already wrote keeps working:
 * - audit columns keep the Management Activity API names, as the "Microsoft
 *   365 Audit General and DLP" solution's `M365AuditGeneral_CL` does
 *   (`Id`, `RecordType`, `CreationTime`, `Operation`, `UserId`, `P2Sender`,
 *   `Verdict`, `InvestigationId`, ...), with the values normalized (enum
 *   numbers as their names, ports cut from IPs, SHA-256 as lower-case hex);
 *   where that solution spells a column unlike the wire
 *   (`LatestDeliverylocation`) we keep the wire spelling;
 * - normalized mail columns use the Defender XDR table spellings
 *   (`SenderFromAddress`, `RecipientEmailAddress`, `ThreatTypes`,
 *   `DeliveryLocation`, `EmailDirection`, `Url`, `SHA256`, ...), so hunting
 *   queries written for `EmailEvents` port by renaming the table;
 * - `TimeGenerated` is `CreationTime`; `EventId` identifies the record for
 *   KQL de-duplication (delivery is at least once); `RawData` holds the whole
 *   record as received.
 *
 * Reserved names (`TenantId`, `Type`, `id`, `Title`, `UniqueId`,
 * `_ResourceId`, `_SubscriptionId`) are avoided: the tenant is in
 * `OrganizationId`. `Id` differs from the reserved `id` by case and is what
 * `M365AuditGeneral_CL` declares too. Each column has one type and a row
 * carries only columns that have a value of that type (absent = null in
 * Log Analytics), which also keeps rows small against the 1 MB request limit.
 */
import { createHash } from 'node:crypto';
import type { FileInfo, NormalizedEvent } from '../schema/index.js';
import { urlParts } from '../schema/index.js';
import type { Format, FormatInput } from './format.contract.js';

/** Column types of a Logs Ingestion stream declaration (the table uses `dateTime` for `datetime`). */
export type SentinelColumnType = 'string' | 'int' | 'long' | 'real' | 'boolean' | 'datetime' | 'dynamic';

export interface SentinelColumn {
  name: string;
  type: SentinelColumnType;
  description: string;
}

const col = (name: string, type: SentinelColumnType, description: string): SentinelColumn => ({
  name,
  type,
  description,
});

/** The table name the documentation and ARM template use. */
export const SENTINEL_TABLE = 'AtpSiemDefender_CL';
/** The DCR input stream (`Custom-` + table without `_CL`). */
export const SENTINEL_STREAM = 'Custom-AtpSiemDefender';

/** Every column, in table order. */
export const SENTINEL_COLUMNS: readonly SentinelColumn[] = [
  // Audit record (Management Activity API names).
  col('TimeGenerated', 'datetime', 'CreationTime of the record (UTC).'),
  col('EventId', 'string', 'Stable id of the record for de-duplication: OrganizationId:Id.'),
  col('Id', 'string', 'Id of the audit record.'),
  col('RecordType', 'int', 'Audit record type (28 mail, 41 URL click, 47 file, 64 investigation).'),
  col('RecordTypeName', 'string', 'Name of the record type (ThreatIntelligence, ...).'),
  col('CreationTime', 'datetime', 'When the audited activity happened (UTC).'),
  col('Operation', 'string', 'Audited operation (TIMailData, TIUrlClickData, AtpDetection, ...).'),
  col('OrganizationId', 'string', 'Microsoft 365 tenant id.'),
  col('Workload', 'string', 'Microsoft 365 service that logged the record.'),
  col('UserId', 'string', 'UserId as recorded (may be a system value such as ThreatIntel).'),
  col('UserKey', 'string', 'UserKey as recorded.'),
  col('UserType', 'int', 'UserType as recorded (4 = System).'),
  col('ClientIP', 'string', 'Client IP address, port removed.'),
  col('ObjectId', 'string', 'ObjectId as recorded.'),
  col('ResultStatus', 'string', 'ResultStatus as recorded.'),
  // Defender for Office 365 mail (record 28), audit names.
  col('NetworkMessageId', 'string', 'Exchange Online network message id of the mail.'),
  col('InternetMessageId', 'string', 'Internet Message-ID header of the mail.'),
  col('Subject', 'string', 'Mail subject.'),
  col('P1Sender', 'string', 'Envelope sender (5321.MailFrom).'),
  col('P2Sender', 'string', 'Header sender (5322.From).'),
  col('Recipients', 'dynamic', 'Recipient addresses.'),
  col('SenderIp', 'string', 'IP address of the sending server.'),
  col('Verdict', 'string', 'Threat verdict (Phish, Malware, Spam, ...).'),
  col('DetectionType', 'string', 'Inline, Delayed or ZAP.'),
  col('DetectionMethod', 'string', 'Detection technology as recorded.'),
  col('Policy', 'string', 'Policy that acted on the mail.'),
  col('PolicyAction', 'string', 'Action of that policy.'),
  col('PhishConfidenceLevel', 'string', 'Normal or High.'),
  col('MessageTime', 'datetime', 'When the mail was received or sent (UTC).'),
  col('DeliveryAction', 'string', 'Original delivery action (Blocked, Delivered, DeliveredAsSpam).'),
  col('OriginalDeliveryLocation', 'string', 'Where the mail was delivered first.'),
  col('LatestDeliveryLocation', 'string', 'Where the mail is at the time of the record.'),
  col('Directionality', 'string', 'Inbound, Outbound or Intraorg.'),
  col('ThreatsAndDetectionTech', 'dynamic', 'One {Threat, DetectionTechnologies} object per threat.'),
  col('AuthDetails', 'dynamic', 'SPF, DKIM, DMARC and composite authentication results ({Name, Value}).'),
  col(
    'SystemOverrides',
    'dynamic',
    'Overrides that changed delivery ({Details, FinalOverride, Result, Source}).',
  ),
  col('AdditionalActionsAndResults', 'dynamic', 'Later actions on the mail (ZAP, ...).'),
  col('Connector', 'string', 'Connector the mail came through.'),
  col('AttachmentData', 'dynamic', 'Attachments ({FileName, FileType, FileVerdict, MalwareFamily, SHA256}).'),
  col('EventDeepLink', 'string', 'Link to the Microsoft Defender portal (Explorer or investigation).'),
  // Safe Links click (record 41), audit names.
  col(
    'UrlClickAction',
    'string',
    'Safe Links click action (Allowed, BlockPage, PendingDetonationPage, ...).',
  ),
  col('AppName', 'string', 'Application the URL was clicked in.'),
  col('AppVersion', 'string', 'Version of that application.'),
  col('SourceId', 'string', 'Id of the item carrying the URL (for mail: its NetworkMessageId).'),
  col('TimeOfClick', 'datetime', 'When the URL was clicked (UTC).'),
  // Safe Attachments for SharePoint, OneDrive and Teams (record 47), audit names.
  col('SourceWorkload', 'string', 'Where the file is: SharePoint, OneDrive or Teams.'),
  col('LastModifiedBy', 'string', 'Who last modified the file.'),
  col('LastModifiedDate', 'datetime', 'When the file was last modified (UTC).'),
  col('FilePath', 'string', 'URL of the file.'),
  col('DocumentId', 'string', 'Id of the file in SharePoint, OneDrive or Teams.'),
  // Automated investigation (record 64), audit names.
  col('InvestigationId', 'string', 'Id of the automated investigation.'),
  col('InvestigationName', 'string', 'Name of the investigation.'),
  col('InvestigationType', 'string', 'Type of the investigation.'),
  col('Status', 'string', 'Status of the investigation.'),
  col('StartTimeUtc', 'datetime', 'When the investigation started (UTC).'),
  col('EndTimeUtc', 'datetime', 'When the investigation ended (UTC).'),
  col('LastUpdateTimeUtc', 'datetime', 'When the investigation last changed (UTC).'),
  col('RunningTime', 'long', 'Running time of the investigation in seconds.'),
  col('AlertId', 'string', 'Id of the alert that started the investigation.'),
  col('AlertDisplayName', 'string', 'Name of that alert.'),
  col('AlertSeverity', 'string', 'Severity of that alert.'),
  col('Actions', 'dynamic', 'Investigation actions (id, type, status, approvedBy, times, targets).'),
  col('Entities', 'dynamic', 'Entities of the investigation, as recorded.'),
  col(
    'MailEvidence',
    'dynamic',
    'Investigated mails ({networkMessageId, internetMessageId, subject, sender, p1Sender, p2Sender, recipient, deliveryAction, deliveryLocation, threats, files, ...}).',
  ),
  col('IpEvidence', 'dynamic', 'IP addresses the investigation names (mail sender IPs and ip entities).'),
  col('UrlEvidence', 'dynamic', 'URLs the investigation names ({url, clickCount, emailCount}).'),
  col(
    'FileEvidence',
    'dynamic',
    'Files the investigation names ({name, sha256, sha1, md5, otherHashes, malwareFamily}).',
  ),
  col(
    'MailboxEvidence',
    'dynamic',
    'Mailboxes the investigation names ({address, upn, displayName, aadId}).',
  ),
  col(
    'MailClusterEvidence',
    'dynamic',
    'Mail clusters ({query, queryTime, mailCount, networkMessageIds, countByThreatType, countByDeliveryStatus, countByDeliveryLocation, ...}).',
  ),
  col(
    'ActionTypes',
    'dynamic',
    'Distinct types of the investigation actions (EmailRemediation, BlockUrl, ...).',
  ),
  col(
    'ActionStatuses',
    'dynamic',
    'Distinct statuses of the investigation actions (Pending, Completed, Failed, ...).',
  ),
  // Normalized columns in the Defender XDR (EmailEvents, EmailUrlInfo, EmailAttachmentInfo, UrlClickEvents) spellings.
  col('SenderFromAddress', 'string', 'Header sender address (EmailEvents).'),
  col('SenderFromDomain', 'string', 'Domain of the header sender (EmailEvents).'),
  col('SenderMailFromAddress', 'string', 'Envelope sender address (EmailEvents).'),
  col('SenderMailFromDomain', 'string', 'Domain of the envelope sender (EmailEvents).'),
  col('SenderIPv4', 'string', 'Sending server IPv4 address (EmailEvents).'),
  col('SenderIPv6', 'string', 'Sending server IPv6 address (EmailEvents).'),
  col(
    'RecipientEmailAddress',
    'string',
    'The recipient when the mail has exactly one (EmailEvents); see Recipients.',
  ),
  col('EmailDirection', 'string', 'Inbound, Outbound or Intraorg (EmailEvents).'),
  col('DeliveryLocation', 'string', 'Where the mail was delivered first (EmailEvents).'),
  col('ThreatTypes', 'string', 'Threat types, comma-separated (EmailEvents).'),
  col('ThreatNames', 'string', 'Malware families, comma-separated (EmailEvents).'),
  col('DetectionMethods', 'string', 'Detection technologies per threat, as JSON text (EmailEvents).'),
  col('AuthenticationDetails', 'string', 'Authentication results as JSON text (EmailEvents).'),
  col('AttachmentCount', 'int', 'Number of attachments (EmailEvents).'),
  col('UrlCount', 'int', 'Number of URLs the record names (EmailEvents).'),
  col('Url', 'string', 'The clicked URL, or the only URL the record names (EmailUrlInfo, UrlClickEvents).'),
  col('UrlDomain', 'string', 'Host of Url (EmailUrlInfo).'),
  col('AccountUpn', 'string', 'The user the event is about: clicking user, file modifier, single recipient.'),
  col('IsClickedThrough', 'boolean', 'The user clicked through a Safe Links warning (UrlClickEvents).'),
  col('FileName', 'string', 'Name of the file: the malicious attachment first (EmailAttachmentInfo).'),
  col('FileType', 'string', 'Type of that file (EmailAttachmentInfo).'),
  col('SHA256', 'string', 'SHA-256 of that file, lower-case hex (EmailAttachmentInfo).'),
  col('FileSize', 'long', 'Size of that file in bytes (EmailAttachmentInfo).'),
  col('MalwareFamily', 'string', 'Malware family of that file.'),
  col('NetworkMessageIds', 'dynamic', 'Every NetworkMessageId the record names, lower-case.'),
  col('Urls', 'dynamic', 'Every URL the record names.'),
  col('FileHashes', 'dynamic', 'Every SHA-256 the record names, lower-case hex.'),
  // atp-siem's normalized model.
  col('EventKind', 'string', 'email, url-click, file, investigation or audit.'),
  col('EventAction', 'string', 'What happened: blocked, delivered, remediated, clicked, ...'),
  col('EventOutcome', 'string', 'success, failure or unknown, for the actor who attempted the activity.'),
  col('Disposition', 'string', 'What the control did with the object (quarantined, junked, allowed, ...).'),
  col('IsAlert', 'boolean', 'The record is a detection a SIEM should treat as an alert.'),
  col('Severity', 'string', 'informational, low, medium, high or critical.'),
  col('RiskScore', 'int', 'Risk score, 0 to 100.'),
  col('AttackTechniqueId', 'string', 'MITRE ATT&CK technique (T1566.001, ...).'),
  col('AttackTacticId', 'string', 'MITRE ATT&CK tactic (TA0001, ...).'),
  col('InvalidReason', 'string', 'Why the record failed validation; empty when valid.'),
  col('RawData', 'dynamic', 'The whole record as received (text when it was not JSON).'),
];

/** The cut-off the Logs Ingestion API applies to one value (longer values are truncated by the service). */
export const SENTINEL_MAX_VALUE_BYTES = 64 * 1024;

/** True when `value` is what a column of `type` may hold (nulls are left out before this). */
export function fitsColumnType(value: unknown, type: SentinelColumnType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'int':
      return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
    case 'long':
      return Number.isSafeInteger(value);
    case 'real':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'datetime':
      return (
        typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))
      );
    case 'dynamic':
      return value !== undefined;
  }
}

const join = (items: readonly string[]): string | null => (items.length === 0 ? null : items.join(', '));

/** The file a single-file column describes: the malicious one first (as CEF and LEEF pick). */
function mainFile(files: readonly FileInfo[]): FileInfo | null {
  return (
    files.find((f) => f.verdict?.id === 1) ?? files.find((f) => f.malwareFamily !== null) ?? files[0] ?? null
  );
}

function domainOf(address: string | null): string | null {
  if (address === null) return null;
  const at = address.lastIndexOf('@');
  return at < 0 ? null : address.slice(at + 1).toLowerCase() || null;
}

function eventId(e: NormalizedEvent, raw: string): string {
  if (e.id !== null) return `${e.tenantId ?? 'unknown'}:${e.id}`;
  // No Id: the record's own text is what repeats when it is delivered twice.
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/** `{"Phish":["Spoof DMARC"]}`, the JSON text EmailEvents keeps in DetectionMethods. */
function detectionMethods(e: NormalizedEvent): string | null {
  const threats = e.threat?.threats ?? [];
  if (threats.length === 0) return null;
  // A Map, not an object: threat names are attacker-influenced text, and `toString` or `__proto__` would
  // land on Object.prototype.
  const out = new Map<string, string[]>();
  for (const t of threats) out.set(t.name, [...(out.get(t.name) ?? []), ...t.technologies]);
  return JSON.stringify(Object.fromEntries(out));
}

/** `{"SPF":"pass","DKIM":"none",...}`, the JSON text EmailEvents keeps in AuthenticationDetails. */
function authenticationDetails(e: NormalizedEvent): string | null {
  const results = e.email?.authentication ?? [];
  if (results.length === 0) return null;
  return JSON.stringify(Object.fromEntries(results.map((r) => [r.name.replace(/\s+/g, ''), r.value])));
}

function threatTypes(e: NormalizedEvent): string | null {
  const names = e.threat?.threats.map((t) => t.name) ?? [];
  const verdict = e.threat?.verdict;
  return join([...new Set(names.length > 0 ? names : verdict ? [verdict] : [])]);
}

function nonEmpty<T>(items: readonly T[] | undefined): readonly T[] | null {
  return items && items.length > 0 ? items : null;
}

function distinct(values: readonly (string | null)[] | undefined): string[] {
  return [...new Set((values ?? []).filter((v): v is string => v !== null && v !== ''))];
}

function rawDataOf(input: FormatInput): unknown {
  return input.record === null ? input.raw : input.record;
}

/** The row before values that do not fit their column are left out. Exported for tests. */
export function sentinelValues(input: FormatInput): Record<string, unknown> {
  const e = input.event;
  const a = e.actors;
  const m = e.email;
  const click = e.urlClick;
  const inv = e.investigation;
  const file = mainFile(e.files);
  const onlyFile = e.kind === 'file' ? (e.files[0] ?? null) : null;
  const url = click?.url ?? (e.urls.length === 1 ? (e.urls[0] ?? null) : null);
  const senderIp = a.senderIp;
  const isV6 = senderIp !== null && senderIp.includes(':');
  const hashes = [...new Set(e.files.map((f) => f.sha256).filter((h): h is string => h !== null))];
  return {
    TimeGenerated: e.time,
    EventId: eventId(e, input.raw),
    Id: e.id,
    RecordType: e.recordType,
    RecordTypeName: e.recordTypeName,
    CreationTime: e.time,
    Operation: e.operation,
    OrganizationId: e.tenantId,
    Workload: e.workload,
    UserId: a.recordedUser.id,
    UserKey: a.recordedUser.key,
    UserType: a.recordedUser.type?.id ?? null,
    ClientIP: a.clientIp,
    ObjectId: e.objectId,
    ResultStatus: e.resultStatus,

    NetworkMessageId: m?.networkMessageId ?? click?.sourceId ?? null,
    InternetMessageId: m?.internetMessageId ?? null,
    Subject: m?.subject ?? null,
    P1Sender: a.mailFrom,
    P2Sender: a.from,
    Recipients: a.recipients.length > 0 ? a.recipients : null,
    SenderIp: senderIp,
    Verdict: e.threat?.verdict ?? null,
    DetectionType: e.threat?.detectionType?.name ?? null,
    DetectionMethod: e.threat?.detectionMethod ?? null,
    Policy: e.threat?.policy?.name ?? null,
    PolicyAction: e.threat?.policyAction?.name ?? null,
    PhishConfidenceLevel: e.threat?.phishConfidenceLevel ?? null,
    MessageTime: m?.messageTime ?? null,
    DeliveryAction: m?.deliveryAction ?? null,
    OriginalDeliveryLocation: m?.originalDeliveryLocation ?? null,
    LatestDeliveryLocation: m?.latestDeliveryLocation ?? null,
    Directionality: m?.direction ?? null,
    ThreatsAndDetectionTech: e.threat?.threats.length
      ? e.threat.threats.map((t) => ({ Threat: t.name, DetectionTechnologies: t.technologies }))
      : null,
    AuthDetails: m?.authentication.length
      ? m.authentication.map((r) => ({ Name: r.name, Value: r.value }))
      : null,
    SystemOverrides: m?.systemOverrides.length
      ? m.systemOverrides.map((o) => ({
          Details: o.details,
          FinalOverride: o.finalOverride,
          Result: o.result,
          Source: o.source,
        }))
      : null,
    AdditionalActionsAndResults: m?.additionalActions.length ? m.additionalActions : null,
    Connector: m?.connector ?? null,
    AttachmentData:
      e.kind === 'email' && e.files.length > 0
        ? e.files.map((f) => ({
            FileName: f.name,
            FileType: f.types.join(';') || null,
            FileVerdict: f.verdict?.name ?? null,
            MalwareFamily: f.malwareFamily,
            SHA256: f.sha256,
          }))
        : null,
    EventDeepLink: e.deepLink,

    UrlClickAction: click?.clickAction?.name ?? null,
    AppName: click?.appName ?? null,
    AppVersion: click?.appVersion ?? null,
    SourceId: click?.sourceId ?? null,
    TimeOfClick: click?.timeOfClick ?? null,

    SourceWorkload: onlyFile?.sourceWorkload?.name ?? null,
    LastModifiedBy: onlyFile?.lastModifiedBy ?? null,
    LastModifiedDate: onlyFile?.lastModifiedTime ?? null,
    FilePath: onlyFile?.path ?? null,
    DocumentId: onlyFile?.documentId ?? null,

    InvestigationId: inv?.id ?? null,
    InvestigationName: inv?.name ?? null,
    InvestigationType: inv?.type ?? null,
    Status: inv?.status ?? null,
    StartTimeUtc: inv?.startTime ?? null,
    EndTimeUtc: inv?.endTime ?? null,
    LastUpdateTimeUtc: inv?.lastUpdateTime ?? null,
    RunningTime: inv?.runningTimeSeconds ?? null,
    AlertId: inv?.alert?.id ?? null,
    AlertDisplayName: inv?.alert?.name ?? null,
    AlertSeverity: inv?.alert?.severity ?? null,
    Actions: inv?.actions.length ? inv.actions : null,
    Entities: inv?.entities.length ? inv.entities.map((x) => x.raw) : null,
    MailEvidence: nonEmpty(inv?.evidence.mails),
    IpEvidence: nonEmpty(inv?.evidence.ips),
    UrlEvidence: nonEmpty(inv?.evidence.urls),
    FileEvidence: nonEmpty(inv?.evidence.files),
    MailboxEvidence: nonEmpty(inv?.evidence.mailboxes),
    MailClusterEvidence: nonEmpty(inv?.evidence.clusters),
    ActionTypes: nonEmpty(distinct(inv?.actions.map((x) => x.type))),
    ActionStatuses: nonEmpty(distinct(inv?.actions.map((x) => x.status))),

    SenderFromAddress: a.from,
    SenderFromDomain: domainOf(a.from),
    SenderMailFromAddress: a.mailFrom,
    SenderMailFromDomain: domainOf(a.mailFrom),
    SenderIPv4: senderIp !== null && !isV6 ? senderIp : null,
    SenderIPv6: isV6 ? senderIp : null,
    RecipientEmailAddress: e.kind === 'email' && a.recipients.length === 1 ? (a.recipients[0] ?? null) : null,
    EmailDirection: m?.direction ?? null,
    DeliveryLocation: m?.originalDeliveryLocation ?? null,
    ThreatTypes: threatTypes(e),
    ThreatNames: join(e.threat?.families ?? []),
    DetectionMethods: detectionMethods(e),
    AuthenticationDetails: authenticationDetails(e),
    AttachmentCount: e.kind === 'email' ? e.files.length : null,
    UrlCount: e.urls.length > 0 ? e.urls.length : null,
    Url: url,
    UrlDomain: url === null ? null : (urlParts(url)?.domain ?? null),
    AccountUpn: a.user?.id ?? null,
    IsClickedThrough: e.kind === 'url-click' ? e.action === 'clicked-through-warning' : null,
    FileName: file?.name ?? null,
    FileType: file && file.types.length > 0 ? file.types.join(';') : null,
    SHA256: file?.sha256 ?? null,
    FileSize: file?.size ?? null,
    MalwareFamily: file?.malwareFamily ?? null,
    NetworkMessageIds: e.networkMessageIds.length > 0 ? e.networkMessageIds : null,
    Urls: e.urls.length > 0 ? e.urls : null,
    FileHashes: hashes.length > 0 ? hashes : null,

    EventKind: e.kind,
    EventAction: e.action,
    EventOutcome: e.outcome,
    Disposition: e.disposition,
    IsAlert: e.isAlert,
    Severity: e.severity,
    RiskScore: e.riskScore,
    AttackTechniqueId: e.attack?.technique.id ?? null,
    AttackTacticId: e.attack?.tactic.id ?? null,
    InvalidReason: e.invalidReason,
    RawData: rawDataOf(input),
  };
}

/**
 * The row: declared columns only, in table order, each value of its column's
 * type; nulls, empty strings and values of another type are left out (a
 * column never changes type from one row to the next).
 */
export function toSentinelRow(input: FormatInput): Record<string, unknown> {
  const values = sentinelValues(input);
  const row: Record<string, unknown> = {};
  for (const { name, type } of SENTINEL_COLUMNS) {
    const value = values[name];
    if (value === null || value === undefined || value === '') continue;
    if (fitsColumnType(value, type)) row[name] = value;
  }
  return row;
}

/**
 * Sentinel Logs Ingestion rows, one JSON object per record.
 *
 * @example
 * JSON.parse(sentinelFormat.encode(toFormatInput(raw))).SenderFromAddress; // 'billing@fabrikam.example'
 */
export const sentinelFormat: Format = {
  id: 'sentinel',
  contentType: 'application/json',
  encode: (input) => JSON.stringify(toSentinelRow(input)),
};
