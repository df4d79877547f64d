/**
 * The dashboard's part of the store contract: a projection of the Defender records that the reports read,
 * fed after ingest by the dashboard's projector (src/dashboard/projection.ts) in offset order, and the report
 * queries over it. Like the rest of the store, the SQL stays in src/store (sqlite/dashboard-store.ts).
 */
import type {
  ApprovalRow,
  ClickRow,
  ClickThroughRow,
  Clicks,
  ClusterRow,
  Count,
  EmailFilterKey,
  EmailRow,
  FileRow,
  Files,
  FleetRow,
  InboxedRow,
  InvestigationRow,
  Investigations,
  Overview,
  UserPage,
  Pivot,
  Series,
  TimelineEntry,
  TopCount,
} from '../dashboard/api-types.js';

export type DashboardKind = 'email' | 'url-click' | 'file' | 'investigation';

/** One Defender record as the reports need it. Times are epoch ms. */
export interface DashboardRow {
  offset: number;
  tenantId: string;
  t: number;
  /** Mail (28): when the mail was received (`MessageTime`, ms), or null. */
  messageT: number | null;
  kind: DashboardKind;
  /** Normalized action (src/schema/event.ts EventAction). */
  action: string;
  /** Mail: malware | phish | hcphish | spam | bulk | other. */
  verdict: string | null;
  verdictRaw: string | null;
  technologies: string[];
  deliveryAction: string | null;
  originalLocation: string | null;
  latestLocation: string | null;
  /** Disposition class of the original location: delivered, junked, quarantined, blocked, deleted, unknown. */
  originalClass: string | null;
  latestClass: string | null;
  detectionType: string | null;
  policy: string | null;
  direction: string | null;
  /** Why a threat was delivered anyway (system override), or null. */
  override: string | null;
  sender: string | null;
  senderDomain: string | null;
  senderIp: string | null;
  recipient: string | null;
  subject: string | null;
  networkMessageId: string | null;
  /** The clicked URL (41), or the mail's first URL. */
  url: string | null;
  urlDomain: string | null;
  urls: string[];
  clickAction: string | null;
  app: string | null;
  clickThrough: boolean;
  fileName: string | null;
  site: string | null;
  path: string | null;
  family: string | null;
  sha256: string | null;
  attachments: { name: string | null; sha256: string | null }[];
  lastModifiedBy: string | null;
  /** File (47): SharePoint, OneDrive or Teams. */
  workload: string | null;
  /** Who the record is about: recipient (28), clicking user (41), last modifier (47), none (64). */
  user: string | null;
  /** Timeline line. */
  summary: string;
  investigation: {
    id: string;
    name: string | null;
    type: string | null;
    status: string | null;
    startT: number | null;
    pendingActions: number;
    pendingSince: number | null;
    actions: number;
    networkMessageIds: string[];
    /** Mails an action removed, with when. */
    remediated: { networkMessageId: string; t: number }[];
  } | null;
}

export interface DashRange {
  from: number;
  to: number;
  tenant: string | null;
}

export interface TableQuery extends DashRange {
  q: string | null;
  page: number;
  size: number;
  sort: string;
  dir: 'asc' | 'desc';
  /** Column → values kept (any of) and dropped (none of). */
  any: Record<string, string[]>;
  none: Record<string, string[]>;
}

/** The tables, by name, and their row types. */
export interface TableRows {
  emails: EmailRow;
  inboxed: InboxedRow;
  'click-throughs': ClickThroughRow;
  approvals: ApprovalRow;
  clicks: ClickRow;
  files: FileRow;
  investigations: InvestigationRow;
  'clusters-url': ClusterRow;
  'clusters-sha256': ClusterRow;
  'clusters-sender-subject': ClusterRow;
}
export type TableName = keyof TableRows;

export interface TableResult<Row> {
  rows: Row[];
  total: number;
  totalIsLowerBound: boolean;
}

export interface DashProgress {
  offset: number;
  /** Newest CreationTime among projected rows (ms), or null. */
  newestT: number | null;
}

