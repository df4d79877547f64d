/**
 * Plausible records of the other content types: Exchange (1, 2, 50),
 * SharePoint/OneDrive (4, 6 incl. FileMalwareDetected, 14), Entra ID (8, 15)
 * and DLP (11, 13, 33). Shapes follow the Management Activity API schema's
 * workload sections; values are from the pools.
 */
import type { GenContext } from './context.js';
import { wireTime } from './context.js';
import type { WireRecord } from './common.js';
import { commonRecord } from './common.js';
import { sharePointPath } from './defender-file.js';
import { CLEAN_FILES, MALICIOUS_FILES, MALWARE_FAMILIES, PLAIN_SUBJECTS, USER_AGENTS } from './pools.js';

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

export function sharePointRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const upn = ctx.upn();
  const page = `https://${ctx.org.spPrefix}.sharepoint.com/sites/${rng.pick(['Intranet', 'HR', 'Projects'])}/SitePages/Home.aspx`;
  const rec = commonRecord(ctx, atMs, {
    recordType: 4,
    operation: rng.pick([
      'PageViewed',
      'SearchQueryPerformed',
      'SiteCollectionAdminAdded',
      'SitePermissionsModified',
    ]),
    workload: 'SharePoint',
    userType: 0,
    userKey: `i:0h.f|membership|${rng.hex(8)}@live.com`,
    userId: upn,
    objectId: page,
  });
  sharePointFields(ctx, rec, 'Page');
  return rec;
}

const FILE_OPS = [
  'FileAccessed',
  'FileDownloaded',
  'FileModified',
  'FileUploaded',
  'FileDeleted',
  'FileMalwareDetected',
];

/** Record 6, including FileMalwareDetected: the SharePoint AV engine's finding, not a record 47 (§9.1). */
export function sharePointFileRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const operation = rng.pick(FILE_OPS);
  const malware = operation === 'FileMalwareDetected';
  const oneDrive = rng.chance(0.35);
  const upn = ctx.upn();
  const [fileName] = rng.pick(malware ? MALICIOUS_FILES : CLEAN_FILES);
  const url = sharePointPath(ctx, oneDrive ? 1 : 0, upn, fileName);
  const rec = commonRecord(ctx, atMs, {
    recordType: 6,
    operation,
    workload: oneDrive ? 'OneDrive' : 'SharePoint',
    userType: malware ? 4 : 0,
    userKey: malware ? 'SHAREPOINT\\system' : `i:0h.f|membership|${rng.hex(8)}@live.com`,
    userId: malware ? 'SHAREPOINT\\system' : upn,
    objectId: url,
  });
  sharePointFields(ctx, rec, 'File');
  rec.SourceFileName = fileName;
  rec.SourceFileExtension = fileName.slice(fileName.lastIndexOf('.') + 1);
  rec.SourceRelativeUrl = url.slice(url.indexOf('/', 8) + 1, url.lastIndexOf('/'));
  rec.ListId = rng.guid();
  rec.ListItemUniqueId = rng.guid();
  if (malware) rec.VirusInfo = rng.pick(MALWARE_FAMILIES);
  return rec;
}

const SHARING_OPS = [
  'SharingSet',
  'AnonymousLinkCreated',
  'SecureLinkCreated',
  'AddedToSecureLink',
  'SharingInvitationCreated',
];

export function sharingRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const upn = ctx.upn();
  const [fileName] = rng.pick(CLEAN_FILES);
  const url = sharePointPath(ctx, rng.int(2), upn, fileName);
  const rec = commonRecord(ctx, atMs, {
    recordType: 14,
    operation: rng.pick(SHARING_OPS),
    workload: 'SharePoint',
    userType: 0,
    userKey: `i:0h.f|membership|${rng.hex(8)}@live.com`,
    userId: upn,
    objectId: url,
  });
  sharePointFields(ctx, rec, 'File');
  const partner = rng.pick(ctx.partners);
  const guest = rng.pick(partner.people);
  rec.TargetUserOrGroupName = `${guest.alias}@${partner.domain}`;
  rec.TargetUserOrGroupType = rng.pick(['Guest', 'Member', 'SharePointGroup']);
  rec.EventData = `<PermissionsGranted>${rng.pick(['Read', 'Contribute', 'Edit'])}</PermissionsGranted><Type>Edit</Type>`;
  return rec;
}

function sharePointFields(ctx: GenContext, rec: WireRecord, itemType: string): void {
  const rng = ctx.rng;
  rec.Site = rng.guid();
  rec.WebId = rng.guid();
  rec.ItemType = itemType;
  rec.EventSource = 'SharePoint';
  rec.SiteUrl = `https://${ctx.org.spPrefix}.sharepoint.com/sites/${rng.pick(['Intranet', 'HR', 'Projects'])}/`;
  rec.UserAgent = rng.pick(USER_AGENTS);
  rec.CorrelationId = rng.guid();
}

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

