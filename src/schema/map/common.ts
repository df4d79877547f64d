/**
 * The parts of the normalized event every record has, and small builders
 * the per-record-type mappers share.
 */
import type { EnumValue, FileInfo, NormalizedEvent, Severity, EventOutcome, UserRef } from '../event.js';
import { NORMALIZED_EVENT_VERSION } from '../event.js';
import { RECORD_TYPE_NAMES } from '../enums.js';
import type { CommonRecord } from '../records.js';
import { text } from '../wire.js';

/** Ordinal of each severity (1–5), as OCSF `severity_id` and ECS `event.severity` use it. */
export const SEVERITY_IDS: Readonly<Record<Severity, number>> = {
  informational: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
};

/** Risk score (0–100) of each severity, for ECS `event.risk_score`. */
export const SEVERITY_RISK: Readonly<Record<Severity, number>> = {
  informational: 0,
  low: 21,
  medium: 47,
  high: 73,
  critical: 99,
};

const SEVERITY_ORDER: readonly Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];

/** Moves a severity up or down the scale, staying within `min` and critical. */
export function shiftSeverity(s: Severity, by: number, min: Severity = 'informational'): Severity {
  const i = Math.min(4, Math.max(SEVERITY_ORDER.indexOf(min), SEVERITY_ORDER.indexOf(s) + by));
  return SEVERITY_ORDER[i] ?? s;
}

/** Reads a severity name (`Informational`, `Low`, `Medium`, `High`, `Critical`), any case. */
export function parseSeverity(v: string | null | undefined): Severity | null {
  const s = v?.trim().toLowerCase();
  return SEVERITY_ORDER.find((x) => x === s) ?? null;
}

/** System values Microsoft puts in `UserId` of Defender records; never a person. */
const SYSTEM_USERS = new Set(['threatintel', 'airinvestigation']);

/** A user reference from an address or UPN; null for empty and system values. */
export function userRef(id: string | null | undefined): UserRef | null {
  const t = text(id);
  if (t === null || SYSTEM_USERS.has(t.toLowerCase())) return null;
  const at = t.lastIndexOf('@');
  return { id: t, domain: at >= 0 && at < t.length - 1 ? t.slice(at + 1).toLowerCase() : null };
}

/** Record type name from the table, `Unknown(<n>)` when the number is not in it. */
export function recordTypeName(rt: number | null): string | null {
  if (rt === null) return null;
  return RECORD_TYPE_NAMES[rt] ?? `Unknown(${rt})`;
}

/** `ResultStatus` as an outcome: Succeeded/Success/True, Failed/False; anything else unknown. */
export function outcomeOfResultStatus(v: string | null | undefined): EventOutcome {
  switch (v?.trim().toLowerCase()) {
    case 'succeeded':
    case 'success':
    case 'true':
      return 'success';
    case 'failed':
    case 'failure':
    case 'false':
      return 'failure';
    default:
      return 'unknown';
  }
}

/** An empty file description, to spread and fill. */
export function emptyFile(): FileInfo {
  return {
    name: null,
    types: [],
    sha256: null,
    verdict: null,
    malwareFamily: null,
    path: null,
    size: null,
    documentId: null,
    sourceWorkload: null,
    lastModifiedBy: null,
    lastModifiedTime: null,
  };
}

/** `FileVerdict` Good (0) is the only verdict that is not a finding. */
export function isBadVerdict(v: EnumValue | null): boolean {
  return v !== null && v.id !== 0;
}

/**
 * The generic audit event for any record: common fields only. The per-type
 * mappers start from it and fill their parts.
 */
export function baseEvent(rec: CommonRecord | null, raw: Record<string, unknown>): NormalizedEvent {
  const rt = rec?.RecordType ?? null;
  const ip = rec?.ClientIP ?? null;
  const userId = text(rec?.UserId);
  return {
    version: NORMALIZED_EVENT_VERSION,
    id: text(rec?.Id),
    tenantId: text(rec?.OrganizationId),
    recordType: rt,
    recordTypeName: recordTypeName(rt),
    operation: text(rec?.Operation),
    workload: text(rec?.Workload),
    time: rec?.CreationTime ?? null,
    kind: 'audit',
    action: 'audit',
    isAlert: false,
    // For Entra sign-ins ResultStatus only says the HTTP call succeeded (spec §8.1): the operation says more.
    outcome:
      text(rec?.Operation) === 'UserLoginFailed' ? 'failure' : outcomeOfResultStatus(rec?.ResultStatus),
    disposition: null,
    severity: 'informational',
    riskScore: SEVERITY_RISK.informational,
    threat: null,
    attack: null,
    actors: {
      user: userRef(userId),
      recordedUser: { id: userId, key: text(rec?.UserKey), type: rec?.UserType ?? null },
      mailFrom: null,
      from: null,
      senderIp: null,
      recipients: [],
      clientIp: ip?.ip ?? null,
      clientPort: ip?.port ?? null,
    },
    email: null,
    files: [],
    urlClick: null,
    urls: [],
    networkMessageIds: [],
    investigation: null,
    deepLink: null,
    objectId: text(rec?.ObjectId),
    resultStatus: text(rec?.ResultStatus),
    links: [],
    invalidReason: null,
    raw,
  };
}

/** Sets severity and the matching risk score together. */
export function withSeverity(e: NormalizedEvent, severity: Severity): NormalizedEvent {
  return { ...e, severity, riskScore: SEVERITY_RISK[severity] };
}
