/**
 * Record 64 AirInvestigation (and 86/89, same shape) (§9.5): one record per
 * status change of an automated investigation, all sharing InvestigationId.
 * Quirks: `Data` is a JSON-encoded string of the alert (parse it twice);
 * `Actions` is an array of JSON-encoded strings in some records (2019 sample)
 * and of objects in others (2023 fixture); `$id` reference ids throughout.
 */
import type { GenContext, InvestigationState, MailMemory } from './context.js';
import { dotnetTime } from './context.js';
import type { WireRecord } from './common.js';
import { commonRecord } from './common.js';
import { newMail } from './defender-mail.js';
import type { IdCounter } from './air-alert.js';
import { alertJson, clusterEntity, nextId } from './air-alert.js';

type Kind = InvestigationState['kind'];

const KINDS: readonly Kind[] = ['ZappedMalwareInvestigation', 'UrlInvestigation', 'ZappedEmailInvestigation'];

const NAME_PREFIX: Record<Kind, string> = {
  ZappedMalwareInvestigation: 'Mail with Malware is zapped',
  UrlInvestigation: 'A potentially malicious URL click was detected',
  ZappedEmailInvestigation: 'Mail with malicious urls is zapped',
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
  rec.Data = alertJson(ctx, inv, {
    startMs,
    atMs,
    resolved: !ACTIVE_STATUSES.has(status) || status === 'Remediated',
  });
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
