/**
 * The dashboard's JSON API: what each `GET /api/...` endpoint answers. The browser code in
 * `src/dashboard/public/` reads exactly these shapes; the server builds them from the store's
 * dashboard projection (`src/store/dashboard.ts`).
 *
 * Common query parameters (validated; a bad one is a 400 `{ error }` naming it):
 * - `from`, `to`: ISO-8601 instants (or epoch ms); default the last 7 days up to now. `to` is exclusive.
 * - `tenant`: one tenant id (GUID); absent = every tenant.
 * - `q`: free text, matched case-insensitively against subject, sender, recipient, URL, file name, user.
 * - Tables: `page` (1-based), `size` (10..500, default 50), `sort` (a column key), `dir` (`asc`|`desc`).
 * - Tables: `format=csv` answers the whole table as CSV (no row cap; formula cells neutralised).
 *
 * Every answer carries `meta`, which says how fresh and complete the data is.
 */

/** How fresh and complete an answer is. */
export interface Freshness {
  /** Every stored record up to this offset is in the reports. */
  projectedOffset: number;
  /** The newest offset the store holds. */
  lastOffset: number;
  /** Records stored but not yet in the reports (0 when caught up). */
  behind: number;
  /**
   * Collection is complete up to this instant (ISO): the oldest cursor over the tenants and content types in
   * scope (every blob Microsoft published before it was listed). Null before the first listing.
   */
  completeTo: string | null;
  /** The newest CreationTime among the records in the reports (ISO), or null. */
  newestEvent: string | null;
  /** When this answer was computed (ISO). */
  at: string;
  /** The range the answer covers (ISO). */
  from: string;
  to: string;
  tenant: string | null;
}

export interface Meta {
  tenants: { id: string; name: string | null }[];
  /** Oldest and newest CreationTime in the reports (ISO), for the range picker. */
  oldest: string | null;
  newest: string | null;
  version: string;
  meta: Freshness;
}

/** A count of one value (top-N rows, chips). */
export interface Count {
  value: string;
  n: number;
}

export interface TopCount extends Count {
  /**
   * True when the value was not seen in the 7 days before the range; false for every value when the store
   * holds nothing from before the range (there is nothing to compare with).
   */
  isNew: boolean;
}

/** Verdict classes of mail detections (record 28). */
export type VerdictClass = 'malware' | 'phish' | 'hcphish' | 'spam' | 'bulk' | 'other';

export type Pivot = 'verdict' | 'technology' | 'action' | 'location' | 'policy' | 'direction';

export interface Series {
  /** Bucket width in ms (an hour or a day). */
  bucketMs: number;
  /** Bucket start times (epoch ms), oldest first. */
  buckets: number[];
  /** One line per value (at most 8 and `Other`), each as long as `buckets`. */
  lines: { value: string; counts: number[] }[];
}

