/**
 * The common schema every audit record carries (§8.1), in the key order real
 * records use, plus the occasional optional Scope and AppAccessContext.
 */
import type { GenContext } from './context.js';
import { wireTime } from './context.js';

export type WireRecord = Record<string, unknown>;

/** A builder makes one record of its type at `atMs` (whole seconds, UTC). */
export type RecordBuilder = (ctx: GenContext, atMs: number) => WireRecord;

export interface CommonFields {
  recordType: number;
  operation: string;
  workload: string;
  userType: number;
  userKey: string;
  userId: string;
  objectId?: string;
  resultStatus?: string;
  /** Omit to draw one of the ClientIP forms; pass null or a string to fix it. */
  clientIp?: string | null;
  /**
   * System-generated records (Defender, AIR): no Scope or AppAccessContext,
   * and ClientIP now and then missing although the schema calls it mandatory,
   * so collectors prove they tolerate that.
   */
  system?: boolean;
}

const API_IDS = ['00000003-0000-0000-c000-000000000000', '00000002-0000-0ff1-ce00-000000000000'];
const CLIENT_APPS: readonly (readonly [id: string, name: string])[] = [
  ['00000002-0000-0ff1-ce00-000000000000', 'Office 365 Exchange Online'],
  ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', 'Microsoft Teams'],
  ['d3590ed6-52b3-4102-aeff-aad2292ab01c', 'Microsoft Office'],
  ['ab9b8c07-8f02-4f72-87fa-80105867a763', 'OneDrive SyncEngine'],
];

export function commonRecord(ctx: GenContext, atMs: number, f: CommonFields): WireRecord {
  const rng = ctx.rng;
  const rec: WireRecord = {
    CreationTime: wireTime(atMs),
    Id: rng.guid(),
    Operation: f.operation,
    OrganizationId: ctx.tenantId,
    RecordType: f.recordType,
  };
  if (f.resultStatus !== undefined) rec.ResultStatus = f.resultStatus;
  rec.UserKey = f.userKey;
  rec.UserType = f.userType;
  rec.Version = 1;
  rec.Workload = f.workload;
  if (!f.system || rng.chance(0.9)) rec.ClientIP = f.clientIp !== undefined ? f.clientIp : ctx.clientIp();
  if (f.objectId !== undefined) rec.ObjectId = f.objectId;
  rec.UserId = f.userId;
  if (!f.system) {
    // Scope only ever says online vs on-premises (SharePoint is the only on-prem source).
    if (rng.chance(0.06)) rec.Scope = f.workload === 'SharePoint' && rng.chance(0.2) ? 1 : 0;
    if (rng.chance(0.08)) rec.AppAccessContext = appAccessContext(ctx, atMs);
  }
  return rec;
}

function appAccessContext(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const [clientAppId, clientAppName] = rng.pick(CLIENT_APPS);
  return {
    AADSessionId: rng.guid(),
    APIId: rng.pick(API_IDS),
    ClientAppId: clientAppId,
    ClientAppName: clientAppName,
    CorrelationId: rng.guid(),
    IssuedAtTime: wireTime(atMs - rng.int(3600) * 1000),
    UniqueTokenId: rng.base64(16).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'),
  };
}
