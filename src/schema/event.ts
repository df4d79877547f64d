/**
 * The normalized event: one shape for every audit record, whatever its record
 * type, so that each SIEM format maps from a typed model rather than from raw
 * Microsoft fields. Built by `normalize()` (src/schema/normalize.ts).
 *
 * Conventions: times are ISO-8601 UTC with `Z`; absent values are `null` (or
 * `[]` for lists), never `undefined`, so JSON round-trips keep every key;
 * e-mail addresses and hashes are kept as received except SHA-256, which is
 * always lower-case hex.
 */

/** Version of this shape; bumped when a field changes meaning. */
export const NORMALIZED_EVENT_VERSION = 1;

/**
 * What happened, from the point of view of the record.
 *
 * - `blocked`: a mail was stopped at delivery (quarantined, rejected, deleted).
 * - `delivered`: a mail with a threat verdict reached the mailbox (inbox).
 * - `delivered-to-junk`: a mail with a threat verdict was delivered to the junk folder.
 * - `detected`: a threat was found after delivery (`Delayed`) or in a stored file (record 47).
 * - `remediated`: a delivered mail was removed after delivery (ZAP).
 * - `clicked`: a user clicked a wrapped URL and was allowed through.
 * - `click-blocked`: Safe Links showed its block page.
 * - `click-pending-detonation`: Safe Links showed the "scan in progress" page.
 * - `clicked-through-warning`: the user clicked through a block or pending page.
 * - `investigation-started` / `investigation-updated` / `investigation-completed`: AIR status changes.
 * - `audit`: any other audited activity (see `operation`).
 */
export type EventAction =
  | 'blocked'
  | 'delivered'
  | 'delivered-to-junk'
  | 'detected'
  | 'remediated'
  | 'clicked'
  | 'click-blocked'
  | 'click-pending-detonation'
  | 'clicked-through-warning'
  | 'investigation-started'
  | 'investigation-updated'
  | 'investigation-completed'
  | 'audit';

/** The family of the record, which decides which object fields are filled. */
export type EventKind = 'email' | 'url-click' | 'file' | 'investigation' | 'audit';

/**
 * Whether the activity the record describes succeeded for the actor who
 * attempted it: a blocked mail is a failed delivery, a blocked click a failed
 * navigation, a remediation or investigation that ended well a success.
 */
export type EventOutcome = 'success' | 'failure' | 'unknown';

/** What the security control did with the object. */
export type Disposition =
  | 'allowed'
  | 'blocked'
  | 'quarantined'
  | 'delivered'
  | 'junked'
  | 'deleted'
  | 'removed'
  | 'redirected'
  | 'modified'
  | 'pending'
  | 'no-action'
  | 'unknown';

export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';

/** A value of a Microsoft enum: its number when known, and its documented name (or the raw text). */
export interface EnumValue {
  id: number | null;
  name: string;
}

export interface ThreatInfo {
  /** Record verdict (`Phish`, `Malware`, `Spam`, …) or the AIR alert's threat; null when none. */
  verdict: string | null;
  /** Malware families named by attachments, files or entities, de-duplicated. */
  families: string[];
  /** Detection technologies (`Spoof DMARC`, `File detonation`, …), de-duplicated. */
  detectionTechnologies: string[];
  /** `ThreatsAndDetectionTech` parsed: one entry per threat. */
  threats: { name: string; technologies: string[] }[];
  /** `Inline`, `Delayed` or `ZAP` (record 28). */
  detectionType: EnumValue | null;
  /** `DetectionMethod` as recorded. */
  detectionMethod: string | null;
  phishConfidenceLevel: string | null;
  policy: EnumValue | null;
  policyAction: EnumValue | null;
}

export interface UserRef {
  /** UPN or e-mail address as recorded. */
  id: string;
  /** Domain part of the address, lower-case; null when there is no `@`. */
  domain: string | null;
}