export interface StreamHealth {
  tenantId: string;
  contentType: string;
  /** Seconds between now and the cursor (how far behind collection is); null before the first listing. */
  lagSeconds: number | null;
  cursor: string | null;
  records: number;
  invalidRecords: number;
  blobsPending: number;
  blobsDropped: Record<string, number>;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface SinkHealth {
  sink: string;
  state: string;
  lagEvents: number;
  lagSeconds: number;
  delivered: number;
  deadLetterOpen: number;
  lastError: string | null;
  lastDeliveredAt: string | null;
}

export interface Overview {
  /** Headline counts for the range. */
  tiles: {
    mailDetections: number;
    stillInMailbox: number;
    clickThroughs: number;
    pendingApprovals: number;
    fileDetections: number;
    investigations: number;
  };
  /** Mail detections over time, one line per value of `pivot`. */
  detections: Series & { pivot: Pivot };
  /** Detected threat mail by what happened to it (first seen in range). */
  outcome: {
    blocked: number;
    delivered: number;
    junked: number;
    removedAfterDelivery: number;
    stillThere: number;
  };
  top: {
    /** Top lists count whole UTC days: the days the range touches (ISO, `to` exclusive). */
    days: { from: string; to: string };
    recipients: TopCount[];
    senderDomains: TopCount[];
    senderIps: TopCount[];
    malwareFamilies: TopCount[];
    clickedDomains: TopCount[];
  };
  /** Threat mail delivered because of an override, by reason (transport rule, allow list, safe sender...). */
  overrides: Count[];
  health: StreamHealth[];
  sinks: SinkHealth[];
  meta: Freshness;
}

/** One page of a table. `total` is exact up to `totalCapped`; beyond, `totalIsLowerBound` is true. */
export interface Page<Row> {
  rows: Row[];
  total: number;
  totalIsLowerBound: boolean;
  page: number;
  size: number;
  sort: string;
  dir: 'asc' | 'desc';
  meta: Freshness;
}

/** A mail detection (record 28) as the email table shows it. */
export interface EmailRow {
  /** Store offset: opens the detail view (`/api/event/:offset`). */
  offset: number;
  tenantId: string;
  time: string;
  recipient: string | null;
  sender: string | null;
  senderDomain: string | null;
  senderIp: string | null;
  subject: string | null;
  verdict: VerdictClass | null;
  /** The verdict as Microsoft wrote it. */
  verdictRaw: string | null;
  technologies: string[];
  deliveryAction: string | null;
  originalLocation: string | null;
  latestLocation: string | null;
  detectionType: string | null;
  policy: string | null;
  direction: string | null;
  override: string | null;
  attachments: { name: string | null; sha256: string | null }[];
  urls: string[];
  networkMessageId: string | null;
}

/**
 * Filter columns of `/api/emails`: `any.<key>=a,b` keeps rows whose value is one of them,
 * `none.<key>=a,b` drops them. Sort keys are the EmailRow keys `time`, `recipient`, `sender`, `subject`,
 * `verdict`, `deliveryAction`, `originalLocation`, `latestLocation`, `policy`, `direction`.
 */
export type EmailFilterKey =
  | 'verdict'
  | 'technology'
  | 'deliveryAction'
  | 'originalLocation'
  | 'latestLocation'
  | 'detectionType'
  | 'policy'
  | 'direction'
  | 'senderDomain'
  | 'recipient'
  | 'override';

/** `/api/emails` also answers the values each filter can take in range (for the "any of / none of" pickers). */
export interface EmailPage extends Page<EmailRow> {
  facets: Record<EmailFilterKey, Count[]>;
}

/** Worklist: threat mail still in a mailbox. */
export interface InboxedRow {
  offset: number;
  tenantId: string;
  networkMessageId: string;
  recipient: string | null;
  sender: string | null;
  subject: string | null;
  verdict: VerdictClass | null;
  /** Inbox or Junk (as Microsoft names it). */
  latestLocation: string | null;
  deliveredAt: string;
  ageSeconds: number;
  clicks: number;
}

/** Worklist: a click through a Safe Links warning or pending page. */
export interface ClickThroughRow {
  offset: number;
  tenantId: string;
  time: string;
  user: string | null;
  url: string | null;
  urlDomain: string | null;
  clickAction: string | null;
  app: string | null;
  /** The mail that carried the URL, when known. */
  mail: {
    offset: number | null;
    networkMessageId: string;
    subject: string | null;
    sender: string | null;
    /** Removed after delivery (ZAP or investigation) at this time, or null: still there. */
    removedAt: string | null;
  } | null;
  /** Clicks through by the same user in the range (repeat clickers). */
  userClickThroughs: number;
}

/** Worklist: an investigation with actions waiting for approval. */
export interface ApprovalRow {
  offset: number;
  tenantId: string;
  investigationId: string;
  name: string | null;
  type: string | null;
  status: string | null;
  pendingActions: number;
  /** When the oldest pending action started waiting (ISO). */
  pendingSince: string;
  waitingSeconds: number;
  /** Seconds until the oldest pending action expires (7 days after it started); negative when expired. */
  expiresInSeconds: number;
  mails: number;
}

export interface Clicks {
  byAction: Count[];
  byApp: Count[];
  /** URL × action ("Top clicks"): top URLs with their count per action. */
  urlByAction: { url: string; total: number; byAction: Record<string, number> }[];
  topDomains: TopCount[];
  /** Clicks per hour of day (UTC) and day of week: heat[weekday 0=Sunday][hour]. */
  heat: number[][];
  meta: Freshness;
}

export interface ClickRow {
  offset: number;
  tenantId: string;
  time: string;
  user: string | null;
  url: string | null;
  urlDomain: string | null;
  clickAction: string | null;
  app: string | null;
  networkMessageId: string | null;
}

export interface Files {
  byWorkload: Count[];
  byFamily: Count[];
  bySite: Count[];
  meta: Freshness;
}

export interface FileRow {
  offset: number;
  tenantId: string;
  time: string;
  workload: string | null;
  fileName: string | null;
  site: string | null;
  path: string | null;
  family: string | null;
  sha256: string | null;
  lastModifiedBy: string | null;
  /** Mails with an attachment of the same SHA-256 (any time). */
  alsoInMail: number;
}

export interface Investigations {
  byStatus: Count[];
  byType: Count[];
  /** Delay from a mail's delivery to its removal by an investigation, over mails remediated in range. */
  remediationDelay: { n: number; medianSeconds: number | null; p90Seconds: number | null };
  meta: Freshness;
}

export interface InvestigationRow {
  offset: number;
  tenantId: string;
  investigationId: string;
  name: string | null;
  type: string | null;
  status: string | null;
  startTime: string | null;
  lastUpdate: string;
  pendingActions: number;
  pendingSince: string | null;
  actions: number;
  mails: number;
}

export type ClusterBy = 'url' | 'sha256' | 'sender-subject';

export interface ClusterRow {
  by: ClusterBy;
  /** The shared URL, hash, or `sender · subject`. */
  key: string;
  /** Records sharing the key in the range (mails; for a URL, clicks on it): the table's order, exact. */
  records: number;
  /**
   * True when the cluster has more records than were looked at: mails, recipients and the state counts are
   * then over its newest 200 records, lower bounds.
   */
  sampled: boolean;
  mails: number;
  recipients: number;
  stillInMailbox: number;
  clicked: number;
  removed: number;
  firstSeen: string;
  lastSeen: string;
  /** A mail of the cluster (opens its detail view). */
  sampleOffset: number;
}

/** One entry of a message's or user's timeline. */
export interface TimelineEntry {
  offset: number;
  time: string;
  kind: 'email' | 'url-click' | 'file' | 'investigation';
  /** Normalized action (delivered, remediated, clicked-through-warning, investigation-completed, ...). */
  action: string;
  /** One line saying what happened, plain text. */
  summary: string;
}

export interface MessagePage {
  tenantId: string;
  networkMessageId: string;
  internetMessageId: string | null;
  subject: string | null;
  sender: string | null;
  senderIp: string | null;
  recipients: string[];
  originalVerdict: string | null;
  latestVerdict: string | null;
  originalLocation: string | null;
  latestLocation: string | null;
  deliveryAction: string | null;
  overrides: { reason: string | null; source: string | null }[];
  authentication: { name: string; value: string }[];
  attachments: { name: string | null; sha256: string | null; family: string | null }[];
  urls: string[];
  deepLink: string | null;
  timeline: TimelineEntry[];
  meta: Freshness;
}

export interface UserPage {
  tenantId: string | null;
  user: string;
  counts: { mails: number; clicks: number; clickThroughs: number; files: number; investigations: number };
  timeline: TimelineEntry[];
  meta: Freshness;
}

export interface EventDetail {
  offset: number;
  tenantId: string;
  contentType: string;
  recordId: string;
  storedAt: string;
  /** The record exactly as received (JSON text). */
  raw: string;
  /** The normalized event (src/schema/event.ts). */
  normalized: Record<string, unknown>;
  invalidReason: string | null;
  deepLink: string | null;
  related: TimelineEntry[];
  /** The message page and user pages this event belongs to, when known. */
  networkMessageIds: string[];
  users: string[];
}

export interface FleetRow {
  tenantId: string;
  name: string | null;
  mailDetections: number;
  stillInMailbox: number;
  clickThroughs: number;
  pendingApprovals: number;
  fileDetections: number;
  /** Worst collection lag over the tenant's content types (seconds), null before the first listing. */
  lagSeconds: number | null;
  lastError: string | null;
}

export interface Fleet {
  rows: FleetRow[];
  meta: Freshness;
}

export interface ApiError {
  error: string;
}
