/**
 * The non-Defender part of Audit.General: Teams (25), Power BI (20),
 * Attack simulation (85, §9.6) and record types this generator pretends not
 * to know (e.g. 999) so collectors prove they keep unknown records.
 */
import type { GenContext } from './context.js';
import { wireTime } from './context.js';
import type { WireRecord } from './common.js';
import { commonRecord } from './common.js';
import { USER_AGENTS } from './pools.js';

const TEAMS_OPS = [
  'MemberAdded',
  'TeamCreated',
  'ChannelAdded',
  'MessageSent',
  'TeamsSessionStarted',
  'MeetingDetail',
];
const TEAM_NAMES = [
  'Project Falcon',
  'Finance & Ops',
  'All Company',
  'Incident Bridge <P1>',
  'Marketing "Q4"',
];

export function teamsRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const operation = rng.pick(TEAMS_OPS);
  const rec = commonRecord(ctx, atMs, {
    recordType: 25,
    operation,
    workload: 'MicrosoftTeams',
    userType: rng.chance(0.9) ? 0 : 2,
    userKey: rng.guid(),
    userId: ctx.upn(),
    resultStatus: 'Succeeded',
    objectId: rng.pick(TEAM_NAMES),
  });
  rec.TeamName = rec.ObjectId;
  rec.TeamGuid = `19:${rng.hex(16)}@thread.tacv2`;
  rec.AADGroupId = rng.guid();
  rec.CommunicationType = rng.pick(['Team', 'GroupChat', 'OneOnOne']);
  if (operation === 'MemberAdded') {
    const p = ctx.person();
    rec.Members = [{ DisplayName: ctx.displayName(p), Role: rng.int(3), UPN: ctx.upn(p) }];
  }
  if (operation === 'ChannelAdded' || operation === 'MessageSent')
    rec.ChannelName = rng.pick(['General', 'Alerts', 'Random']);
  return rec;
}

const PBI_OPS = ['ViewReport', 'ExportReport', 'ViewDashboard', 'CreateDataset', 'ShareReport'];

export function powerBiRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const operation = rng.pick(PBI_OPS);
  const report = rng.pick(['Sales Pipeline', 'Headcount 2025', 'Security KPIs']);
  const rec = commonRecord(ctx, atMs, {
    recordType: 20,
    operation,
    workload: 'PowerBI',
    userType: 0,
    userKey: rng.hex(8, true),
    userId: ctx.upn(),
    objectId: report,
  });
  rec.UserAgent = rng.pick(USER_AGENTS);
  rec.Activity = operation;
  rec.ItemName = report;
  rec.WorkSpaceName = rng.pick(['Finance', 'My Workspace', 'Exec']);
  rec.WorkspaceId = rng.guid();
  rec.ReportName = report;
  rec.ReportId = rng.guid();
  rec.DatasetName = report;
  rec.DatasetId = rng.guid();
  rec.IsSuccess = true;
  rec.RequestId = rng.guid();
  rec.ActivityId = rng.guid();
  rec.DistributionMethod = rng.pick(['Workspace', 'Shared', 'App']);
  return rec;
}

const ATTACK_SIM_EVENTS: readonly (readonly [code: number, name: string])[] = [
  [1, 'MessageDelivered'],
  [2, 'MessageFailed'],
  [6, 'CredentialEntered'],
  [8, 'LinkClicked'],
  [10, 'AttachmentOpened'],
  [12, 'MessageRead'],
  [15, 'MessageReported'],
  [16, 'MessageDeleted'],
];

export function attackSimRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const p = ctx.person();
  const [code, name] = rng.pick(ATTACK_SIM_EVENTS);
  const rec = commonRecord(ctx, atMs, {
    recordType: 85,
    // INF: no sample gives the Operation of an AttackSim record; the event name is the likeliest.
    operation: name,
    workload: 'SecurityComplianceCenter',
    userType: 4,
    userKey: 'AttackSim',
    userId: ctx.upn(p),
    system: true,
  });
  rec.BatchId = rng.guid();
  rec.CampaignId = rng.guid();
  rec.UserDisplayName = ctx.displayName(p);
  rec.AttackTechnique = rng.pick([
    'CredentialHarvesting',
    'MalwareAttachment',
    'LinkInAttachment',
    'LinkToMalware',
    'OAuthConsentGrant',
  ]);
  rec.CampaignType = rng.pick(['Simulation', 'Training']);
  rec.TimeData = wireTime(atMs);
  rec.EndTimeData = wireTime(atMs + 7 * 86400_000);
  rec.AttackSimEvent = code;
  rec.ExtendedProperties = [{ Name: 'SimulationName', Value: 'Q4 "payroll" phish <test>' }];
  return rec;
}

/** A record type from the future: collectors must store it, not drop it. */
export function unknownRecord(ctx: GenContext, atMs: number, recordType = 999): WireRecord {
  const rng = ctx.rng;
  const rec = commonRecord(ctx, atMs, {
    recordType,
    operation: rng.pick(['FutureWorkloadActivity', 'CopilotAgentInvoked', 'SomethingNew']),
    workload: rng.pick(['FutureWorkload', 'Copilot', 'Unknown']),
    userType: rng.pick([0, 4, 5, 11]),
    userKey: rng.guid(),
    userId: ctx.upn(),
    resultStatus: rng.pick(['Succeeded', 'Success', 'TRUE']),
  });
  rec.FutureField = { Nested: [1, 'two', null], Flag: true };
  return rec;
}