export interface EventActors {
  /**
   * The person the event is about: the clicking user (41), the file's last
   * modifier (47), the single recipient of a mail (28, null with several), the
   * acting user of a generic audit record. Never a system value such as
   * `ThreatIntel` or `AirInvestigation`.
   */
  user: UserRef | null;
  /** `UserId`, `UserKey` and `UserType` exactly as recorded (may be system values). */
  recordedUser: { id: string | null; key: string | null; type: EnumValue | null };
  /** Envelope sender (P1, 5321.MailFrom). */
  mailFrom: string | null;
  /** Header sender (P2, 5322.From). */
  from: string | null;
  senderIp: string | null;
  recipients: string[];
  /** `ClientIP` (or 41's `UserIp`) with any port removed; null when absent, empty or `<null>`. */
  clientIp: string | null;
  clientPort: number | null;
}

export interface AuthResult {
  name: string;
  value: string;
}

export interface EmailInfo {
  networkMessageId: string | null;
  internetMessageId: string | null;
  subject: string | null;
  /** `Inbound`, `Outbound`, `Intraorg`. */
  direction: string | null;
  /** When the mail was received or sent (ISO UTC). */
  messageTime: string | null;
  deliveryAction: string | null;
  originalDeliveryLocation: string | null;
  latestDeliveryLocation: string | null;
  /** SPF, DKIM, DMARC, Comp Auth results. */
  authentication: AuthResult[];
  systemOverrides: {
    details: string | null;
    finalOverride: string | null;
    result: string | null;
    source: string | null;
  }[];
  additionalActions: string[];
  connector: string | null;
}

export interface FileInfo {
  name: string | null;
  /** `FileType` split on `;` (e.g. `exe;zip` → ["exe","zip"]). */
  types: string[];
  /** Lower-case hex, whatever the wire form (hex or base64). */
  sha256: string | null;
  verdict: EnumValue | null;
  malwareFamily: string | null;
  path: string | null;
  size: number | null;
  documentId: string | null;
  /** Where a record-47 file lives: SharePoint, OneDrive, Teams. */
  sourceWorkload: EnumValue | null;
  lastModifiedBy: string | null;
  lastModifiedTime: string | null;
}

export interface UrlClickInfo {
  url: string | null;
  /** `URLClickAction`; null when the record omits it. */
  clickAction: EnumValue | null;
  appName: string | null;
  appVersion: string | null;
  /** For mail, the NetworkMessageId of the message carrying the URL. */
  sourceId: string | null;
  timeOfClick: string | null;
}

export interface InvestigationAction {
  id: string | null;
  type: string | null;
  status: string | null;
  approvedBy: string | null;
  /** `ActionApproval` (observed `None`); `PendingType` says who must act (`User`). */
  approval: string | null;
  pendingType: string | null;
  description: string | null;
  /** Kinds of the entities the action targets (`mailcluster`, `mailmessage`, …). */
  targetTypes: string[];
  /** Mailboxes (addresses) the action targets. */
  mailboxes: string[];
  startTime: string | null;
  endTime: string | null;
  relatedAlertIds: string[];
  /** Network message ids and URLs of the entities the action touches. */
  networkMessageIds: string[];
  urls: string[];
}

/** An AIR entity, flattened to what formats use; the full object stays in `raw`. */
export interface InvestigationEntity {
  /** Normalized discriminator: `mailmessage`, `mailbox`, `mailcluster`, `url`, `ip`, `file`, `filehash`, or as received (lower-case, `-` removed). */
  type: string;
  networkMessageIds: string[];
  urls: string[];
  addresses: string[];
  files: FileInfo[];
  raw: Record<string, unknown>;
}

/** A file an investigation names, with every hash it gives. */
export interface FileEvidence {
  name: string | null;
  /** Lower-case hex. */
  sha256: string | null;
  sha1: string | null;
  md5: string | null;
  /** Hashes of other algorithms (`SHA256AC`, `Unknown`), as sent. */
  otherHashes: { algorithm: string; value: string }[];
  malwareFamily: string | null;
}

/** A `mailMessage` entity: one investigated message. */
export interface MailEvidence {
  networkMessageId: string | null;
  internetMessageId: string | null;
  subject: string | null;
  /** `Sender`, and the P1 (envelope, MAIL FROM) and P2 (header From) senders. */
  sender: string | null;
  p1Sender: string | null;
  p1SenderDomain: string | null;
  p2Sender: string | null;
  p2SenderDisplayName: string | null;
  p2SenderDomain: string | null;
  senderIp: string | null;
  recipient: string | null;
  receivedTime: string | null;
  /** `AntispamDirection` (Inbound, Outbound, Intra-org). */
  direction: string | null;
  deliveryAction: string | null;
  deliveryLocation: string | null;
  originalDeliveryLocation: string | null;
  threats: string[];
  detectionMethods: string[];
  urls: string[];
  files: FileEvidence[];
  urn: string | null;
}