/** Counts are exact up to this many rows; past it a table says "more than". */
export const TOTAL_CAP = 100_000;

export interface DashboardStore {
  progress(): Promise<DashProgress>;
  /**
   * Adds projected rows (in offset order) and moves the progress to `upto` (the last offset read, whether or
   * not it was a Defender record), in one transaction. Rows at or below the current progress are ignored.
   */
  apply(rows: DashboardRow[], upto: number): Promise<void>;
  /** Tenants seen, oldest and newest event time (ms). */
  bounds(): Promise<{ tenants: string[]; oldest: number | null; newest: number | null }>;

  series(range: DashRange, pivot: Pivot): Promise<Series>;
  tiles(range: DashRange): Promise<Overview['tiles']>;
  outcome(range: DashRange): Promise<Overview['outcome']>;
  /** Top values of a high-cardinality dimension (see TOP_DIMS), with a mark for values new this week. */
  top(range: DashRange, dim: TopDim, limit: number): Promise<TopCount[]>;
  /** Counts of a low-cardinality dimension over the range (see HOURLY_DIMS). */
  counts(range: DashRange, dim: HourlyDim): Promise<Count[]>;

  /** Values each email filter can take in the range, most frequent first. */
  emailFacets(range: DashRange): Promise<Record<EmailFilterKey, Count[]>>;
  /** One page of a table (see TABLES); `now` (ms) for ages. */
  table<N extends TableName>(name: N, query: TableQuery, now: number): Promise<TableResult<TableRows[N]>>;
  /** Every row of a table in the query's order, read on a connection of its own, in chunks (CSV export). */
  exportTable<N extends TableName>(name: N, query: TableQuery, now: number): AsyncIterable<TableRows[N]>;
  clicks(range: DashRange): Promise<Omit<Clicks, 'meta'>>;
  files(range: DashRange): Promise<Omit<Files, 'meta'>>;
  investigations(range: DashRange): Promise<Omit<Investigations, 'meta'>>;
  /** Every projected row about one mail (its records, clicks and investigations), oldest first. */
  messageTimeline(tenantId: string, networkMessageId: string): Promise<TimelineEntry[]>;
  /** URLs clicked in one message (from its Safe Links clicks), most recent first. */
  messageUrls(tenantId: string, networkMessageId: string): Promise<string[]>;
  /** The mail records of one message, newest first (offsets), for its page. */
  messageOffsets(tenantId: string, networkMessageId: string): Promise<number[]>;
  userTimeline(user: string, tenant: string | null, limit: number): Promise<TimelineEntry[]>;
  /** How many records of each kind are about one user. */
  userCounts(user: string, tenant: string | null): Promise<UserPage['counts']>;
  /** Timeline entries for these offsets (the detail view's related events). */
  entries(offsets: number[]): Promise<TimelineEntry[]>;
  fleet(range: DashRange, now: number): Promise<Omit<FleetRow, 'name' | 'lagSeconds' | 'lastError'>[]>;
  /** Deletes pre-aggregated counts and message/investigation state older than `before` (ms). */
  prune(before: number): Promise<void>;
  close(): Promise<void>;
}

/** Low-cardinality dimensions counted per hour. */
export const HOURLY_DIMS = [
  'mail:verdict',
  'mail:technology',
  'mail:action',
  'mail:location',
  'mail:policy',
  'mail:direction',
  'mail:override',
  'mail:latestLocation',
  'mail:detectionType',
  'click:action',
  'click:app',
  'click:through',
  'file:workload',
  'inv:records',
] as const;
export type HourlyDim = (typeof HOURLY_DIMS)[number];

/** High-cardinality dimensions counted per day (top-N panels, clusters). */
export const TOP_DIMS = [
  'mail:recipient',
  'mail:senderDomain',
  'mail:senderIp',
  'mail:family',
  'click:domain',
  'click:url',
  'file:family',
  'file:site',
  'cluster:url',
  'cluster:sha256',
  'cluster:sender-subject',
] as const;
export type TopDim = (typeof TOP_DIMS)[number];
