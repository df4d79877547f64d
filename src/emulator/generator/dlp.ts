/**
 * DLP.All records: DLP rule matches in SharePoint/OneDrive (11, 33) and Exchange (13).
 */
import type { GenContext } from './context.js';
import type { WireRecord } from './common.js';
import { commonRecord } from './common.js';
import { wireTime } from './context.js';
import { sharePointPath } from './defender-file.js';
import { CLEAN_FILES, PLAIN_SUBJECTS } from './pools.js';

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
    userKey: ctx.puid(),
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
