/**
 * Audit.Exchange records: admin cmdlets (1), mailbox item operations (2) and
 * MailItemsAccessed (50), shaped after the Exchange sections of the schema.
 */
import type { GenContext } from './context.js';
import type { WireRecord } from './common.js';
import { commonRecord } from './common.js';
import { PLAIN_SUBJECTS } from './pools.js';

const ADMIN_CMDLETS: readonly (readonly [cmdlet: string, param: string, value: string])[] = [
  ['Set-Mailbox', 'ForwardingSmtpAddress', 'smtp:exfil@mail-secure-gateway.invalid'],
  ['New-InboxRule', 'DeleteMessage', 'True'],
  ['Add-MailboxPermission', 'AccessRights', 'FullAccess'],
  ['Set-TransportRule', 'SetSCL', '-1'],
  ['New-TransportRule', 'Name', 'Bypass "spam" <filter>'],
  ['Set-OwaMailboxPolicy', 'AdditionalStorageProvidersAvailable', 'False'],
];

export function exchangeAdminRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const [cmdlet, name, value] = rng.pick(ADMIN_CMDLETS);
  const target = ctx.upn();
  const rec = commonRecord(ctx, atMs, {
    recordType: 1,
    operation: cmdlet,
    workload: 'Exchange',
    userType: rng.chance(0.8) ? 2 : 3,
    userKey: rng.chance(0.8)
      ? `${rng.hex(8, true)}`
      : 'NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)',
    userId: rng.chance(0.8) ? ctx.upn() : 'NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)',
    // Exchange admin audit reports success as the text True/False.
    resultStatus: rng.chance(0.95) ? 'True' : 'False',
    objectId: target,
  });
  rec.ExternalAccess = rng.chance(0.1);
  rec.OrganizationName = `${ctx.org.spPrefix}.onmicrosoft.com`;
  rec.OriginatingServer = `${rng.pick(['DM6PR04MB', 'AM0PR02MB'])}${rng.between(1000, 9999)} (15.20.${rng.between(7000, 8999)}.${rng.int(40)})`;
  rec.Parameters = [
    { Name: 'Identity', Value: target },
    { Name: name, Value: value },
  ];
  return rec;
}

const ITEM_OPS = ['Send', 'SendAs', 'Update', 'Create', 'SoftDelete', 'HardDelete', 'MoveToDeletedItems'];

export function exchangeItemRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const owner = ctx.upn();
  const operation = rng.pick(ITEM_OPS);
  const rec = commonRecord(ctx, atMs, {
    recordType: 2,
    operation,
    workload: 'Exchange',
    userType: 0,
    userKey: rng.hex(8, true),
    userId: owner,
    resultStatus: 'Succeeded',
    objectId: `/${ctx.org.domain}/${owner}/Inbox`,
  });
  exchangeMailboxFields(ctx, rec, owner);
  rec.Item = {
    Id: rng.base64(48),
    InternetMessageId: `<${rng.hex(8, true)}@${ctx.org.domain}>`,
    ParentFolder: { Id: rng.base64(30), Path: rng.pick(['\\Inbox', '\\Sent Items', '\\Deleted Items']) },
    Subject: rng.pick(PLAIN_SUBJECTS),
    SizeInBytes: rng.between(2_000, 5_000_000),
  };
  return rec;
}

export function mailItemsAccessedRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const owner = ctx.upn();
  const rec = commonRecord(ctx, atMs, {
    recordType: 50,
    operation: 'MailItemsAccessed',
    workload: 'Exchange',
    userType: 0,
    userKey: rng.hex(8, true),
    userId: owner,
    resultStatus: 'Succeeded',
  });
  exchangeMailboxFields(ctx, rec, owner);
  const items = Array.from({ length: rng.between(1, 4) }, () => ({
    InternetMessageId: `<${rng.hex(8, true)}@${ctx.org.domain}>`,
    SizeInBytes: rng.between(2_000, 500_000),
  }));
  rec.OperationProperties = [
    { Name: 'MailAccessType', Value: rng.pick(['Bind', 'Sync']) },
    { Name: 'IsThrottled', Value: 'False' },
  ];
  rec.Folders = [{ FolderItems: items, Id: rng.base64(30), Path: '\\Inbox' }];
  rec.OperationCount = items.length;
  rec.SessionId = rng.guid();
  return rec;
}

function exchangeMailboxFields(ctx: GenContext, rec: WireRecord, owner: string): void {
  const rng = ctx.rng;
  rec.AppId = rng.guid();
  rec.ClientAppId = '';
  rec.ClientIPAddress = ctx.ip();
  rec.ClientInfoString = rng.pick([
    'Client=OWA;Action=ViaProxy',
    'Client=MSExchangeRPC',
    'Client=REST;Client=RESTSystem;;',
  ]);
  rec.ExternalAccess = false;
  rec.InternalLogonType = 0;
  rec.LogonType = rng.pick([0, 0, 1, 2]);
  rec.LogonUserSid = `S-1-5-21-${rng.u32()}-${rng.u32()}-${rng.u32()}-${rng.between(1000, 99999)}`;
  rec.MailboxGuid = rng.guid();
  rec.MailboxOwnerSid = rec.LogonUserSid;
  rec.MailboxOwnerUPN = owner;
  rec.OrganizationName = `${ctx.org.spPrefix}.onmicrosoft.com`;
  rec.OriginatingServer = `${rng.pick(['CY4PR11MB', 'SN6PR2101MB'])}${rng.between(1000, 9999)} (15.20.${rng.between(7000, 8999)}.000)`;
}