const SENSITIVE_TYPES: readonly (readonly [name: string, id: string])[] = [
  ['Credit Card Number', '50842eb7-edc8-4019-85dd-5a5c1f2bb085'],
  ['U.S. Social Security Number (SSN)', 'a44669fe-0d48-453d-a9b1-2cc83f2cba77'],
  ['International Banking Account Number (IBAN)', 'e7dc4711-11b7-4cb0-b88b-2c394a771f0e'],
  ['EU Passport Number', '21883626-6245-4f3d-9b61-5b9eab6e2da2'],
];

function policyDetails(ctx: GenContext): WireRecord[] {
  const rng = ctx.rng;
  const [typeName, typeId] = rng.pick(SENSITIVE_TYPES);
  return [
    {
      PolicyId: rng.guid(),
      PolicyName: rng.pick(['PCI DSS', 'U.S. PII', 'GDPR "strict"']),
      Rules: [
        {
          RuleId: rng.guid(),
          RuleName: rng.pick(['Low volume of content detected', 'High volume of content detected']),
          Actions: rng.pick([['NotifyUser'], ['BlockAccess', 'GenerateIncidentReport'], []]),
          ConditionsMatched: {
            SensitiveInformation: [
              {
                ClassifierType: 'Content',
                Confidence: rng.pick([65, 75, 85]),
                Count: rng.between(1, 40),
                SensitiveType: typeId,
                SensitiveInformationTypeName: typeName,
              },
            ],
          },
          ManagementRuleId: rng.guid(),
          Severity: rng.pick(['Low', 'Medium', 'High']),
        },
      ],
    },
  ];
}

export function dlpSharePointRecord(ctx: GenContext, atMs: number, recordType = 11): WireRecord {
  const rng = ctx.rng;
  const upn = ctx.upn();
  const [fileName] = rng.pick(CLEAN_FILES);
  const oneDrive = rng.chance(0.4);
  const url = sharePointPath(ctx, oneDrive ? 1 : 0, upn, fileName);
  const rec = commonRecord(ctx, atMs, {
    recordType,
    // DLP operations are DlpRuleMatch, DlpRuleUndo and DlpInfo; giving 33 (classification) DlpInfo is INF.
    operation: recordType === 33 ? 'DlpInfo' : rng.chance(0.9) ? 'DlpRuleMatch' : 'DlpRuleUndo',
    workload: oneDrive ? 'OneDrive' : 'SharePoint',
    userType: 0,
    userKey: `i:0h.f|membership|${rng.hex(8)}@live.com`,
    userId: upn,
    objectId: url,
  });
  rec.IncidentId = rng.guid();
  rec.PolicyDetails = policyDetails(ctx);
  rec.SensitiveInfoDetectionIsIncluded = rng.chance(0.5);
  rec.SharePointMetaData = {
    From: upn,
    FileName: fileName,
    FileOwner: upn,
    FilePathUrl: url,
    ItemCreationTime: wireTime(atMs - rng.int(90 * 86400) * 1000),
    SiteCollectionGuid: rng.guid(),
    SiteCollectionUrl: url.split('/').slice(0, 5).join('/') + '/',
    UniqueID: rng.guid(),
  };
  return rec;
}

export function dlpExchangeRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const from = ctx.upn();
  const partner = rng.pick(ctx.partners);
  const to = `${rng.pick(partner.people).alias}@${partner.domain}`;
  const rec = commonRecord(ctx, atMs, {
    recordType: 13,
    operation: 'DlpRuleMatch',
    workload: 'Exchange',
    userType: 0,
    userKey: rng.hex(8, true),
    userId: from,
    objectId: `<${rng.hex(8, true)}@${ctx.org.domain}>`,
  });
  rec.IncidentId = rng.guid();
  rec.PolicyDetails = policyDetails(ctx);
  rec.SensitiveInfoDetectionIsIncluded = true;
  rec.ExchangeMetaData = {
    BCC: [],
    CC: rng.chance(0.3) ? [ctx.upn()] : [],
    FileSize: rng.between(2_000, 4_000_000),
    From: from,
    MessageID: rec.ObjectId,
    RecipientCount: 1,
    Sent: wireTime(atMs - rng.int(60) * 1000),
    Subject: rng.pick(PLAIN_SUBJECTS),
    To: [to],
    UniqueID: rng.guid(),
  };
  return rec;
}
