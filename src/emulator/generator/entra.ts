/**
 * Audit.AzureActiveDirectory records: directory changes (8) and STS sign-ins (15).
 */
import type { GenContext } from './context.js';
import type { WireRecord } from './common.js';
import { commonRecord } from './common.js';
import { USER_AGENTS } from './pools.js';

const AAD_OPS = [
  'Add user.',
  'Update user.',
  'Add member to group.',
  'Reset user password.',
  'Consent to application.',
  'Add service principal.',
];

export function entraRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const actor = ctx.upn();
  const target = ctx.upn();
  const rec = commonRecord(ctx, atMs, {
    recordType: 8,
    operation: rng.pick(AAD_OPS),
    workload: 'AzureActiveDirectory',
    // Entra never reports admins as 2 (§8.2).
    userType: rng.pick([0, 0, 4, 5]),
    userKey: `${rng.hex(8, true)}@${ctx.org.domain}`,
    userId: actor,
    resultStatus: rng.chance(0.95) ? 'Success' : 'Failure',
    objectId: target,
    // Entra directory events carry no client address.
    clientIp: rng.chance(0.85) ? null : '<null>',
  });
  entraFields(ctx, rec, actor, target);
  rec.ModifiedProperties = [
    { Name: 'AccountEnabled', NewValue: '[\r\n  true\r\n]', OldValue: '[]' },
    { Name: 'Included Updated Properties', NewValue: 'AccountEnabled', OldValue: '' },
  ];
  rec.ExtendedProperties = [
    { Name: 'additionalDetails', Value: '{"User-Agent":"Microsoft Azure Graph Client Library"}' },
  ];
  return rec;
}

export function signInRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const user = ctx.upn();
  const failed = rng.chance(0.15);
  const rec = commonRecord(ctx, atMs, {
    recordType: 15,
    operation: failed ? 'UserLoginFailed' : 'UserLoggedIn',
    workload: 'AzureActiveDirectory',
    userType: 0,
    userKey: rng.guid(),
    userId: user,
    // For STS logons ResultStatus only means the HTTP call worked (§8.1).
    resultStatus: 'Success',
    objectId: rng.pick(['00000003-0000-0000-c000-000000000000', '00000002-0000-0ff1-ce00-000000000000']),
  });
  entraFields(ctx, rec, user, user);
  rec.ApplicationId = rng.pick([
    'd3590ed6-52b3-4102-aeff-aad2292ab01c',
    '1fec8e78-bce4-4aaf-ab1b-5451cc387264',
  ]);
  rec.DeviceProperties = [
    { Name: 'OS', Value: rng.pick(['Windows 10', 'MacOs', 'Ios', 'Android']) },
    { Name: 'BrowserType', Value: rng.pick(['Edge', 'Chrome', 'Safari']) },
    { Name: 'IsCompliant', Value: String(rng.chance(0.7)) },
    { Name: 'SessionId', Value: rng.guid() },
  ];
  rec.ErrorNumber = failed ? rng.pick(['50126', '50053', '50074']) : '0';
  if (failed)
    rec.LogonError = rng.pick([
      'InvalidUserNameOrPassword',
      'IdsLocked',
      'UserStrongAuthClientAuthNRequired',
    ]);
  rec.ExtendedProperties = [
    { Name: 'ResultStatusDetail', Value: failed ? 'Success' : 'Redirect' },
    { Name: 'UserAgent', Value: rng.pick(USER_AGENTS) },
    { Name: 'RequestType', Value: 'Login:login' },
  ];
  rec.ModifiedProperties = [];
  return rec;
}

function entraFields(ctx: GenContext, rec: WireRecord, actor: string, target: string): void {
  const rng = ctx.rng;
  rec.AzureActiveDirectoryEventType = 1;
  rec.Actor = [
    { ID: rng.guid(), Type: 0 },
    { ID: actor, Type: 5 },
  ];
  rec.ActorContextId = ctx.tenantId;
  rec.ActorIpAddress = ctx.ip();
  rec.InterSystemsId = rng.guid();
  rec.IntraSystemId = rng.guid();
  rec.SupportTicketId = '';
  rec.Target = [
    { ID: `User_${rng.guid()}`, Type: 2 },
    { ID: target, Type: 5 },
  ];
  rec.TargetContextId = ctx.tenantId;
}