export interface MailboxEvidence {
  address: string | null;
  upn: string | null;
  displayName: string | null;
  aadId: string | null;
}

export interface UrlEvidence {
  url: string;
  clickCount: number | null;
  emailCount: number | null;
}

/** A `mailCluster` entity: mails found by a query (similar messages, a URL's mails). */
export interface MailClusterEvidence {
  query: string | null;
  queryTime: string | null;
  mailCount: number | null;
  networkMessageIds: string[];
  countByThreatType: Record<string, number>;
  countByDeliveryStatus: Record<string, number>;
  countByDeliveryLocation: Record<string, number>;
  threats: string[];
  /** `ClusterSourceType` (Similarity, UrlThreatIndicator) and what the cluster groups by. */
  sourceType: string | null;
  clusterBy: string | null;
  clusterByValue: string | null;
  urn: string | null;
}

/**
 * Everything an investigation names, from its alert's `Data.Entities` and its actions' `Entities`, each kind
 * de-duplicated: what a SOC pivots on.
 */
export interface InvestigationEvidence {
  mails: MailEvidence[];
  /** Sender IPs of the mails and `ip` entities. */
  ips: string[];
  urls: UrlEvidence[];
  files: FileEvidence[];
  mailboxes: MailboxEvidence[];
  clusters: MailClusterEvidence[];
}

export interface InvestigationInfo {
  id: string | null;
  name: string | null;
  type: string | null;
  status: string | null;
  startTime: string | null;
  endTime: string | null;
  lastUpdateTime: string | null;
  runningTimeSeconds: number | null;
  alert: {
    id: string | null;
    name: string | null;
    description: string | null;
    severity: string | null;
    status: string | null;
    category: string | null;
    detectionTechnology: string | null;
    confidenceScore: number | null;
    isIncident: boolean | null;
  } | null;
  actions: InvestigationAction[];
  entities: InvestigationEntity[];
  evidence: InvestigationEvidence;
}

/** A MITRE ATT&CK technique and its tactic, as the event shows them. */
export interface AttackRef {
  technique: { id: string; name: string };
  tactic: { id: string; name: string };
}

/** One audit record in the normalized model. */
export interface NormalizedEvent {
  version: typeof NORMALIZED_EVENT_VERSION;
  /** Record `Id`. */
  id: string | null;
  /** `OrganizationId` (tenant GUID). */
  tenantId: string | null;
  recordType: number | null;
  /** Name from the record-type table; `Unknown(<n>)` when the number is not in it. */
  recordTypeName: string | null;
  operation: string | null;
  workload: string | null;
  /** `CreationTime` as ISO UTC with `Z`. */
  time: string | null;
  kind: EventKind;
  action: EventAction;
  /** True for detections and findings a SIEM should treat as alerts. */
  isAlert: boolean;
  outcome: EventOutcome;
  disposition: Disposition | null;
  severity: Severity;
  /** 0–100, for `event.risk_score` and the like. */
  riskScore: number;
  threat: ThreatInfo | null;
  /** ATT&CK technique for alerts (phishing attachment/link, user clicking a malicious link); null otherwise. */
  attack: AttackRef | null;
  actors: EventActors;
  email: EmailInfo | null;
  /** Mail attachments (28), the scanned file (47), file entities (64). */
  files: FileInfo[];
  urlClick: UrlClickInfo | null;
  /** Every URL the record names (clicked URL, entity URLs), de-duplicated. */
  urls: string[];
  /** Every NetworkMessageId the record names, lower-case, de-duplicated. */
  networkMessageIds: string[];
  investigation: InvestigationInfo | null;
  /** Link to the Microsoft portal (Threat Explorer, investigation page). */
  deepLink: string | null;
  objectId: string | null;
  resultStatus: string | null;
  /** Link keys (`nmid:<id>`, `url:<url>`) shared with related records. */
  links: string[];
  /** Why the record failed validation; null when valid. */
  invalidReason: string | null;
  /** Passthrough: top-level fields the model does not know, as received (keys and values untouched). */
  raw: Record<string, unknown>;
}
